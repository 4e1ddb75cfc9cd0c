"""Cutout shape masks, rasterised once per geometry with anti-aliased edges.

Coverage of each pixel is estimated from the signed distance of its centre to the shape's edge
(clamp(0.5 - distance, 0, 1)): exact on straight edges, within a few levels on curves, and
cheap enough to rebuild whenever a participant is resized.
"""

import math

import numpy as np
from numba import njit

from native.config import NJIT


@njit(**NJIT)
def _rounded_rect(out, radius):
    height, width = out.shape
    half_w, half_h = width / 2.0, height / 2.0
    r = min(radius, half_w, half_h)
    for y in range(height):
        py = abs(y + 0.5 - half_h) - (half_h - r)
        for x in range(width):
            px = abs(x + 0.5 - half_w) - (half_w - r)
            outside = math.hypot(max(px, 0.0), max(py, 0.0))
            inside = min(max(px, py), 0.0)
            distance = outside + inside - r
            coverage = min(max(0.5 - distance, 0.0), 1.0)
            out[y, x] = np.uint8(coverage * 255.0 + 0.5)


def rounded_rect_mask(width: int, height: int, radius: float) -> np.ndarray:
    """height x width uint8 alpha: a rectangle with corners of `radius` px (0: square corners)."""
    if width <= 0 or height <= 0:
        raise ValueError(f"mask size must be positive, got {width}x{height}")
    out = np.empty((height, width), np.uint8)
    _rounded_rect(out, float(max(radius, 0.0)))
    return out


def circle_mask(diameter: int) -> np.ndarray:
    """diameter x diameter uint8 alpha: the inscribed circle."""
    return rounded_rect_mask(diameter, diameter, diameter / 2.0)
