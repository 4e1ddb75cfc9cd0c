"""`LiveSegmenter`: person segmentation on its own thread, off the render loop.

The render loop calls `submit(frame, seq)` every frame and `latest()` whenever it composes; neither
ever waits for inference. Only the newest pending frame is kept (a frame that arrives while another
is pending replaces it and counts as dropped), so the mask is at most one inference behind the camera
and a slow segmenter lowers the mask rate instead of building a queue. `rate` caps the mask rate
below the camera's (the compositor reuses the last mask in between).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from typing import Callable, Protocol

import numpy as np

from compositor.errors import LayersValueError
from compositor.segmentation.segmenter import check_rgb

log = logging.getLogger(__name__)


class SupportsSegment(Protocol):
    def segment(self, rgb: np.ndarray) -> np.ndarray: ...


class LiveSegmenter:
    """Runs `segmenter.segment` on a worker thread over the newest submitted frame.

    rate: at most this many masks per second (None: as fast as frames come, i.e. the camera rate).
    on_error: called once, on the worker thread, with the first exception `segment` raises; later
    errors are only counted (`errors`). Without it the first error is logged. After an error
    `latest()` keeps returning the last good mask, and `failing` is True until a frame segments again
    (a caller that must not show a stale mask checks it).
    Use as a context manager, or call `close()` (idempotent).
    """

    def __init__(self, segmenter: SupportsSegment, rate: float | None = None,
                 on_error: Callable[[BaseException], None] | None = None):
        if rate is not None and not (isinstance(rate, (int, float)) and math.isfinite(rate) and rate > 0):
            raise LayersValueError(f"rate must be a positive number of masks per second or None, got {rate!r}")
        self.segmenter = segmenter
        self.rate = rate
        self.on_error = on_error
        self.frames_submitted = 0
        self.frames_segmented = 0
        self.frames_dropped = 0
        self.errors = 0
        self.last_error: BaseException | None = None
        self.failing = False          # the newest segment() call raised
        self._cond = threading.Condition()
        self._closed = False
        # Two frame buffers: submit copies into _pending_buf while the worker reads _work_buf, so a
        # camera that reuses its own buffer can't tear the frame under inference.
        self._pending_buf: np.ndarray | None = None
        self._work_buf: np.ndarray | None = None
        self._pending_seq: int | None = None
        self._latest: tuple[np.ndarray, int] | None = None
        self._thread = threading.Thread(target=self._run, name="layers-segmentation", daemon=True)
        self._thread.start()

    def submit(self, frame_rgb: np.ndarray, seq: int) -> bool:
        """Offer a frame (H x W x 3 uint8 RGB; copied). Never waits for inference.

        Returns False, dropping the frame, once the segmenter is closed.
        """
        check_rgb(frame_rgb)
        with self._cond:
            if self._closed:
                return False
            self.frames_submitted += 1
            if self._pending_seq is not None:
                self.frames_dropped += 1
            if self._pending_buf is None or self._pending_buf.shape != frame_rgb.shape:
                self._pending_buf = np.empty_like(frame_rgb)
            np.copyto(self._pending_buf, frame_rgb)
            self._pending_seq = seq
            self._cond.notify()
        return True

    def latest(self) -> tuple[np.ndarray, int] | None:
        """(mask, seq of the frame it was computed from) for the newest mask, or None before the first."""
        with self._cond:
            return self._latest

    def close(self) -> None:
        """Stop the worker after its current frame and wait for it. Safe to call more than once."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not threading.current_thread():
            self._thread.join()

    def __enter__(self) -> "LiveSegmenter":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _next_frame(self, not_before: float) -> tuple[np.ndarray, int] | None:
        """Wait until `not_before` (rate limit) and a pending frame, then take it; None once closed."""
        with self._cond:
            while not self._closed:
                wait = not_before - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                elif self._pending_seq is None:
                    self._cond.wait()
                else:
                    frame, seq = self._pending_buf, self._pending_seq
                    self._pending_buf, self._work_buf = self._work_buf, frame
                    self._pending_seq = None
                    return frame, seq
        return None

    def _run(self) -> None:
        interval = 0.0 if self.rate is None else 1.0 / self.rate
        not_before = 0.0
        while (item := self._next_frame(not_before)) is not None:
            frame, seq = item
            started = time.monotonic()
            not_before = started + interval
            try:
                mask = self.segmenter.segment(frame)
            except Exception as exc:  # the thread must survive a bad frame; reported once
                self.failing = True
                self._report(exc)
                continue
            with self._cond:
                self._latest = (mask, seq)
                self.frames_segmented += 1
                self.failing = False

    def _report(self, exc: Exception) -> None:
        self.errors += 1
        first = self.last_error is None
        self.last_error = exc
        if not first:
            return
        if self.on_error is None:
            log.error("person segmentation failed; keeping the last good mask", exc_info=exc)
            return
        try:
            self.on_error(exc)
        except Exception:
            log.exception("on_error callback failed")
