"""blur_background: a strong, cheap blur of the whole frame, optionally into a given buffer."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from compositor.errors import LayersValueError
from compositor.segmentation import blur_background


def _detail(rgb):
    """Energy of the detail finer than about 10 px: mean distance of the luma from its local mean."""
    luma = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return np.abs(luma - cv2.GaussianBlur(luma, (0, 0), 3)).mean()


def test_blur_removes_fine_detail_of_a_photo(astronaut_720p):
    blurred = blur_background(astronaut_720p)
    assert blurred.shape == astronaut_720p.shape and blurred.dtype == np.uint8
    assert _detail(blurred) < 0.25 * _detail(astronaut_720p)  # measured 0.17: rounding to uint8 keeps some
    # still the same picture at large scale: colours stay where they were
    coarse = lambda im: cv2.resize(im, (16, 9), interpolation=cv2.INTER_AREA).astype(int)
    assert np.abs(coarse(blurred) - coarse(astronaut_720p)).mean() < 12


def test_blur_is_strong_enough_to_spread_a_point():
    rgb = np.zeros((720, 1280, 3), np.uint8)
    rgb[356:364, 636:644] = 255
    spread = (blur_background(rgb)[..., 0] > 0).sum(axis=1).max()
    assert spread >= 40                          # a dot spreads over at least 40 px


def test_flat_frame_stays_flat():
    rgb = np.full((720, 1280, 3), (10, 120, 250), np.uint8)
    np.testing.assert_array_equal(blur_background(rgb), rgb)


def test_out_buffer_is_filled_and_returned(astronaut_720p):
    out = np.empty_like(astronaut_720p)
    assert blur_background(astronaut_720p, out) is out
    np.testing.assert_array_equal(out, blur_background(astronaut_720p))


def test_tiny_and_odd_frames():
    rgb = np.random.default_rng(8).integers(0, 256, (5, 3, 3), dtype=np.uint8)
    assert blur_background(rgb).shape == (5, 3, 3)


@pytest.mark.parametrize("out", [
    np.empty((720, 1280, 4), np.uint8),
    np.empty((720, 1280, 3), np.float32),
    np.empty((720, 2560, 3), np.uint8)[:, ::2],
])
def test_bad_out_buffer_is_rejected(out):
    with pytest.raises(LayersValueError, match="unexpected out array"):
        blur_background(np.zeros((720, 1280, 3), np.uint8), out)


def test_bad_downscale_is_rejected():
    with pytest.raises(LayersValueError, match="downscale must be a positive integer, got 0"):
        blur_background(np.zeros((8, 8, 3), np.uint8), downscale=0)
