"""Inference runtimes for the segmentation model: LiteRT first, OpenCV DNN as the fallback.

Both backends take the model-sized RGB image as float32 in [0, 1] (NHWC, 1 x H x W x 3) and return
the person probability at model resolution (H x W float32). `open_runtime` tries them in order and,
when none loads, raises one SegmenterUnavailable that lists every backend's reason with a fix-it hint
(the pyvirtualcam pattern: `'<name>' backend: <reason>`).
"""

from __future__ import annotations

from typing import Callable, Protocol

import numpy as np

from compositor.errors import LayersValueError
from compositor.segmentation.models import ModelSpec, SegmenterUnavailable, load_model_bytes


class Runtime(Protocol):
    """A loaded model. `run` may reuse its output buffer: copy it if you keep it past the next call."""

    name: str

    def run(self, x: np.ndarray) -> np.ndarray:
        """x: 1 x H x W x 3 float32 RGB in [0, 1] -> H x W float32 person probability."""
        ...


class LiteRtRuntime:
    """Google's LiteRT (ai-edge-litert): the fast path, about 2 ms per landscape inference on one core."""

    name = "litert"

    def __init__(self, spec: ModelSpec, model: bytes, num_threads: int):
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as exc:
            raise RuntimeError(f"{exc} (pip install ai-edge-litert)") from exc
        self._interpreter = Interpreter(model_content=model, num_threads=num_threads)
        self._interpreter.allocate_tensors()
        self._input = self._interpreter.get_input_details()[0]["index"]
        self._output = self._interpreter.get_output_details()[0]["index"]

    def run(self, x: np.ndarray) -> np.ndarray:
        self._interpreter.set_tensor(self._input, x)
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._output)[0, :, :, 0]


class OpenCvDnnRuntime:
    """OpenCV's TFLite importer: no extra package, same output to 4e-5, but 2-3x slower than LiteRT."""

    name = "opencv-dnn"

    def __init__(self, spec: ModelSpec, model: bytes, num_threads: int):
        import cv2

        if not hasattr(cv2.dnn, "readNetFromTFLite"):
            raise RuntimeError(
                f"OpenCV {cv2.__version__} has no cv2.dnn.readNetFromTFLite (it needs OpenCV >= 4.10)"
            )
        # num_threads is not applied: cv2.setNumThreads is process-wide and would change every other
        # OpenCV call in the compositor.
        self._net = cv2.dnn.readNetFromTFLite(np.frombuffer(model, np.uint8))

    def run(self, x: np.ndarray) -> np.ndarray:
        # The importer accepts only NCHW: an NHWC blob fails with "Number of input channels should be
        # multiple of 3 but got 256".
        self._net.setInput(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
        return self._net.forward()[0, 0]


# Tried in this order when no backend is named.
BACKENDS: dict[str, Callable[[ModelSpec, bytes, int], Runtime]] = {
    LiteRtRuntime.name: LiteRtRuntime,
    OpenCvDnnRuntime.name: OpenCvDnnRuntime,
}


def open_runtime(spec: ModelSpec, backend: str | None = None, num_threads: int = 1) -> Runtime:
    """Load `spec` with the named backend, or with the first of BACKENDS that works.

    Raises SegmenterUnavailable listing why each backend failed, LayersValueError for an unknown
    backend name.
    """
    if backend is not None and backend not in BACKENDS:
        raise LayersValueError(
            f"unknown segmentation backend {backend!r}: expected one of {', '.join(map(repr, BACKENDS))}"
        )
    model = load_model_bytes(spec)
    names = [backend] if backend is not None else list(BACKENDS)
    reasons = []
    for name in names:
        try:
            return BACKENDS[name](spec, model, num_threads)
        except Exception as exc:  # any failure to load means "try the next one"; all are reported
            reasons.append(f"'{name}' backend: {exc}")
    raise SegmenterUnavailable(
        f"no runtime could load the segmentation model {spec.filename!r}: " + "; ".join(reasons)
        + ". Install ai-edge-litert (pip install ai-edge-litert) or opencv-python-headless >= 4.10"
    )
