"""Turning the model's coarse person probability into a video-quality alpha mask.

Two steps, both cheap next to inference:

* `TemporalSmoother`, at model resolution (256 x 144): an exponential moving average whose weight
  grows with the size of the change, so the small frame-to-frame jitter of a still person is damped
  (no flicker) while a real movement, which changes the probability by a lot, goes through at once
  (no ghost trailing behind a moving arm).
* `MaskRefiner`, at frame resolution: a *fast guided filter* (He & Sun, "Fast Guided Filter",
  arXiv:1505.00996) against the frame's luma. The linear coefficients a, b are solved on a 4x
  decimated grid with cv2.boxFilter (cv2.ximgproc.guidedFilter is not in the headless wheel), then
  upsampled and applied to the full-resolution luma, so the mask edge snaps to the real hair and
  shoulder edges instead of the model's blurry 5-pixel cells, without a halo. The threshold/softness
  ramp is folded into a and b, so the full-resolution work is one multiply-add that saturates
  straight to uint8.
"""

from __future__ import annotations

import threading

import cv2
import numpy as np

# Temporal smoothing: a change of 1 / SMOOTH_GAIN (0.25) or more in a pixel's probability is taken
# as motion and passes unsmoothed; smaller changes are jitter and move only SMOOTH_MIN_WEIGHT of
# the way per frame (an EMA with alpha 0.25: jitter's std drops to about 0.38x). A motion detector
# on the frame itself would separate the two better, at the cost of a full-frame pass.
SMOOTH_MIN_WEIGHT = 0.25
SMOOTH_GAIN = 4.0

# Guided filter, in units of the decimated grid: the coefficients are solved on the frame shrunk
# REFINE_DECIMATION times (320 x 180 for 720p). A radius of 3 there is 12 px in a 720p frame, just
# wider than the model's upsampled edge blur (one model cell is 5 px). EPS is in luma units squared
# (luma in [0, 1]): edges with a luma step under about sqrt(EPS) = 0.045 are smoothed over rather than
# followed, which keeps sensor noise and faint texture out of the mask edge.
REFINE_DECIMATION = 4
GUIDE_RADIUS = 3
GUIDE_EPS = 2e-3

# softness = 0 asks for a hard cut; the ramp can't be 0 wide, so use a ramp narrower than one
# 8-bit step of probability.
MIN_SOFTNESS = 1e-3


class TemporalSmoother:
    """Motion-adaptive EMA of the model output; keeps its state between frames until `reset`."""

    def __init__(self, min_weight: float = SMOOTH_MIN_WEIGHT, gain: float = SMOOTH_GAIN):
        self.min_weight = min_weight
        self.gain = gain
        self._state: np.ndarray | None = None

    def reset(self) -> None:
        """Forget the history (a new camera or a scene cut): the next frame is taken as is."""
        self._state = None

    def __call__(self, prob: np.ndarray) -> np.ndarray:
        """prob: H x W float32 in [0, 1] -> the smoothed probability (the smoother's own array)."""
        if self._state is None or self._state.shape != prob.shape:
            self._state = prob.astype(np.float32, copy=True)
            return self._state
        delta = prob - self._state
        weight = np.abs(delta)
        weight *= self.gain
        np.clip(weight, self.min_weight, 1.0, out=weight)
        delta *= weight
        self._state += delta
        return self._state


def box_mean(x: np.ndarray, radius: int) -> np.ndarray:
    """Mean over the (2r+1)^2 window around each pixel, borders reflected (cv2's BORDER_REFLECT_101)."""
    return cv2.boxFilter(x, cv2.CV_32F, (2 * radius + 1, 2 * radius + 1), normalize=True,
                         borderType=cv2.BORDER_REFLECT_101)


def guided_coefficients(guide: np.ndarray, p: np.ndarray, radius: int, eps: float
                        ) -> tuple[np.ndarray, np.ndarray]:
    """The guided filter's window-averaged linear coefficients: output = mean_a * guide + mean_b.

    guide, p: H x W float32 (guide in [0, 1]). Solves, in every window, the least-squares fit
    p ~ a * guide + b with a ridge of `eps` on a, then averages a and b over the windows that cover
    each pixel (He et al., "Guided Image Filtering", eq. 5-8).
    """
    mean_i = box_mean(guide, radius)
    mean_p = box_mean(p, radius)
    cov_ip = box_mean(guide * p, radius) - mean_i * mean_p
    var_i = box_mean(guide * guide, radius) - mean_i * mean_i
    a = cov_ip / (var_i + eps)
    b = mean_p - a * mean_i
    return box_mean(a, radius), box_mean(b, radius)


def ramp_bounds(threshold: float, softness: float) -> tuple[float, float]:
    """(low, width) of the linear ramp that maps probability to alpha: alpha = (p - low) / width."""
    width = max(softness, MIN_SOFTNESS)
    return threshold - width / 2, width


class MaskRefiner:
    """Edge-aware upsampling of the person probability to an 8-bit alpha mask at frame size.

    The full-resolution intermediates (luma and two float32 coefficient planes, 8 MB at 720p) are
    kept and reused, one set per refiner, under a lock: allocated per mask, glibc raised its mmap
    threshold as they were freed and kept later ones in the heap, so a long session with several
    segmented participants grew by tens of MB (`layers soak --segmentation`). Only the returned
    mask is new each time."""

    def __init__(self, threshold: float, softness: float, decimation: int = REFINE_DECIMATION,
                 radius: int = GUIDE_RADIUS, eps: float = GUIDE_EPS):
        self.threshold = threshold
        self.softness = softness
        self.decimation = decimation
        self.radius = radius
        self.eps = eps
        self._lock = threading.Lock()
        self._planes: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def _full_planes(self, height: int, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(luma uint8, a float32, b float32) at frame size, made again only when it changes."""
        if self._planes is None or self._planes[0].shape != (height, width):
            self._planes = (np.empty((height, width), np.uint8),
                            np.empty((height, width), np.float32),
                            np.empty((height, width), np.float32))
        return self._planes

    def __call__(self, prob: np.ndarray, rgb: np.ndarray) -> np.ndarray:
        """prob: h x w float32 person probability (any size); rgb: H x W x 3 uint8 -> H x W uint8 alpha."""
        with self._lock:
            return self._refine(prob, rgb)

    def _refine(self, prob: np.ndarray, rgb: np.ndarray) -> np.ndarray:
        height, width = rgb.shape[:2]
        luma, a_full, b_full = self._full_planes(height, width)
        cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY, dst=luma)
        small = (max(1, width // self.decimation), max(1, height // self.decimation))
        guide = cv2.resize(luma, small, interpolation=cv2.INTER_AREA).astype(np.float32)
        guide *= 1.0 / 255.0
        p = cv2.resize(prob, small, interpolation=cv2.INTER_LINEAR)
        mean_a, mean_b = guided_coefficients(guide, p, self.radius, self.eps)
        # Fold the threshold ramp and the 0..255 scales into the coefficients (cheap at low
        # resolution), so that at full resolution alpha = a * luma + b, saturated to 0..255.
        low, ramp = ramp_bounds(self.threshold, self.softness)
        mean_a *= 1.0 / ramp
        mean_b -= low
        mean_b *= 255.0 / ramp
        cv2.resize(mean_a, (width, height), dst=a_full, interpolation=cv2.INTER_LINEAR)
        cv2.resize(mean_b, (width, height), dst=b_full, interpolation=cv2.INTER_LINEAR)
        # luma is 0..255 and a was scaled for luma in 0..1, so a * luma already carries the 255.
        cv2.multiply(a_full, luma, dst=a_full, dtype=cv2.CV_32F)
        return cv2.add(a_full, b_full, dtype=cv2.CV_8U)
