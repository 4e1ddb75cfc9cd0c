"""The camera protocol and the capture thread every camera shares.

A camera opens a source, then a daemon thread reads frames from it and keeps only the latest
(`latest()` never blocks). When reading fails the error is counted and reported (`error`), the
last frame stays available, and the thread reopens the source every `retry_interval` seconds
until it delivers again: an unplugged camera or a vanished file recovers on its own.
Subclasses implement `_open_source`, `_read` and `_close_source`.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import numpy as np

from cameras.frame import Frame

log = logging.getLogger(__name__)

DEFAULT_RETRY_INTERVAL = 0.5  # seconds between reopen attempts of a failed source
DEFAULT_CLOSE_TIMEOUT = 5.0  # seconds close() waits for a capture thread stuck in a driver call
FPS_SMOOTHING = 0.2  # EMA weight of the newest interval in `CameraStats.fps` (as pyvirtualcam's FPSCounter)


@dataclass
class CameraStats:
    """Counters a camera keeps since it was created (they survive close/reopen)."""

    frames: int = 0  # frames published
    drops: int = 0  # frames skipped to stay in real time (a paced source that fell behind)
    errors: int = 0  # failed opens and reads
    fps: float = 0.0  # measured delivery rate, exponentially smoothed

    def as_dict(self) -> dict:
        return {"frames": self.frames, "drops": self.drops, "errors": self.errors, "fps": round(self.fps, 2)}


class Camera:
    """Base of every camera: `open()`, `latest()`, `info()`, `stats`, `close()`, context manager."""

    retry_interval: float = DEFAULT_RETRY_INTERVAL

    def __init__(self, camera_id: str, name: str):
        self.id = camera_id
        self.name = name
        self.stats = CameraStats()
        self.error: str | None = None  # why the source is failing; None while it delivers
        self._frame: Frame | None = None
        self._seq = 0
        self._details: dict = {}  # negotiated format, filled in by _open_source
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lifecycle = threading.Lock()

    # ------------------------------------------------------------ public protocol

    def open(self) -> Camera:
        """Open the source and start capturing; raises `CameraError`/`CameraNotFound` if it cannot.

        Opening an open camera does nothing; a closed camera can be opened again.
        """
        with self._lifecycle:
            if self._thread is not None:
                return self
            self._stop.clear()
            self._frame, self._seq, self.error = None, 0, None
            try:
                self._open_source()
            except Exception:
                self.stats.errors += 1
                self._close_source()
                raise
            self._thread = threading.Thread(target=self._run, name=f"camera {self.id}", daemon=True)
            self._thread.start()
        return self

    def latest(self) -> Frame | None:
        """The newest frame, or None before the first one; never blocks."""
        return self._frame

    @property
    def is_open(self) -> bool:
        return self._thread is not None

    def info(self) -> dict:
        """What the source actually gave: size, fps, pixel format, backend, plus counters."""
        frame = self._frame
        size = {"width": frame.width, "height": frame.height} if frame is not None else {}
        return {"id": self.id, "name": self.name, **self._details, **size,
                "open": self.is_open, "error": self.error, "stats": self.stats.as_dict()}

    def close(self) -> None:
        """Stop the capture thread and release the source; safe to call any number of times."""
        with self._lifecycle:
            thread, self._thread = self._thread, None
            if thread is None:
                return
            self._stop.set()
            thread.join(DEFAULT_CLOSE_TIMEOUT)
            if thread.is_alive():
                log.warning("camera %s: capture thread did not stop within %.0f s", self.id, DEFAULT_CLOSE_TIMEOUT)

    def __enter__(self) -> Camera:
        return self.open()

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r}, name={self.name!r})"

    # ------------------------------------------------------------ for subclasses

    def _open_source(self) -> None:
        """Open the device/file/generator; fill `self._details`. Raise if it cannot be opened."""
        raise NotImplementedError

    def _read(self) -> np.ndarray | None:
        """Wait for the next frame and return it as HxWx3 uint8 RGB (a new array each time).

        Return None to publish nothing this round (stop requested, frame skipped). Raise on failure.
        Waiting must use `self._wait_until`/`self._stop` so that close() is prompt.
        """
        raise NotImplementedError

    def _close_source(self) -> None:
        """Release what `_open_source` took; must be idempotent."""

    def _wait_until(self, deadline: float) -> bool:
        """Sleep until time.monotonic() reaches `deadline`; False if close() was called meanwhile."""
        delay = deadline - time.monotonic()
        if delay > 0:
            return not self._stop.wait(delay)
        return not self._stop.is_set()

    # ------------------------------------------------------------ capture thread

    def _run(self) -> None:
        needs_open = False
        try:
            while not self._stop.is_set():
                try:
                    if needs_open:
                        self._open_source()
                        needs_open = False
                    rgb = self._read()
                except Exception as error:  # any failure of the source is reported, never fatal
                    self._fail(error)
                    self._close_source()
                    needs_open = True
                    self._stop.wait(self.retry_interval)
                    continue
                if rgb is not None and not self._stop.is_set():
                    self._publish(rgb)
        finally:
            self._close_source()

    def _fail(self, error: Exception) -> None:
        self.stats.errors += 1
        message = f"{type(error).__name__}: {error}"
        if self.error is None:
            log.warning("camera %s failed: %s (retrying every %.1f s)", self.id, message, self.retry_interval)
        self.error = message

    def _publish(self, rgb: np.ndarray) -> None:
        now = time.monotonic()
        rgb.flags.writeable = False  # published frames are shared across threads: freeze them
        previous = self._frame
        self._seq += 1
        self._frame = Frame(rgb, now, self._seq)
        self.stats.frames += 1
        if previous is not None and now > previous.timestamp:
            rate = 1.0 / (now - previous.timestamp)
            self.stats.fps = rate if self.stats.fps == 0 else self.stats.fps + FPS_SMOOTHING * (rate - self.stats.fps)
        if self.error is not None:
            log.info("camera %s recovered", self.id)
            self.error = None
