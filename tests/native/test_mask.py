import numpy as np
import pytest

from native.mask import circle_mask, rounded_rect_mask


def test_square_corners_are_fully_opaque():
    mask = rounded_rect_mask(7, 5, 0)
    assert mask.shape == (5, 7) and mask.min() == 255


def test_rounded_corners_transparent_centre_opaque():
    mask = rounded_rect_mask(200, 100, 30)
    assert mask[0, 0] == 0 and mask[-1, -1] == 0 and mask[0, -1] == 0
    assert mask[50, 100] == 255 and mask[0, 100] == 255 and mask[50, 0] == 255
    corner = mask[:30, :30]
    assert ((corner > 0) & (corner < 255)).sum() >= 30   # an anti-aliased arc
    assert np.array_equal(mask, mask[:, ::-1]) and np.array_equal(mask, mask[::-1])


def test_circle_area_and_antialiasing():
    d = 101
    mask = circle_mask(d)
    area = mask.astype(float).sum() / 255
    assert area == pytest.approx(np.pi * (d / 2) ** 2, rel=0.01)
    assert mask[50, 50] == 255 and mask[0, 0] == 0
    assert ((mask > 0) & (mask < 255)).sum() >= 2 * d, "edges must be anti-aliased"


def test_rejects_empty():
    with pytest.raises(ValueError):
        rounded_rect_mask(0, 3, 1)
