"""The one small protocol every output follows, and the null sink.

A sink is opened once with the canvas size and frame rate, receives frames (HxWx3 uint8 RGB,
read-only: the buffer goes back to the render loop's pool after `write` returns, so a sink that
keeps pixels copies them), and is closed once. `close()` is idempotent. Sinks run on their own
thread inside the render loop; they never need locks for that.

Each sink carries one view: "stream" (what others receive; default) or "self" (the local
self-view, where mirrorMyVideo applies; the preview's default).

A sink keeps the size it was opened with for its whole life (an encoder or a virtual camera
cannot change size mid-stream): frames of another size, after the rendering context changed,
are scaled to it.
"""

from __future__ import annotations

import cv2
import numpy as np

from compositor.errors import LayersValueError, SinkError
from compositor.stats import FrameMeta

VIEWS = ("stream", "self")


def check_view(view: str) -> str:
    if view not in VIEWS:
        raise LayersValueError(f"unknown view {view!r}: expected one of {', '.join(VIEWS)}")
    return view


def check_size(size: tuple[int, int]) -> tuple[int, int]:
    width, height = (int(v) for v in size)
    if width <= 0 or height <= 0:
        raise LayersValueError(f"bad frame size {size!r}: width and height must be positive")
    return width, height


class Sink:
    """Base of every output. Subclasses implement `_open`, `_write`, `_close` and `format`."""

    name = "sink"

    def __init__(self, view: str = "stream"):
        self.view = check_view(view)
        self.size: tuple[int, int] | None = None
        self.fps: float | None = None
        self._closed = False
        self._fitted: np.ndarray | None = None

    @property
    def is_open(self) -> bool:
        return self.size is not None and not self._closed

    def open(self, size: tuple[int, int], fps: float) -> None:
        """Negotiate size (width, height) and fps; a second call on an open sink does nothing."""
        if self.is_open:
            return
        if self._closed:
            raise SinkError(f"output {self.name!r} is closed; open a new one")
        if fps <= 0:
            raise LayersValueError(f"bad frame rate {fps!r}: must be positive")
        size = check_size(size)
        self._open(size, float(fps))
        self.size, self.fps = size, float(fps)

    def write(self, frame: np.ndarray, meta: FrameMeta) -> None:
        if not self.is_open:
            raise SinkError(f"output {self.name!r} is not open")
        self._write(self._fit(frame), meta)

    def close(self) -> None:
        """Finish the output; safe to call any number of times."""
        if self._closed:
            return
        self._closed = True
        if self.size is not None:
            self._close()

    def describe(self) -> str:
        """What this output is, the view it carries and the negotiated format."""
        return f"{self.name}: {self.view} view, {self.format()}"

    def format(self) -> str:
        if self.size is None:
            return "not open"
        return f"rgb24 {self.size[0]}x{self.size[1]}@{self.fps:g}"

    def __enter__(self) -> Sink:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"

    def _fit(self, frame: np.ndarray) -> np.ndarray:
        """Scale a frame of another size to the negotiated one, into a reused buffer."""
        width, height = self.size
        if frame.shape[:2] == (height, width):
            return frame
        if self._fitted is None:
            self._fitted = np.empty((height, width, 3), np.uint8)
        return cv2.resize(frame, (width, height), dst=self._fitted, interpolation=cv2.INTER_AREA)

    def _open(self, size: tuple[int, int], fps: float) -> None:
        """Acquire the resource; raise SinkError with a clear message on failure."""

    def _write(self, frame: np.ndarray, meta: FrameMeta) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        """Release the resource; called once, only if `_open` succeeded."""


class NullSink(Sink):
    """Accepts and discards frames: the loop's own cost, for benchmarks."""

    name = "null"

    def __init__(self, view: str = "stream"):
        super().__init__(view)
        self.frames = 0

    def _write(self, frame: np.ndarray, meta: FrameMeta) -> None:
        self.frames += 1
