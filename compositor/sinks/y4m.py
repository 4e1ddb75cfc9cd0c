"""YUV4MPEG2 output: an uncompressed stream every video tool reads (ffmpeg, x264, mpv, PyAV).

Layout: one text header line, then per frame `FRAME\\n` and the planes. 4:2:0 (C420jpeg:
chroma averaged over each 2x2 block, centred, which is what OpenCV's I420 conversion does) by
default; 4:4:4 keeps every chroma sample. Colours are BT.601 limited range, said in the header.
"""

from __future__ import annotations

from fractions import Fraction
from typing import BinaryIO

import numpy as np

from compositor.errors import LayersValueError, SinkError
from compositor.sinks.base import Sink
from compositor.sinks.yuv import rgb_to_i420, rgb_to_yuv444
from compositor.stats import FrameMeta

CHROMA_TAGS = {"420": "C420jpeg", "444": "C444"}


def y4m_header(width: int, height: int, fps: float, chroma: str = "420") -> bytes:
    """The stream header; fps is written as an exact ratio (29.97 -> 30000:1001)."""
    if chroma not in CHROMA_TAGS:
        raise LayersValueError(f"unknown Y4M chroma {chroma!r}: expected one of {', '.join(CHROMA_TAGS)}")
    rate = Fraction(fps).limit_denominator(1001)
    return (f"YUV4MPEG2 W{width} H{height} F{rate.numerator}:{rate.denominator} Ip A1:1 "
            f"{CHROMA_TAGS[chroma]} XCOLORRANGE=LIMITED\n").encode("ascii")


class Y4MWriter:
    """Writes Y4M to a binary file object; shared by the .y4m file sink and the pipe sink."""

    def __init__(self, stream: BinaryIO, width: int, height: int, fps: float, chroma: str = "420"):
        self._stream, self._chroma = stream, chroma
        header = y4m_header(width, height, fps, chroma)
        if chroma == "420":  # fail now, not on the first frame
            rgb_to_i420(np.zeros((height, width, 3), np.uint8))
            self._planes = np.empty((height * 3 // 2, width), np.uint8)
        stream.write(header)

    def write(self, rgb: np.ndarray) -> None:
        if self._chroma == "420":
            planes = rgb_to_i420(rgb, out=self._planes)
        else:
            planes = rgb_to_yuv444(rgb)
        self._stream.write(b"FRAME\n")
        self._stream.write(memoryview(planes).cast("B"))


class Y4MSink(Sink):
    """`--out FILE.y4m`: exact, uncompressed frames (207 MB per 5 s of 720p)."""

    def __init__(self, path: str, chroma: str = "420", view: str = "stream"):
        super().__init__(view)
        self.path, self.chroma = str(path), chroma
        self.name = self.path
        self._file: BinaryIO | None = None
        self._writer: Y4MWriter | None = None

    def format(self) -> str:
        if self.size is None:
            return "not open"
        return f"Y4M {CHROMA_TAGS[self.chroma]} {self.size[0]}x{self.size[1]}@{self.fps:g}"

    def _open(self, size: tuple[int, int], fps: float) -> None:
        try:
            self._file = open(self.path, "wb")
        except OSError as error:
            raise SinkError(f"cannot create {self.path}: {error.strerror or error}") from error
        try:
            self._writer = Y4MWriter(self._file, size[0], size[1], fps, self.chroma)
        except BaseException:
            self._file.close()
            raise

    def _write(self, frame: np.ndarray, meta: FrameMeta) -> None:
        try:
            self._writer.write(frame)
        except OSError as error:
            raise SinkError(f"writing {self.path} failed: {error.strerror or error}") from error

    def _close(self) -> None:
        self._file.close()
