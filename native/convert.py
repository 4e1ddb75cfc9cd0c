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
    kr, kb = matrix.kr_kb  # the green weights follow from the sums (Kg = 1 - Kr - Kb)
    y_offset, y_scale, c_scale = color_range.y_offset_scale_chroma_scale
    one, ys, cs = 1 << SHIFT, y_scale / 255.0, c_scale / 255.0
    yr, yb = round(kr * ys * one), round(kb * ys * one)
    yg = round(ys * one) - yr - yb
    ur, ub = round(-kr / (2 * (1 - kb)) * cs * one), round(0.5 * cs * one)
    vr, vb = round(0.5 * cs * one), round(-kb / (2 * (1 - kr)) * cs * one)
    return np.array([y_offset, yr, yg, yb, ur, -ur - ub, ub, vr, -vr - vb, vb], np.int64)


# ---------------------------------------------------------------- YUV -> RGB kernels
#
# Kernels walk flat rows (`out[y].reshape(-1)`, index 3 * x + c) in int32: with 2-D indexing or
# int64 arithmetic LLVM does not vectorise the loop, and it ran 6x slower (3.7 ms vs 0.6 ms for
# 720p YUYV on one core). int32 is wide enough: the largest intermediate is below 2**27.


@njit(**NJIT)
def _clamp8(value):
    return min(255, max(0, value))


@njit(**NJIT)
def _chroma_terms(coef, u, v):
    """The red, green and blue offsets (with rounding) a chroma pair adds to every luma it covers."""
    cu, cv = np.int32(u) - 128, np.int32(v) - 128
    return (np.int32(coef[2]) * cv + ROUND, np.int32(coef[3]) * cu + np.int32(coef[4]) * cv + ROUND,
            np.int32(coef[5]) * cu + ROUND)


@njit(**NJIT)
def _store_rgb(row, i, luma, coef, dr, dg, db):
    """Pixel i of a flat RGB row from one luma sample and its chroma terms."""
    yy = (np.int32(luma) - np.int32(coef[0])) * np.int32(coef[1])
    row[3 * i] = _clamp8((yy + dr) >> SHIFT)
    row[3 * i + 1] = _clamp8((yy + dg) >> SHIFT)
    row[3 * i + 2] = _clamp8((yy + db) >> SHIFT)


@njit(**NJIT)
def yuyv_to_rgb_rows(src, out, coef, y0, y1):
    """Rows [y0, y1) of HxWx2 YUYV into HxWx3 RGB; W is even."""
    for y in range(y0, y1):
        packed, row = src[y].reshape(-1), out[y].reshape(-1)  # Y0 U Y1 V ... / R G B R G B ...
        for i in range(out.shape[1] // 2):
            dr, dg, db = _chroma_terms(coef, packed[4 * i + 1], packed[4 * i + 3])
            _store_rgb(row, 2 * i, packed[4 * i], coef, dr, dg, db)
            _store_rgb(row, 2 * i + 1, packed[4 * i + 2], coef, dr, dg, db)


@njit(**NJIT)
def nv12_to_rgb_rows(luma, chroma, out, coef, y0, y1):
    """Rows [y0, y1) from an HxW Y plane and an (H/2)xW interleaved UV plane."""
    for y in range(y0, y1):
        lum, uv, row = luma[y], chroma[y >> 1], out[y].reshape(-1)
        for i in range(out.shape[1] // 2):
            dr, dg, db = _chroma_terms(coef, uv[2 * i], uv[2 * i + 1])
            _store_rgb(row, 2 * i, lum[2 * i], coef, dr, dg, db)
            _store_rgb(row, 2 * i + 1, lum[2 * i + 1], coef, dr, dg, db)


@njit(**NJIT)
def i420_to_rgb_rows(luma, plane_u, plane_v, out, coef, y0, y1):
    """Rows [y0, y1) from an HxW Y plane and (H/2)x(W/2) U and V planes."""
    for y in range(y0, y1):
        lum, us, vs, row = luma[y], plane_u[y >> 1], plane_v[y >> 1], out[y].reshape(-1)
        for i in range(out.shape[1] // 2):
            dr, dg, db = _chroma_terms(coef, us[i], vs[i])
            _store_rgb(row, 2 * i, lum[2 * i], coef, dr, dg, db)
            _store_rgb(row, 2 * i + 1, lum[2 * i + 1], coef, dr, dg, db)


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
def _rgb_to_yuv420_rows(rgb, luma, plane_u, plane_v, chroma_step, v_offset, coef, y0, y1):
    """Rows [y0, y1) (both even) of HxWx3 RGB into Y and subsampled U, V.

    Chroma is computed from the sum of each 2x2 block, so the average is rounded once.
    Sample i of a chroma row goes to `plane_u[i * chroma_step]` and `plane_v[i * chroma_step +
    v_offset]`: step 1, offset 0 for planar U, V (I420); for NV12 both planes are the one
    interleaved UV plane, step 2, offset 1.
    """
    yr, yg, yb = np.int32(coef[1]), np.int32(coef[2]), np.int32(coef[3])
    ur, ug, ub = np.int32(coef[4]), np.int32(coef[5]), np.int32(coef[6])
    vr, vg, vb = np.int32(coef[7]), np.int32(coef[8]), np.int32(coef[9])
    y_bias = (np.int32(coef[0]) << SHIFT) + ROUND
    c_bias = (np.int32(128) << (SHIFT + 2)) + np.int32(1 << (SHIFT + 1))
    for y in range(y0, y1, 2):
        top, bottom = rgb[y].reshape(-1), rgb[y + 1].reshape(-1)
        # Luma and chroma in separate simple loops: each vectorises, one fused loop did not.
        for pixels, out_row in ((top, luma[y]), (bottom, luma[y + 1])):
            for x in range(rgb.shape[1]):
                r, g, b = np.int32(pixels[3 * x]), np.int32(pixels[3 * x + 1]), np.int32(pixels[3 * x + 2])
                out_row[x] = _clamp8((yr * r + yg * g + yb * b + y_bias) >> SHIFT)
        us, vs = plane_u[y >> 1], plane_v[y >> 1]
        for i in range(rgb.shape[1] // 2):
            j = 6 * i  # the 2x2 block is pixels 2i, 2i+1 of rows y, y+1
            sum_r = np.int32(top[j]) + np.int32(top[j + 3]) + np.int32(bottom[j]) + np.int32(bottom[j + 3])
            sum_g = np.int32(top[j + 1]) + np.int32(top[j + 4]) + np.int32(bottom[j + 1]) + np.int32(bottom[j + 4])
            sum_b = np.int32(top[j + 2]) + np.int32(top[j + 5]) + np.int32(bottom[j + 2]) + np.int32(bottom[j + 5])
            us[i * chroma_step] = _clamp8((ur * sum_r + ug * sum_g + ub * sum_b + c_bias) >> (SHIFT + 2))
            vs[i * chroma_step + v_offset] = _clamp8((vr * sum_r + vg * sum_g + vb * sum_b + c_bias) >> (SHIFT + 2))


@njit(**NJIT)
def rgb_to_i420_rows(rgb, luma, plane_u, plane_v, coef, y0, y1):
    """Rows [y0, y1) (even) of RGB into an I420 Y plane and (H/2)x(W/2) U, V planes."""
    _rgb_to_yuv420_rows(rgb, luma, plane_u, plane_v, 1, 0, coef, y0, y1)


@njit(**NJIT)
def rgb_to_nv12_rows(rgb, luma, chroma, coef, y0, y1):
    """Rows [y0, y1) (even) of RGB into an NV12 Y plane and (H/2)xW interleaved UV plane."""
    _rgb_to_yuv420_rows(rgb, luma, chroma, chroma, 2, 1, coef, y0, y1)


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
