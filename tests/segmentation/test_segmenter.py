"""Segmenter on real photographs: the person opaque, the far background transparent, a stable mask."""

from __future__ import annotations

import numpy as np
import pytest

from compositor.errors import LayersValueError
from compositor.segmentation import Segmenter

# Regions of skimage's astronaut, in its 512x512 coordinates: (y0, y1, x0, x1).
FACE = (60, 130, 185, 265)
LEFT_SHOULDER = (250, 285, 75, 125)   # the orange suit, well inside the outline
RIGHT_SHOULDER = (260, 285, 290, 330)
WALL_BESIDE_HEAD = (20, 120, 320, 370)
WALL_ABOVE_LEFT = (0, 40, 90, 150)


def region(mask, box, scale=1.0):
    y0, y1, x0, x1 = (int(v * scale) for v in box)
    return mask[y0:y1, x0:x1]


def _iou(a, b):
    a, b = a >= 128, b >= 128
    return (a & b).sum() / (a | b).sum()


@pytest.mark.parametrize("model, image, scale", [
    ("general", "astronaut", 1.0),
    ("landscape", "astronaut_720p", 2.5),
    ("general", "astronaut_720p", 2.5),
])
def test_face_and_shoulders_opaque_far_background_transparent(model, image, scale, request):
    rgb = request.getfixturevalue(image)
    mask = Segmenter(model).segment(rgb)
    assert mask.shape == rgb.shape[:2] and mask.dtype == np.uint8
    for box in (FACE, LEFT_SHOULDER, RIGHT_SHOULDER):
        assert region(mask, box, scale).min() >= 250, box
    for box in (WALL_BESIDE_HEAD, WALL_ABOVE_LEFT):
        assert region(mask, box, scale).max() <= 5, box


def test_still_person_with_sensor_noise_gives_a_stable_mask(astronaut_720p):
    # 30 frames of the same scene, each with its own sensor noise (sigma 4 levels), as a webcam
    # pointed at someone sitting still delivers them.
    rng = np.random.default_rng(5)
    seg = Segmenter()
    masks = []
    for _ in range(30):
        noisy = astronaut_720p + rng.normal(0, 4, astronaut_720p.shape)
        masks.append(seg.segment(np.clip(noisy, 0, 255).astype(np.uint8)).astype(np.int16))
    changes = [np.abs(masks[i] - masks[i - 1]) for i in range(1, len(masks))]
    assert max(c.mean() for c in changes) < 0.5                 # mean change under half a level
    assert max((c > 64).mean() for c in changes) < 1e-3         # flicker: under 0.1% of pixels
    assert min(_iou(m, masks[0]) for m in masks) > 0.995


def test_a_repeated_frame_gives_the_identical_mask(astronaut_720p):
    seg = Segmenter()
    first = seg.segment(astronaut_720p)
    for _ in range(3):
        np.testing.assert_array_equal(seg.segment(astronaut_720p), first)


def test_mask_follows_a_move_at_once(astronaut_720p):
    # Temporal smoothing must not leave a ghost where the person was: after one frame of the
    # mirrored scene the mask is (nearly) what a fresh segmenter sees.
    mirrored = np.ascontiguousarray(astronaut_720p[:, ::-1])
    seg = Segmenter()
    for _ in range(5):
        seg.segment(astronaut_720p)
    moved = seg.segment(mirrored)
    assert _iou(moved, Segmenter().segment(mirrored)) > 0.98


def test_reset_drops_the_history(astronaut_720p):
    seg = Segmenter()
    seg.segment(astronaut_720p)
    seg.reset()
    mirrored = np.ascontiguousarray(astronaut_720p[:, ::-1])
    np.testing.assert_array_equal(seg.segment(mirrored), Segmenter().segment(mirrored))


def test_streams_share_the_model_but_not_the_history(astronaut_720p):
    """Two participants segmented in turn (one stream each) get exactly the masks each would
    get alone; through one shared history the second's mask would carry the first's."""
    rng = np.random.default_rng(5)
    mirrored = np.ascontiguousarray(astronaut_720p[:, ::-1])
    def noisy(rgb):
        return np.clip(rgb + rng.normal(0, 6, rgb.shape), 0, 255).astype(np.uint8)
    frames_a = [noisy(astronaut_720p) for _ in range(3)]
    frames_b = [noisy(mirrored) for _ in range(3)]
    shared = Segmenter()
    a, b = shared.stream(), shared.stream()
    assert a._runtime is shared._runtime and a._smoother is not b._smoother
    together = [(a.segment(fa), b.segment(fb)) for fa, fb in zip(frames_a, frames_b)]
    alone_a, alone_b = Segmenter(), Segmenter()
    for (mask_a, mask_b), fa, fb in zip(together, frames_a, frames_b):
        np.testing.assert_array_equal(mask_a, alone_a.segment(fa))
        np.testing.assert_array_equal(mask_b, alone_b.segment(fb))


def test_opencv_dnn_fallback_gives_the_same_mask(astronaut_720p):
    fallback = Segmenter(backend="opencv-dnn")
    assert fallback.backend == "opencv-dnn"
    diff = np.abs(fallback.segment(astronaut_720p).astype(int)
                  - Segmenter(backend="litert").segment(astronaut_720p))
    assert diff.mean() < 0.5 and (diff > 64).mean() < 1e-3


def test_views_and_odd_sizes_are_accepted(astronaut):
    seg = Segmenter()
    assert seg.segment(astronaut[:, ::-1]).shape == (512, 512)
    assert seg.segment(astronaut[11:344, 7:488]).shape == (333, 481)
    assert seg.segment(np.zeros((1, 1, 3), np.uint8)).shape == (1, 1)


def test_higher_threshold_keeps_less(astronaut_720p):
    strict = Segmenter(threshold=0.8).segment(astronaut_720p).astype(int)
    loose = Segmenter(threshold=0.2).segment(astronaut_720p).astype(int)
    assert (strict <= loose + 1).all()
    assert strict.sum() < loose.sum()


def test_infer_gives_the_raw_probability_at_model_size(astronaut_720p):
    prob = Segmenter().infer(astronaut_720p)
    assert prob.shape == (144, 256) and prob.dtype == np.float32
    assert 0.0 <= prob.min() and prob.max() <= 1.0


def test_properties_report_the_configuration():
    seg = Segmenter("general", threshold=0.6, softness=0.0)
    assert (seg.model, seg.backend, seg.threshold, seg.softness) == ("general", "litert", 0.6, 0.0)


@pytest.mark.parametrize("frame, message", [
    (np.zeros((720, 1280), np.uint8), r"shape \(720, 1280\)"),
    (np.zeros((720, 1280, 4), np.uint8), r"shape \(720, 1280, 4\)"),
    (np.zeros((0, 1280, 3), np.uint8), r"shape \(0, 1280, 3\)"),
    (np.zeros((720, 1280, 3), np.float32), "dtype float32"),
    ([[[0, 0, 0]]], "got list"),
])
def test_bad_frames_are_rejected_with_their_shape(frame, message):
    with pytest.raises(LayersValueError, match=message):
        Segmenter().segment(frame)


@pytest.mark.parametrize("kwargs, message", [
    ({"threshold": 0.0}, "threshold must be between 0 and 1 .exclusive., got 0.0"),
    ({"threshold": 1.5}, "threshold must be .*got 1.5"),
    ({"threshold": "high"}, "threshold must be a number, got 'high'"),
    ({"softness": -0.1}, "softness must be between 0 and 1, got -0.1"),
    ({"model": "portrait"}, "unknown segmentation model 'portrait'"),
    ({"backend": "onnx"}, "unknown segmentation backend 'onnx'"),
])
def test_bad_settings_are_rejected_naming_the_value(kwargs, message):
    with pytest.raises(LayersValueError, match=message):
        Segmenter(**kwargs)
