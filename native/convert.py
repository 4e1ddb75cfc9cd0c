"""YUV <-> RGB colour conversion kernels: cameras deliver YUV, encoders want it back.

Layouts (the ones OpenCV, PyAV and V4L2 use, so buffers pass through without copies):

* YUYV (4:2:2 packed, V4L2 ``YUYV`` / FFmpeg ``yuyv422``): HxWx2 uint8, ``[y, x, 0]`` is luma,
  ``[y, x, 1]`` alternates U (even x) and V (odd x).
* NV12 (4:2:0 semi-planar): (H*3/2)xW uint8, H rows of Y then H/2 rows of interleaved U, V.
* I420 (4:2:0 planar, FFmpeg ``yuv420p``): (H*3/2)xW uint8, the Y plane, then the U plane
  (H/2 x W/2) and the V plane, each stored contiguously.

Colour parameters are explicit in every conversion (`Matrix`, `ColorRange`); the kernels only see
an integer coefficient vector built from them once. All arithmetic is 16-bit fixed point with
round-half-up, so results are within one level of the exact (float64) conversion. Every kernel
takes a row range (y0, y1) and has a `prange` driver over bands of `BAND_ROWS` rows.
"""

from __future__ import annotations

from enum import Enum

import numpy as np
from numba import njit, prange

from native.config import BAND_ROWS, NJIT, NJIT_PARALLEL

SHIFT = 16  # fixed-point fraction bits: coefficient error < 255 * 2**-17, far below one level
ROUND = 1 << (SHIFT - 1)


class Matrix(Enum):
    """Which luma weights (Kr, Kb) define the YUV space."""

    BT601 = "BT.601 (SD video, webcams, JPEG): Kr=0.299, Kb=0.114"
    BT709 = "BT.709 (HD video): Kr=0.2126, Kb=0.0722"

    @property
    def kr_kb(self) -> tuple[float, float]:
        return _KR_KB[self]


_KR_KB = {Matrix.BT601: (0.299, 0.114), Matrix.BT709: (0.2126, 0.0722)}


class ColorRange(Enum):
    """Which code values Y and Cb/Cr occupy."""

    LIMITED = "limited (MPEG, 'TV'): Y 16..235, Cb/Cr 16..240"
    FULL = "full (JPEG, 'PC'): Y, Cb, Cr 0..255"

    @property
    def y_offset_scale_chroma_scale(self) -> tuple[int, int, int]:
        return (16, 219, 224) if self is ColorRange.LIMITED else (0, 255, 255)


def yuv_to_rgb_coefficients(matrix: Matrix, color_range: ColorRange) -> np.ndarray:
    """[y_offset, y_gain, r_from_v, g_from_u, g_from_v, b_from_u], gains scaled by 2**SHIFT."""
    kr, kb = matrix.kr_kb
    kg = 1.0 - kr - kb
    y_offset, y_scale, c_scale = color_range.y_offset_scale_chroma_scale
    y_gain, c_gain = 255.0 / y_scale, 255.0 / c_scale
    gains = (
        y_gain,
        2 * (1 - kr) * c_gain,
        -2 * kb * (1 - kb) / kg * c_gain,
        -2 * kr * (1 - kr) / kg * c_gain,
        2 * (1 - kb) * c_gain,
    )
    return np.array([y_offset] + [round(g * (1 << SHIFT)) for g in gains], np.int64)


def rgb_to_yuv_coefficients(matrix: Matrix, color_range: ColorRange) -> np.ndarray:
    """[y_offset, yr, yg, yb, ur, ug, ub, vr, vg, vb], weights scaled by 2**SHIFT.

    The rounded weights are adjusted so that Y weights sum exactly to the range's scale and
    chroma weights to zero: white, black and every grey convert exactly (Y 235/16, Cb = Cr = 128).
    """
    kr, kb = matrix.kr_kb
    kg = 1.0 - kr - kb
    y_offset, y_scale, c_scale = color_range.y_offset_scale_chroma_scale
    one, ys, cs = 1 << SHIFT, y_scale / 255.0, c_scale / 255.0
    yr, yb = round(kr * ys * one), round(kb * ys * one)
    yg = round(ys * one) - yr - yb
    ur, ub = round(-kr / (2 * (1 - kb)) * cs * one), round(0.5 * cs * one)
    vr, vb = round(0.5 * cs * one), round(-kb / (2 * (1 - kr)) * cs * one)
    return np.array([y_offset, yr, yg, yb, ur, -ur - ub, ub, vr, -vr - vb, vb], np.int64)


# ---------------------------------------------------------------- YUV -> RGB kernels


@njit(**NJIT)
def _clamp8(value):
    return min(255, max(0, value))


@njit(**NJIT)
def _put_rgb(out, y, x, luma, u, v, coef):
    """One output pixel from one luma sample and its (shared) chroma pair."""
    yy = (np.int64(luma) - coef[0]) * coef[1] + ROUND
    cu, cv = np.int64(u) - 128, np.int64(v) - 128
    out[y, x, 0] = _clamp8((yy + coef[2] * cv) >> SHIFT)
    out[y, x, 1] = _clamp8((yy + coef[3] * cu + coef[4] * cv) >> SHIFT)
    out[y, x, 2] = _clamp8((yy + coef[5] * cu) >> SHIFT)


@njit(**NJIT)
def yuyv_to_rgb_rows(src, out, coef, y0, y1):
    """Rows [y0, y1) of HxWx2 YUYV into HxWx3 RGB; W is even."""
    width = out.shape[1]
    for y in range(y0, y1):
        for x in range(0, width, 2):
            u, v = src[y, x, 1], src[y, x + 1, 1]
            _put_rgb(out, y, x, src[y, x, 0], u, v, coef)
            _put_rgb(out, y, x + 1, src[y, x + 1, 0], u, v, coef)


@njit(**NJIT)
def nv12_to_rgb_rows(luma, chroma, out, coef, y0, y1):
    """Rows [y0, y1) from an HxW Y plane and an (H/2)xW interleaved UV plane."""
    width = out.shape[1]
    for y in range(y0, y1):
        cy = y >> 1
        for x in range(0, width, 2):
            u, v = chroma[cy, x], chroma[cy, x + 1]
            _put_rgb(out, y, x, luma[y, x], u, v, coef)
            _put_rgb(out, y, x + 1, luma[y, x + 1], u, v, coef)


@njit(**NJIT)
def i420_to_rgb_rows(luma, plane_u, plane_v, out, coef, y0, y1):
    """Rows [y0, y1) from an HxW Y plane and (H/2)x(W/2) U and V planes."""
    width = out.shape[1]
    for y in range(y0, y1):
        cy = y >> 1
        for x in range(0, width, 2):
            u, v = plane_u[cy, x >> 1], plane_v[cy, x >> 1]
            _put_rgb(out, y, x, luma[y, x], u, v, coef)
            _put_rgb(out, y, x + 1, luma[y, x + 1], u, v, coef)


@njit(**NJIT_PARALLEL)
def yuyv_to_rgb_bands(src, out, coef):
    height = out.shape[0]
    for band in prange((height + BAND_ROWS - 1) // BAND_ROWS):
        y0 = band * BAND_ROWS
        yuyv_to_rgb_rows(src, out, coef, y0, min(height, y0 + BAND_ROWS))


@njit(**NJIT_PARALLEL)
def nv12_to_rgb_bands(luma, chroma, out, coef):
    height = out.shape[0]
    for band in prange((height + BAND_ROWS - 1) // BAND_ROWS):
        y0 = band * BAND_ROWS
        nv12_to_rgb_rows(luma, chroma, out, coef, y0, min(height, y0 + BAND_ROWS))


@njit(**NJIT_PARALLEL)
def i420_to_rgb_bands(luma, plane_u, plane_v, out, coef):
    height = out.shape[0]
    for band in prange((height + BAND_ROWS - 1) // BAND_ROWS):
        y0 = band * BAND_ROWS
        i420_to_rgb_rows(luma, plane_u, plane_v, out, coef, y0, min(height, y0 + BAND_ROWS))


# ---------------------------------------------------------------- RGB -> YUV 4:2:0 kernels


@njit(**NJIT)
def _rgb_to_yuv420_rows(rgb, luma, plane_u, plane_v, chroma_step, coef, y0, y1):
    """Rows [y0, y1) (both even) of HxWx3 RGB into Y and subsampled U, V.

    Chroma is computed from the sum of each 2x2 block, so the average is rounded once.
    `chroma_step` is 1 for planar U, V (I420) and 2 for interleaved UV (NV12, where `plane_u`
    and `plane_v` are views of the same plane offset by one byte).
    """
    width = rgb.shape[1]
    y_bias = (coef[0] << SHIFT) + ROUND
    c_bias = (np.int64(128) << (SHIFT + 2)) + (1 << (SHIFT + 1))
    for y in range(y0, y1, 2):
        for x in range(0, width, 2):
            sum_r = np.int64(0)
            sum_g = np.int64(0)
            sum_b = np.int64(0)
            for dy in range(2):
                for dx in range(2):
                    r = np.int64(rgb[y + dy, x + dx, 0])
                    g = np.int64(rgb[y + dy, x + dx, 1])
                    b = np.int64(rgb[y + dy, x + dx, 2])
                    luma[y + dy, x + dx] = _clamp8((coef[1] * r + coef[2] * g + coef[3] * b + y_bias) >> SHIFT)
                    sum_r += r
                    sum_g += g
                    sum_b += b
            cx = (x >> 1) * chroma_step
            u = (coef[4] * sum_r + coef[5] * sum_g + coef[6] * sum_b + c_bias) >> (SHIFT + 2)
            v = (coef[7] * sum_r + coef[8] * sum_g + coef[9] * sum_b + c_bias) >> (SHIFT + 2)
            plane_u[y >> 1, cx] = _clamp8(u)
            plane_v[y >> 1, cx] = _clamp8(v)


@njit(**NJIT)
def rgb_to_i420_rows(rgb, luma, plane_u, plane_v, coef, y0, y1):
    """Rows [y0, y1) (even) of RGB into an I420 Y plane and (H/2)x(W/2) U, V planes."""
    _rgb_to_yuv420_rows(rgb, luma, plane_u, plane_v, 1, coef, y0, y1)


@njit(**NJIT)
def rgb_to_nv12_rows(rgb, luma, chroma, coef, y0, y1):
    """Rows [y0, y1) (even) of RGB into an NV12 Y plane and (H/2)xW interleaved UV plane."""
    _rgb_to_yuv420_rows(rgb, luma, chroma, chroma[:, 1:], 2, coef, y0, y1)


@njit(**NJIT_PARALLEL)
def rgb_to_i420_bands(rgb, luma, plane_u, plane_v, coef):
    height = rgb.shape[0]
    for band in prange((height + BAND_ROWS - 1) // BAND_ROWS):
        y0 = band * BAND_ROWS  # BAND_ROWS is even, so every band starts on a chroma row
        rgb_to_i420_rows(rgb, luma, plane_u, plane_v, coef, y0, min(height, y0 + BAND_ROWS))


@njit(**NJIT_PARALLEL)
def rgb_to_nv12_bands(rgb, luma, chroma, coef):
    height = rgb.shape[0]
    for band in prange((height + BAND_ROWS - 1) // BAND_ROWS):
        y0 = band * BAND_ROWS
        rgb_to_nv12_rows(rgb, luma, chroma, coef, y0, min(height, y0 + BAND_ROWS))


# ---------------------------------------------------------------- checked entry points


def yuyv_to_rgb(
    src: np.ndarray, *, matrix: Matrix, color_range: ColorRange, out: np.ndarray | None = None, parallel: bool = True
) -> np.ndarray:
    """HxWx2 YUYV -> HxWx3 RGB. `parallel=False` runs on the calling thread only (capture threads)."""
    if src.dtype != np.uint8 or src.ndim != 3 or src.shape[2] != 2 or src.shape[1] % 2:
        raise ValueError(f"expected an HxWx2 uint8 YUYV array with even W, got {src.dtype} {src.shape}")
    src = np.ascontiguousarray(src)
    out = _rgb_out(out, src.shape[0], src.shape[1])
    coef = yuv_to_rgb_coefficients(matrix, color_range)
    if parallel:
        yuyv_to_rgb_bands(src, out, coef)
    else:
        yuyv_to_rgb_rows(src, out, coef, 0, src.shape[0])
    return out


def nv12_to_rgb(
    src: np.ndarray, *, matrix: Matrix, color_range: ColorRange, out: np.ndarray | None = None, parallel: bool = True
) -> np.ndarray:
    """(H*3/2)xW NV12 -> HxWx3 RGB."""
    height, width = _yuv420_size(src, "NV12")
    src = np.ascontiguousarray(src)
    out = _rgb_out(out, height, width)
    luma, chroma = src[:height], src[height:]
    coef = yuv_to_rgb_coefficients(matrix, color_range)
    if parallel:
        nv12_to_rgb_bands(luma, chroma, out, coef)
    else:
        nv12_to_rgb_rows(luma, chroma, out, coef, 0, height)
    return out


def i420_to_rgb(
    src: np.ndarray, *, matrix: Matrix, color_range: ColorRange, out: np.ndarray | None = None, parallel: bool = True
) -> np.ndarray:
    """(H*3/2)xW I420 (yuv420p) -> HxWx3 RGB."""
    height, width = _yuv420_size(src, "I420")
    src = np.ascontiguousarray(src)
    out = _rgb_out(out, height, width)
    luma, plane_u, plane_v = _i420_planes(src, height, width)
    coef = yuv_to_rgb_coefficients(matrix, color_range)
    if parallel:
        i420_to_rgb_bands(luma, plane_u, plane_v, out, coef)
    else:
        i420_to_rgb_rows(luma, plane_u, plane_v, out, coef, 0, height)
    return out


def rgb_to_i420(
    rgb: np.ndarray, *, matrix: Matrix, color_range: ColorRange, out: np.ndarray | None = None, parallel: bool = True
) -> np.ndarray:
    """HxWx3 RGB (even H, W) -> (H*3/2)xW I420, ready for `av.VideoFrame.from_ndarray(..., "yuv420p")`."""
    rgb = _checked_rgb(rgb)
    height, width = rgb.shape[:2]
    out = _yuv420_out(out, height, width)
    luma, plane_u, plane_v = _i420_planes(out, height, width)
    coef = rgb_to_yuv_coefficients(matrix, color_range)
    if parallel:
        rgb_to_i420_bands(rgb, luma, plane_u, plane_v, coef)
    else:
        rgb_to_i420_rows(rgb, luma, plane_u, plane_v, coef, 0, height)
    return out


def rgb_to_nv12(
    rgb: np.ndarray, *, matrix: Matrix, color_range: ColorRange, out: np.ndarray | None = None, parallel: bool = True
) -> np.ndarray:
    """HxWx3 RGB (even H, W) -> (H*3/2)xW NV12."""
    rgb = _checked_rgb(rgb)
    height = rgb.shape[0]
    out = _yuv420_out(out, height, rgb.shape[1])
    coef = rgb_to_yuv_coefficients(matrix, color_range)
    if parallel:
        rgb_to_nv12_bands(rgb, out[:height], out[height:], coef)
    else:
        rgb_to_nv12_rows(rgb, out[:height], out[height:], coef, 0, height)
    return out


def _yuv420_size(src: np.ndarray, name: str) -> tuple[int, int]:
    # 3H/2 rows with H even is a multiple of 3, and any multiple of 3 gives an even H.
    if src.dtype != np.uint8 or src.ndim != 2 or src.shape[0] % 3 or src.shape[1] % 2:
        raise ValueError(
            f"expected an (H*3/2)xW uint8 {name} array with even H and W, got {src.dtype} {src.shape}"
        )
    return src.shape[0] * 2 // 3, src.shape[1]


def _i420_planes(buf: np.ndarray, height: int, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Views of the Y, U and V planes of a contiguous I420 buffer."""
    flat = buf.reshape(-1)
    quarter = height * width // 4
    luma = flat[: height * width].reshape(height, width)
    plane_u = flat[height * width : height * width + quarter].reshape(height // 2, width // 2)
    plane_v = flat[height * width + quarter :].reshape(height // 2, width // 2)
    return luma, plane_u, plane_v


def _checked_rgb(rgb: np.ndarray) -> np.ndarray:
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.shape[0] % 2 or rgb.shape[1] % 2:
        raise ValueError(f"expected an HxWx3 uint8 RGB array with even H and W, got {rgb.dtype} {rgb.shape}")
    return np.ascontiguousarray(rgb)


def _rgb_out(out: np.ndarray | None, height: int, width: int) -> np.ndarray:
    if out is None:
        return np.empty((height, width, 3), np.uint8)
    if out.dtype != np.uint8 or out.shape != (height, width, 3) or not out.flags.c_contiguous:
        raise ValueError(f"out must be a C-contiguous uint8 array of shape {(height, width, 3)}, got {out.dtype} {out.shape}")
    return out


def _yuv420_out(out: np.ndarray | None, height: int, width: int) -> np.ndarray:
    shape = (height * 3 // 2, width)
    if out is None:
        return np.empty(shape, np.uint8)
    if out.dtype != np.uint8 or out.shape != shape or not out.flags.c_contiguous:
        raise ValueError(f"out must be a C-contiguous uint8 array of shape {shape}, got {out.dtype} {out.shape}")
    return out
