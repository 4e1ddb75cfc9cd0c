"""Straight to premultiplied alpha: the one place the conversion happens (STYLE item 5).

Every RGBA input (images, web view, overlays) is converted once, at ingest; the compositor
only ever sees premultiplied pixels, so resampling never bleeds colour out of transparent areas.
"""

import numpy as np
from numba import njit, prange

from native.config import NJIT, NJIT_PARALLEL


@njit(**NJIT)
def div255(value):
    """round(value / 255) for 0 <= value <= 65025, exactly, without a division."""
    value += 128
    return (value + (value >> 8)) >> 8


@njit(**NJIT_PARALLEL)
def _premultiply(src, dst):
    height, width = src.shape[0], src.shape[1]
    for y in prange(height):
        for x in range(width):
            alpha = np.int32(src[y, x, 3])
            for c in range(3):
                dst[y, x, c] = div255(np.int32(src[y, x, c]) * alpha)
            dst[y, x, 3] = alpha


@njit(**NJIT_PARALLEL)
def _unpremultiply(src, dst):
    height, width = src.shape[0], src.shape[1]
    for y in prange(height):
        for x in range(width):
            alpha = np.int32(src[y, x, 3])
            for c in range(3):
                if alpha == 0:
                    dst[y, x, c] = 0
                else:
                    dst[y, x, c] = min(255, (np.int32(src[y, x, c]) * 255 + alpha // 2) // alpha)
            dst[y, x, 3] = alpha


def premultiply(rgba: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Straight HxWx4 uint8 RGBA -> premultiplied (c * a / 255, correctly rounded)."""
    _check_rgba(rgba)
    out = np.empty(rgba.shape, np.uint8) if out is None else out
    _premultiply(np.ascontiguousarray(rgba), out)
    return out


def unpremultiply(rgba: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Premultiplied HxWx4 uint8 RGBA -> straight (for export and tests)."""
    _check_rgba(rgba)
    out = np.empty(rgba.shape, np.uint8) if out is None else out
    _unpremultiply(np.ascontiguousarray(rgba), out)
    return out


def _check_rgba(rgba: np.ndarray) -> None:
    if rgba.dtype != np.uint8 or rgba.ndim != 3 or rgba.shape[2] != 4:
        raise ValueError(f"expected an HxWx4 uint8 RGBA array, got {rgba.dtype} {rgba.shape}")
