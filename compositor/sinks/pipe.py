"""`--pipe [raw|y4m]`: frames to stdout (or any file descriptor) for ffmpeg or another program.

raw: packed rgb24, width*height*3 bytes per frame, no header; the reader must be told the size
and rate, for example `layers run s.json --pipe | ffmpeg -f rawvideo -pix_fmt rgb24 -s 1280x720
-r 30 -i - out.mkv`. y4m: self-describing (`ffmpeg -i - ...`, `mpv -`).

When the reader goes away the next write raises BrokenPipeError (Python ignores SIGPIPE), which
becomes a SinkError; the render loop then removes this output and carries on.
"""

from __future__ import annotations

import os
from typing import BinaryIO

import numpy as np

from compositor.errors import LayersValueError, SinkError
from compositor.sinks.base import Sink
from compositor.sinks.y4m import Y4MWriter
from compositor.stats import FrameMeta

PIPE_FORMATS = ("raw", "y4m")
STDOUT = 1


class PipeSink(Sink):
    def __init__(self, fmt: str = "raw", fd: int = STDOUT, view: str = "stream"):
        super().__init__(view)
        if fmt not in PIPE_FORMATS:
            raise LayersValueError(f"unknown pipe format {fmt!r}: expected one of {', '.join(PIPE_FORMATS)}")
        self.fmt, self.fd = fmt, fd
        self.name = f"pipe:{fmt}" if fd == STDOUT else f"pipe:{fmt}:fd{fd}"
        self._stream: BinaryIO | None = None
        self._y4m: Y4MWriter | None = None

    def format(self) -> str:
        if self.size is None:
            return "not open"
        kind = "rgb24 raw" if self.fmt == "raw" else "Y4M C420jpeg"
        target = "stdout" if self.fd == STDOUT else f"fd {self.fd}"
        return f"{kind} {self.size[0]}x{self.size[1]}@{self.fps:g} to {target}"

    def _open(self, size: tuple[int, int], fps: float) -> None:
        if os.isatty(self.fd):
            raise SinkError("refusing to write raw video to a terminal: pipe it into a program, "
                            "for example `| ffmpeg -f rawvideo -pix_fmt rgb24 -s WxH -r FPS -i - out.mkv`")
        # Not owning the descriptor: closing this sink leaves stdout itself open. Buffered so a
        # large frame is written whole even when the pipe takes it in pieces; flushed per frame.
        self._stream = open(self.fd, "wb", closefd=False)
        try:
            if self.fmt == "y4m":
                self._y4m = Y4MWriter(self._stream, *size, fps)
            self._stream.flush()
        except OSError as error:
            raise self._error(error) from error

    def _write(self, frame: np.ndarray, meta: FrameMeta) -> None:
        try:
            if self._y4m is not None:
                self._y4m.write(frame)
            else:
                self._stream.write(memoryview(np.ascontiguousarray(frame)).cast("B"))
            self._stream.flush()
        except OSError as error:
            raise self._error(error) from error

    def _error(self, error: OSError) -> SinkError:
        if isinstance(error, BrokenPipeError):
            return SinkError(f"{self.name}: the reading program closed the pipe")
        return SinkError(f"{self.name}: write failed: {error.strerror or error}")

    def _close(self) -> None:
        try:
            self._stream.close()
        except OSError:
            pass  # the reader is gone; there is nobody left to flush to
