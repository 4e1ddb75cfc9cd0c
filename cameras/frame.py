"""The unit every camera publishes: one immutable RGB image with its capture time."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Frame:
    """One captured image.

    `rgb` is HxWx3 uint8 RGB, C-contiguous and read-only: cameras publish a new array for every
    frame and never write to one they have handed out, so consumers on other threads may keep
    it without copying (a frame is never torn).
    """

    rgb: np.ndarray  # HxWx3 uint8 RGB, C-contiguous, never mutated after it is published
    timestamp: float  # time.monotonic() at capture
    seq: int  # per-camera sequence number, 1 for the first frame after open()

    @property
    def width(self) -> int:
        return self.rgb.shape[1]

    @property
    def height(self) -> int:
        return self.rgb.shape[0]
