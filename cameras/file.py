"""A video file or stream played as a camera, in real time, via PyAV."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import av
import numpy as np

from cameras.base import Camera
from compositor.errors import CameraError, CameraNotFound

URL_PATTERN = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
URL_TIMEOUT = 5.0  # seconds PyAV waits for a network stream before the read counts as failed
FALLBACK_FPS = 30.0  # for streams that declare no frame rate


class FileCamera(Camera):
    """Plays `path_or_url` paced to its own timestamps; loops back to the start when `loop`.

    Frame times come from the stream (pts); a frame that is already more than one frame period
    late when decoded is skipped (`stats.drops`), so playback never drifts behind real time.
    A file that disappears fails at the next loop (or read), is reported, and is reopened from
    the start once it is back. Without `loop`, the last frame stays and nothing more arrives.
    """

    def __init__(self, path_or_url: str | os.PathLike, loop: bool = True, *, camera_id: str | None = None,
                 name: str | None = None):
        self.source = str(path_or_url)
        self.is_url = bool(URL_PATTERN.match(self.source))
        self.loop = loop
        label = self.source if self.is_url else Path(self.source).name
        super().__init__(camera_id or (self.source if self.is_url else f"file:{self.source}"),
                         name or f"{'Stream' if self.is_url else 'Video file'} {label}")
        self._container = None
        self._frames = None
        self._clock_start: float | None = None  # monotonic time of media time 0
        self._loop_offset = 0.0  # media time added by completed loops
        self._first_time: float | None = None  # pts of the first frame of the current pass
        self._pass_frames = 0
        self._last_media = 0.0
        self._period = 1.0 / FALLBACK_FPS
        self._ended = False

    # ------------------------------------------------------------ source

    def _open_source(self) -> None:
        self._open_container()
        self._clock_start, self._loop_offset, self._last_media, self._ended = None, 0.0, 0.0, False

    def _open_container(self) -> None:
        if not self.is_url and not os.path.exists(self.source):
            raise CameraNotFound(f"video file {self.source!r} does not exist")
        try:
            container = av.open(self.source, timeout=URL_TIMEOUT if self.is_url else None)
        except av.error.FFmpegError as error:
            raise CameraError(f"cannot open video {self.source!r}: {error}") from error
        if not container.streams.video:
            container.close()
            raise CameraError(f"{self.source!r} has no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        rate = stream.average_rate or stream.guessed_rate
        fps = float(rate) if rate else FALLBACK_FPS
        self._container, self._frames = container, container.decode(stream)
        self._period, self._first_time = 1.0 / fps, None
        self._details = {"backend": "pyav", "width": stream.codec_context.width, "height": stream.codec_context.height,
                         "fps": round(fps, 3), "pixel_format": stream.codec_context.pix_fmt,
                         "codec": stream.codec_context.name, "loop": self.loop, "source": self.source}

    def _close_source(self) -> None:
        container, self._container, self._frames = self._container, None, None
        if container is not None:
            container.close()

    # ------------------------------------------------------------ reading

    def _read(self) -> np.ndarray | None:
        while not self._stop.is_set():
            frame = self._next_decoded()
            if frame is None:
                return None
            media = self._media_time(frame)
            if self._clock_start is None:
                self._clock_start = time.monotonic() - media
            due = self._clock_start + media
            if time.monotonic() - due > self._period:
                self.stats.drops += 1  # late by more than a frame: skip it, the next one may be on time
                continue
            rgb = frame.to_ndarray(format="rgb24")
            if not self._wait_until(due):
                return None
            return rgb
        return None

    def _next_decoded(self):
        """The next decoded frame, rewinding at the end when looping; None once a one-shot file ended."""
        if self._ended:
            self._stop.wait()  # hold the last frame until close()
            return None
        frame = next(self._frames, None)
        if frame is None and self.loop:
            self._loop_offset = self._last_media + self._period
            self._close_source()
            self._open_container()  # reopening (not seeking) also notices a file that was removed
            frame = next(self._frames, None)
        if frame is None:
            if self.loop:
                raise CameraError(f"{self.source!r} decoded no frames")
            self._ended = True
        return frame

    def _media_time(self, frame) -> float:
        """Seconds since the first frame of the first pass, counting completed loops."""
        t = frame.time
        if self._first_time is None:
            self._first_time, self._pass_frames = (t if t is not None else 0.0), 0
        if t is None:  # no pts: assume a constant rate
            t = self._first_time + self._pass_frames * self._period
        self._pass_frames += 1
        self._last_media = self._loop_offset + (t - self._first_time)
        return self._last_media
