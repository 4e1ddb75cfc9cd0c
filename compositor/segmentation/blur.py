"""The blurred background for `setVirtualBackground({blur: true})`.

A strong blur is cheapest done small: shrink the frame 8x (INTER_AREA averages every 8x8 block, a
box blur in itself), blur the thumbnail with a small Gaussian, and stretch it back with bilinear
interpolation. At 720p that is about 1 ms, against tens of ms for a full-resolution blur of the same
radius. The compositor lays the sharp person over this with the mask.
"""

from __future__ import annotations

import cv2
import numpy as np

from compositor.errors import LayersValueError
from compositor.segmentation.segmenter import check_rgb

# 8x: a 720p frame becomes 160 x 90. With the 5x5 Gaussian below the blur spans about 40 frame
# pixels, enough that a face in the background is unrecognisable, as in Zoom's own blur.
BLUR_DOWNSCALE = 8
BLUR_KERNEL = (5, 5)


def blur_background(rgb: np.ndarray, out: np.ndarray | None = None, *,
                    downscale: int = BLUR_DOWNSCALE) -> np.ndarray:
    """A strongly blurred copy of the whole frame (H x W x 3 uint8), written into `out` if given.

    `out` must be an H x W x 3 uint8 C-contiguous array distinct from rgb; it is returned.
    """
    check_rgb(rgb)
    height, width = rgb.shape[:2]
    if out is not None and (out.shape != rgb.shape or out.dtype != np.uint8
                            or not out.flags.c_contiguous):
        raise LayersValueError(
            f"unexpected out array {out.shape} {out.dtype}: expected a C-contiguous {rgb.shape} uint8 array"
        )
    if not isinstance(downscale, int) or downscale < 1:
        raise LayersValueError(f"downscale must be a positive integer, got {downscale!r}")
    small_size = (max(1, width // downscale), max(1, height // downscale))
    small = cv2.resize(rgb, small_size, interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, BLUR_KERNEL, 0, borderType=cv2.BORDER_REPLICATE)
    if out is None:
        return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
    cv2.resize(small, (width, height), dst=out, interpolation=cv2.INTER_LINEAR)
    return out
