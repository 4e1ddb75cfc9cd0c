"""Temporal smoothing and guided-filter edge refinement of the person probability."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from compositor.segmentation.refine import (
    MaskRefiner, TemporalSmoother, guided_coefficients, ramp_bounds,
)
from tests.segmentation import reference


# --- temporal smoothing -------------------------------------------------------------------------

def test_first_frame_passes_unchanged():
    prob = np.random.default_rng(1).random((144, 256), dtype=np.float32)
    np.testing.assert_array_equal(TemporalSmoother()(prob), prob)


def test_small_jitter_on_a_still_person_is_damped():
    rng = np.random.default_rng(2)
    still = np.full((144, 256), 0.7, np.float32)
    smoother = TemporalSmoother()
    outputs = [smoother(still + rng.normal(0, 0.03, still.shape).astype(np.float32)).copy()
               for _ in range(60)]
    jitter_in = 0.03
    jitter_out = np.std(np.stack(outputs[20:]), axis=0).mean()
    assert jitter_out < 0.5 * jitter_in


def test_large_change_passes_in_one_frame():
    smoother = TemporalSmoother()
    smoother(np.zeros((4, 4), np.float32))
    moved = smoother(np.ones((4, 4), np.float32))
    np.testing.assert_array_equal(moved, 1.0)


def test_reset_forgets_the_history():
    smoother = TemporalSmoother()
    smoother(np.zeros((4, 4), np.float32))
    smoother.reset()
    np.testing.assert_array_equal(smoother(np.full((4, 4), 0.1, np.float32)), np.float32(0.1))


# --- guided filter ------------------------------------------------------------------------------

@pytest.mark.parametrize("radius, eps", [(1, 1e-2), (3, 2e-3)])
def test_guided_coefficients_match_the_paper(radius, eps):
    rng = np.random.default_rng(3)
    guide = rng.random((37, 53), dtype=np.float32)
    p = cv2.GaussianBlur(rng.random((37, 53), dtype=np.float32), (7, 7), 0)
    mean_a, mean_b = guided_coefficients(guide, p, radius, eps)
    np.testing.assert_allclose(mean_a * guide + mean_b, reference.guided_filter(guide, p, radius, eps),
                               atol=2e-4)


def test_ramp_bounds():
    assert ramp_bounds(0.5, 0.1) == pytest.approx((0.45, 0.1))
    low, width = ramp_bounds(0.3, 0.0)
    assert 0 < width < 1 / 255 and low == pytest.approx(0.3, abs=1 / 255)


def _step_frame(edge_x=640, height=720, width=1280):
    """A dark 'person' left of edge_x on a bright wall: the edge the mask should snap to."""
    rgb = np.full((height, width, 3), 200, np.uint8)
    rgb[:, :edge_x] = 40
    return rgb


def _soft_prob(edge_x, blur_px, cells=256, rows=144, frame_width=1280):
    """Model-resolution probability with a soft edge centred at edge_x (frame px)."""
    centres = (np.arange(cells) + 0.5) * frame_width / cells
    prob = np.clip(0.5 - (centres - edge_x) / blur_px, 0, 1).astype(np.float32)
    return np.tile(prob, (rows, 1))


def test_refined_edge_snaps_to_the_frame_edge_without_a_halo():
    # The model puts the edge 6 px into the wall with a 40 px blur (its 0.5 band would keep a strip
    # of wall around the person); the frame's real edge is at 640.
    alpha = MaskRefiner(0.5, 0.1)(_soft_prob(646, 40), _step_frame(640))
    row = alpha[360].astype(int)
    assert (row[:638] == 255).all()
    assert (row[643:] == 0).all()  # no strip of wall kept: halo-free
    plain = cv2.resize(_soft_prob(646, 40), (1280, 720))[360]
    assert (plain[:645] > 0.5).all()  # without refinement the cut would sit 6 px into the wall


@pytest.mark.parametrize("prob, expected", [(0.5, 128), (0.56, 255), (0.44, 0), (0.52, 179)])
def test_threshold_and_softness_map_probability_to_alpha(prob, expected):
    flat = np.full((720, 1280, 3), 120, np.uint8)
    alpha = MaskRefiner(0.5, 0.1)(np.full((144, 256), prob, np.float32), flat)
    assert alpha.shape == (720, 1280) and alpha.dtype == np.uint8
    assert np.abs(alpha.astype(int) - expected).max() <= 1


def test_zero_softness_is_a_hard_cut():
    ramp = np.tile(np.linspace(0, 1, 256, dtype=np.float32), (144, 1))
    alpha = MaskRefiner(0.5, 0.0)(ramp, np.full((720, 1280, 3), 120, np.uint8))
    assert np.isin(alpha[:, 8:-8], (0, 255)).mean() > 0.995


def test_odd_small_frames_are_refined_at_their_own_size():
    rgb = np.random.default_rng(4).integers(0, 256, (7, 5, 3), dtype=np.uint8)
    alpha = MaskRefiner(0.5, 0.1)(np.ones((144, 256), np.float32), rgb)
    assert alpha.shape == (7, 5)
    assert (alpha == 255).all()


def test_full_frame_planes_are_reused_and_every_mask_is_new():
    """The refiner keeps its full-resolution planes between masks (allocated per mask, they made
    a long session's memory grow) and still returns a fresh mask each time, the same bytes a
    refiner that never reused anything gives, across a change of frame size."""
    rng = np.random.default_rng(3)
    kept = MaskRefiner(0.5, 0.3)
    masks, planes = [], []
    for shape in [(72, 128), (72, 128), (36, 64), (72, 128)]:
        rgb = rng.integers(0, 256, (*shape, 3), np.uint8)
        prob = rng.random((18, 32)).astype(np.float32)
        mask = kept(prob, rgb)
        np.testing.assert_array_equal(mask, MaskRefiner(0.5, 0.3)(prob, rgb))
        masks.append(mask)
        planes.append(kept._planes[1])
    assert planes[0] is planes[1] and planes[2].shape == (36, 64)
    assert not any(np.shares_memory(a, b) for i, a in enumerate(masks) for b in masks[i + 1:])
