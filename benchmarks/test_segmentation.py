"""pytest-benchmark suite for person segmentation at 720p (issue 6).

    .venv/bin/pytest benchmarks/test_segmentation.py --benchmark-enable

Parameter grid (asv style): model landscape/general x stage. Runs on whatever cores OpenCV picks;
`benchmarks/segmentation_bench.py` is the one-core measurement that `layers bench` reports.
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.segmentation_bench import camera_frames, run
from compositor.segmentation import Segmenter, blur_background

MODELS = ["landscape", "general"]


@pytest.fixture(scope="module")
def frame_720p() -> np.ndarray:
    return camera_frames(1280, 720, count=1)[0]


@pytest.mark.parametrize("model", MODELS)
def test_segment_720p(benchmark, model, frame_720p):
    seg = Segmenter(model)
    mask = benchmark(seg.segment, frame_720p)
    assert mask.shape == (720, 1280)


@pytest.mark.parametrize("model", MODELS)
def test_inference_720p(benchmark, model, frame_720p):
    seg = Segmenter(model)
    prob = benchmark(seg.infer, frame_720p)
    assert prob.shape == (seg.spec.height, seg.spec.width)


def test_refinement_720p(benchmark, frame_720p):
    seg = Segmenter()
    prob = seg.infer(frame_720p)
    mask = benchmark(seg.refine, prob, frame_720p)
    assert mask.shape == (720, 1280)


def test_blur_background_720p(benchmark, frame_720p):
    out = np.empty_like(frame_720p)
    assert benchmark(blur_background, frame_720p, out) is out


def test_run_reports_every_stage():
    report = run(frames=5)
    assert report["frame"] == "1280x720" and report["threads"] == 1
    for stage in ("inference_ms", "refinement_ms", "total_ms", "blur_ms"):
        assert 0 < report[stage]["median"] <= report[stage]["p99"]
