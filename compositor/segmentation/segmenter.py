"""`Segmenter`: an RGB frame in, the person's alpha mask out (frame size, uint8, 255 = person).

Per frame: stretch the frame to the model's input (INTER_AREA, as MediaPipe's own graph does: no
letterbox), infer, smooth in time at model resolution, then refine edges against the frame at full
resolution (see `refine.py`). One Segmenter keeps the temporal state of one video stream.
"""

from __future__ import annotations

import copy
import threading

import cv2
import numpy as np

from compositor.errors import LayersValueError
from compositor.segmentation.models import DEFAULT_MODEL, model_spec
from compositor.segmentation.refine import MaskRefiner, TemporalSmoother
from compositor.segmentation.runtime import open_runtime

DEFAULT_THRESHOLD = 0.5
DEFAULT_SOFTNESS = 0.1


def check_rgb(rgb: np.ndarray) -> None:
    """Raise LayersValueError unless rgb is an H x W x 3 uint8 array."""
    if not isinstance(rgb, np.ndarray):
        raise LayersValueError(f"expected an H x W x 3 uint8 RGB numpy array, got {type(rgb).__name__}")
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.shape[0] == 0 or rgb.shape[1] == 0:
        raise LayersValueError(f"unexpected frame shape {rgb.shape}: expected (height, width, 3) RGB")
    if rgb.dtype != np.uint8:
        raise LayersValueError(f"unexpected frame dtype {rgb.dtype}: expected uint8")


def _check_unit(name: str, value: float, low_open: bool) -> float:
    """`value` as a float in (0, 1) (low_open) or [0, 1], else a LayersValueError naming it."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise LayersValueError(f"{name} must be a number, got {value!r}") from None
    ok = (0.0 < value < 1.0) if low_open else (0.0 <= value <= 1.0)
    if not ok:
        bounds = "between 0 and 1 (exclusive)" if low_open else "between 0 and 1"
        raise LayersValueError(f"{name} must be {bounds}, got {value!r}")
    return value


class Segmenter:
    """Person segmentation for one video stream (`stream()` gives another, sharing the model).

    model: "landscape" (256x144, the default, for 16:9 video) or "general" (256x256, for square or
    portrait frames). threshold: the person probability that maps to alpha 128. softness: the width of
    the probability ramp from alpha 0 to 255 around the threshold (0 = hard cut). backend: None tries
    LiteRT then OpenCV DNN; "litert" or "opencv-dnn" forces one. num_threads: inference threads
    (1 leaves the other core to the compositor; more barely helps on a 2-core machine).

    Raises SegmenterUnavailable (a LayersError) when no runtime can load the model.
    `segment` may be called from any thread, one call at a time (a lock serialises calls).
    """

    def __init__(self, model: str = DEFAULT_MODEL, threshold: float = DEFAULT_THRESHOLD,
                 softness: float = DEFAULT_SOFTNESS, *, backend: str | None = None,
                 num_threads: int = 1):
        self.spec = model_spec(model)
        threshold = _check_unit("threshold", threshold, low_open=True)
        softness = _check_unit("softness", softness, low_open=False)
        self._runtime = open_runtime(self.spec, backend, num_threads)
        self._input = np.zeros((1, self.spec.height, self.spec.width, 3), np.float32)
        self._smoother = TemporalSmoother()
        self._refiner = MaskRefiner(threshold, softness)
        self._lock = threading.Lock()

    @property
    def model(self) -> str:
        return self.spec.name

    @property
    def backend(self) -> str:
        """The runtime that loaded the model: "litert" or "opencv-dnn"."""
        return self._runtime.name

    @property
    def threshold(self) -> float:
        return self._refiner.threshold

    @property
    def softness(self) -> float:
        return self._refiner.softness

    def stream(self) -> "Segmenter":
        """A segmenter for one more video stream: it shares this one's loaded model (and the lock
        that serialises it) but keeps its own temporal history, so masks of two participants
        segmented in turn never blend into each other."""
        other = copy.copy(self)
        other._smoother = TemporalSmoother(self._smoother.min_weight, self._smoother.gain)
        return other

    def reset(self) -> None:
        """Drop the temporal history, e.g. when the camera changes."""
        with self._lock:
            self._smoother.reset()

    def infer(self, rgb: np.ndarray) -> np.ndarray:
        """The raw person probability at model resolution (float32, a fresh array), no smoothing."""
        check_rgb(rgb)
        with self._lock:
            return self._infer(rgb).copy()

    def refine(self, prob: np.ndarray, rgb: np.ndarray) -> np.ndarray:
        """Edge-refine a probability map (any size) against rgb -> H x W uint8 alpha. Stateless."""
        check_rgb(rgb)
        return self._refiner(np.asarray(prob, np.float32), rgb)

    def segment(self, rgb: np.ndarray) -> np.ndarray:
        """H x W x 3 uint8 RGB -> H x W uint8 person alpha (255 = person), smoothed over time."""
        check_rgb(rgb)
        with self._lock:
            prob = self._smoother(self._infer(rgb))
            return self._refiner(prob, rgb)

    def _infer(self, rgb: np.ndarray) -> np.ndarray:
        small = cv2.resize(rgb, (self.spec.width, self.spec.height), interpolation=cv2.INTER_AREA)
        np.multiply(small, np.float32(1.0 / 255.0), out=self._input[0])
        return self._runtime.run(self._input)
