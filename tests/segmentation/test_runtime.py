"""Both inference backends load the vendored model and agree; failures are aggregated with hints."""

from __future__ import annotations

import numpy as np
import pytest

from compositor.errors import LayersValueError
from compositor.segmentation import runtime
from compositor.segmentation.models import MODELS, SegmenterUnavailable
from compositor.segmentation.runtime import open_runtime


def _input(spec, seed=7):
    rng = np.random.default_rng(seed)
    return rng.random((1, spec.height, spec.width, 3), dtype=np.float32)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_litert_and_opencv_dnn_give_the_same_probability(name):
    spec = MODELS[name]
    x = _input(spec)
    litert = open_runtime(spec, "litert")
    opencv = open_runtime(spec, "opencv-dnn")
    a, b = litert.run(x), opencv.run(x)
    assert a.shape == b.shape == (spec.height, spec.width)
    assert a.dtype == np.float32
    assert 0.0 <= a.min() and a.max() <= 1.0
    np.testing.assert_allclose(a, b, atol=1e-3)


def test_default_prefers_litert():
    assert open_runtime(MODELS["landscape"]).name == "litert"


def test_falls_back_to_opencv_when_litert_is_missing(monkeypatch):
    monkeypatch.setitem(runtime.BACKENDS, "litert", _failing("No module named 'ai_edge_litert'"))
    assert open_runtime(MODELS["landscape"]).name == "opencv-dnn"


def test_no_backend_lists_every_reason_and_the_fix(monkeypatch):
    monkeypatch.setitem(runtime.BACKENDS, "litert", _failing("No module named 'ai_edge_litert'"))
    monkeypatch.setitem(runtime.BACKENDS, "opencv-dnn", _failing("OpenCV 4.5 has no readNetFromTFLite"))
    with pytest.raises(SegmenterUnavailable) as info:
        open_runtime(MODELS["landscape"])
    message = str(info.value)
    assert "'litert' backend: No module named 'ai_edge_litert'" in message
    assert "'opencv-dnn' backend: OpenCV 4.5" in message
    assert "pip install ai-edge-litert" in message


def test_unknown_backend_is_a_value_error():
    with pytest.raises(LayersValueError, match="'onnx'"):
        open_runtime(MODELS["landscape"], "onnx")


def _failing(reason):
    def backend(spec, model, num_threads):
        raise RuntimeError(reason)
    return backend
