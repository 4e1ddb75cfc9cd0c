"""Slow, obvious NumPy twins of the segmentation refinement, to test the OpenCV versions against."""

from __future__ import annotations

import numpy as np


def box_mean(x: np.ndarray, radius: int) -> np.ndarray:
    """Mean over the (2r+1)^2 window, borders mirrored without repeating the edge (numpy 'reflect')."""
    padded = np.pad(x.astype(np.float64), radius, mode="reflect")
    size = 2 * radius + 1
    out = np.zeros(x.shape, np.float64)
    for dy in range(size):
        for dx in range(size):
            out += padded[dy:dy + x.shape[0], dx:dx + x.shape[1]]
    return out / (size * size)


def guided_filter(guide: np.ndarray, p: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """He et al.'s guided filter, written out as in the paper (Algorithm 1), in float64."""
    mean_i = box_mean(guide, radius)
    mean_p = box_mean(p, radius)
    corr_ip = box_mean(guide * p, radius)
    corr_ii = box_mean(guide * guide, radius)
    a = (corr_ip - mean_i * mean_p) / (corr_ii - mean_i * mean_i + eps)
    b = mean_p - a * mean_i
    return box_mean(a, radius) * guide + box_mean(b, radius)
