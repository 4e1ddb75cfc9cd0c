"""native/convert.py against a float64 reference, OpenCV's cvtColor, and itself (round trips)."""

import cv2
import numpy as np
import pytest

from native.convert import (
    ColorRange,
    Matrix,
    i420_to_rgb,
    i420_to_rgb_rows,
    nv12_to_rgb,
    rgb_to_i420,
    rgb_to_nv12,
    rgb_to_yuv_coefficients,
    yuv_to_rgb_coefficients,
    yuyv_to_rgb,
)

ALL_PARAMS = [(m, r) for m in Matrix for r in ColorRange]
RNG = np.random.default_rng(20240611)


# ---------------------------------------------------------------- float64 reference


def _params(matrix, color_range):
    kr, kb = {Matrix.BT601: (0.299, 0.114), Matrix.BT709: (0.2126, 0.0722)}[matrix]
    offset, y_scale, c_scale = (16, 219, 224) if color_range is ColorRange.LIMITED else (0, 255, 255)
    return kr, kb, 1 - kr - kb, offset, y_scale / 255, c_scale / 255


def ref_yuv_to_rgb(y, u, v, matrix, color_range):
    """Per-pixel float64 YUV -> RGB, rounded and clipped: the textbook formulas."""
    kr, kb, kg, offset, ys, cs = _params(matrix, color_range)
    luma = (y.astype(np.float64) - offset) / ys
    pb, pr = (u.astype(np.float64) - 128) / cs, (v.astype(np.float64) - 128) / cs
    r = luma + 2 * (1 - kr) * pr
    b = luma + 2 * (1 - kb) * pb
    g = (luma - kr * r - kb * b) / kg
    return np.clip(np.floor(np.stack([r, g, b], -1) + 0.5), 0, 255).astype(np.uint8)


def ref_rgb_to_yuv(rgb, matrix, color_range):
    """Per-pixel float64 RGB -> (Y, U, V) before rounding."""
    kr, kb, kg, offset, ys, cs = _params(matrix, color_range)
    r, g, b = (rgb[..., i].astype(np.float64) for i in range(3))
    luma = kr * r + kg * g + kb * b
    return offset + ys * luma, 128 + cs * (b - luma) / (2 * (1 - kb)), 128 + cs * (r - luma) / (2 * (1 - kr))


def ref_rgb_to_i420_planes(rgb, matrix, color_range):
    y, u, v = ref_rgb_to_yuv(rgb, matrix, color_range)
    h, w = y.shape

    def down(p):  # 2x2 box average, as the kernel does
        return p.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))

    q = lambda p: np.clip(np.floor(p + 0.5), 0, 255)  # noqa: E731
    return q(y), q(down(u)), q(down(v))


def make_i420(y, u, v):
    h, w = y.shape
    return np.concatenate([y.ravel(), u.ravel(), v.ravel()]).reshape(h * 3 // 2, w)


def make_nv12(y, u, v):
    h, w = y.shape
    uv = np.stack([u, v], -1).reshape(h // 2, w)
    return np.concatenate([y, uv])


def make_yuyv(y, u, v):
    """4:2:2 packed from full-resolution Y and horizontally subsampled (H x W/2) U, V."""
    h, w = y.shape
    out = np.empty((h, w, 2), np.uint8)
    out[..., 0] = y
    out[:, 0::2, 1] = u
    out[:, 1::2, 1] = v
    return out


def assert_within_one(actual, expected):
    diff = np.abs(actual.astype(np.int32) - expected.astype(np.int32))
    assert diff.max() <= 1, f"max difference {diff.max()} at {np.unravel_index(diff.argmax(), diff.shape)}"


# ---------------------------------------------------------------- YUV -> RGB vs the reference


@pytest.mark.parametrize("matrix,color_range", ALL_PARAMS)
def test_i420_and_nv12_match_reference_on_random_frames(matrix, color_range):
    h, w = 38, 70  # more than one BAND_ROWS band, not a multiple of it
    y = RNG.integers(0, 256, (h, w), np.uint8)
    u, v = (RNG.integers(0, 256, (h // 2, w // 2), np.uint8) for _ in range(2))
    expected = ref_yuv_to_rgb(y, np.repeat(np.repeat(u, 2, 0), 2, 1), np.repeat(np.repeat(v, 2, 0), 2, 1), matrix, color_range)
    for parallel in (True, False):
        kw = dict(matrix=matrix, color_range=color_range, parallel=parallel)
        assert_within_one(i420_to_rgb(make_i420(y, u, v), **kw), expected)
        assert_within_one(nv12_to_rgb(make_nv12(y, u, v), **kw), expected)


@pytest.mark.parametrize("matrix,color_range", ALL_PARAMS)
def test_yuyv_matches_reference_on_random_frames(matrix, color_range):
    h, w = 35, 64
    y = RNG.integers(0, 256, (h, w), np.uint8)
    u, v = (RNG.integers(0, 256, (h, w // 2), np.uint8) for _ in range(2))
    expected = ref_yuv_to_rgb(y, np.repeat(u, 2, 1), np.repeat(v, 2, 1), matrix, color_range)
    for parallel in (True, False):
        got = yuyv_to_rgb(make_yuyv(y, u, v), matrix=matrix, color_range=color_range, parallel=parallel)
        assert_within_one(got, expected)


def test_golden_pixels_limited_bt601():
    """Black, white and grey code values convert exactly; 2x2 frames with known bytes."""
    y = np.array([[16, 235], [126, 16]], np.uint8)
    u = v = np.array([[128]], np.uint8)
    rgb = i420_to_rgb(make_i420(y, u, v), matrix=Matrix.BT601, color_range=ColorRange.LIMITED)
    assert rgb[0, 0].tolist() == [0, 0, 0]
    assert rgb[0, 1].tolist() == [255, 255, 255]
    assert rgb[1, 0].tolist() == [128, 128, 128]  # (126 - 16) * 255 / 219 = 128.08
    # Pure red in limited BT.601 is Y=81, Cb=90, Cr=240 (rounded); it decodes back to red.
    red = i420_to_rgb(make_i420(np.full((2, 2), 81, np.uint8), np.array([[90]], np.uint8), np.array([[240]], np.uint8)),
                      matrix=Matrix.BT601, color_range=ColorRange.LIMITED)
    assert np.abs(red[0, 0].astype(int) - [255, 0, 0]).max() <= 1


def test_extreme_codes_clamp_instead_of_wrapping():
    """Every corner of the YUV cube (most lie outside RGB) saturates as the clipped reference does."""
    corners = np.array([[a, b, c] for a in (0, 255) for b in (0, 255) for c in (0, 255)], np.uint8)
    y = np.repeat(corners[:, 0], 2).reshape(1, 16).repeat(2, 0)
    u, v = corners[:, 1].reshape(1, 8), corners[:, 2].reshape(1, 8)
    for matrix, color_range in ALL_PARAMS:
        got = i420_to_rgb(make_i420(y, u, v), matrix=matrix, color_range=color_range)
        expected = ref_yuv_to_rgb(y, np.repeat(np.repeat(u, 2, 0), 2, 1), np.repeat(np.repeat(v, 2, 0), 2, 1),
                                  matrix, color_range)
        assert_within_one(got, expected)
        assert {0, 255} <= set(np.unique(got).tolist())


def test_row_range_kernel_writes_only_its_rows():
    h, w = 8, 6
    y = RNG.integers(0, 256, (h, w), np.uint8)
    u, v = (RNG.integers(0, 256, (h // 2, w // 2), np.uint8) for _ in range(2))
    full = i420_to_rgb(make_i420(y, u, v), matrix=Matrix.BT601, color_range=ColorRange.FULL)
    out = np.zeros((h, w, 3), np.uint8)
    i420_to_rgb_rows(y, u, v, out, yuv_to_rgb_coefficients(Matrix.BT601, ColorRange.FULL), 3, 6)
    assert np.array_equal(out[3:6], full[3:6])
    assert not out[:3].any() and not out[6:].any()


def test_out_buffer_is_filled_and_returned():
    y = RNG.integers(0, 256, (4, 4), np.uint8)
    u = v = np.full((2, 2), 128, np.uint8)
    out = np.zeros((4, 4, 3), np.uint8)
    got = i420_to_rgb(make_i420(y, u, v), matrix=Matrix.BT601, color_range=ColorRange.FULL, out=out)
    assert got is out and np.array_equal(out[..., 0], y)  # full range, no chroma: R = G = B = Y


# ---------------------------------------------------------------- RGB -> YUV vs the reference


@pytest.mark.parametrize("matrix,color_range", ALL_PARAMS)
def test_rgb_to_i420_and_nv12_match_reference(matrix, color_range):
    h, w = 66, 34
    rgb = RNG.integers(0, 256, (h, w, 3), np.uint8)
    ey, eu, ev = ref_rgb_to_i420_planes(rgb, matrix, color_range)
    for parallel in (True, False):
        kw = dict(matrix=matrix, color_range=color_range, parallel=parallel)
        i420 = rgb_to_i420(rgb, **kw)
        assert_within_one(i420, make_i420(ey, eu, ev))
        nv12 = rgb_to_nv12(rgb, **kw)
        assert_within_one(nv12, make_nv12(ey, eu, ev))


@pytest.mark.parametrize("matrix,color_range", ALL_PARAMS)
def test_greys_convert_exactly(matrix, color_range):
    grey = np.repeat(np.arange(256, dtype=np.uint8), 2).reshape(16, 32, 1).repeat(3, 2)
    grey = np.ascontiguousarray(grey)
    yuv = rgb_to_i420(grey, matrix=matrix, color_range=color_range)
    h = grey.shape[0]
    assert (yuv[h:] == 128).all(), "grey must have neutral chroma"
    offset, scale = (16, 219) if color_range is ColorRange.LIMITED else (0, 255)
    assert np.array_equal(yuv[:h], np.floor(offset + grey[..., 0].astype(int) * scale / 255 + 0.5).astype(np.uint8))
    coef = rgb_to_yuv_coefficients(matrix, color_range)
    assert coef[4] + coef[5] + coef[6] == 0 and coef[7] + coef[8] + coef[9] == 0


# ---------------------------------------------------------------- against OpenCV (BT.601 limited)


def _blocky_rgb(h, w):
    """Random RGB where each 2x2 block is one colour, so the chroma subsampling method cannot matter."""
    return np.ascontiguousarray(np.repeat(np.repeat(RNG.integers(0, 256, (h // 2, w // 2, 3), np.uint8), 2, 0), 2, 1))


def test_matches_opencv_yuv_to_rgb():
    """OpenCV's YUV->RGB codes for 4:2:x are BT.601 limited range (Y 16..235)."""
    h, w = 48, 64
    i420 = RNG.integers(16, 236, (h * 3 // 2, w), np.uint8)
    kw = dict(matrix=Matrix.BT601, color_range=ColorRange.LIMITED)
    assert_within_one(i420_to_rgb(i420, **kw), cv2.cvtColor(i420, cv2.COLOR_YUV2RGB_I420))
    assert_within_one(nv12_to_rgb(i420, **kw), cv2.cvtColor(i420, cv2.COLOR_YUV2RGB_NV12))
    yuyv = RNG.integers(16, 236, (h, w, 2), np.uint8)
    assert_within_one(yuyv_to_rgb(yuyv, **kw), cv2.cvtColor(yuyv, cv2.COLOR_YUV2RGB_YUYV))


def test_matches_opencv_rgb_to_i420():
    """OpenCV's RGB->I420 is BT.601 limited range too."""
    rgb = _blocky_rgb(48, 64)
    assert_within_one(rgb_to_i420(rgb, matrix=Matrix.BT601, color_range=ColorRange.LIMITED),
                      cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420))


def test_matches_opencv_full_range_bt601_per_pixel():
    """cv2.COLOR_RGB2YCrCb is JPEG (BT.601 full range) without subsampling: compare on flat blocks."""
    rgb = _blocky_rgb(16, 16)
    ycrcb = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)
    i420 = rgb_to_i420(rgb, matrix=Matrix.BT601, color_range=ColorRange.FULL)
    assert_within_one(i420[:16], ycrcb[..., 0])
    assert_within_one(i420[16:20].reshape(8, 8), ycrcb[::2, ::2, 2])  # U = Cb
    assert_within_one(i420[20:].reshape(8, 8), ycrcb[::2, ::2, 1])  # V = Cr


# ---------------------------------------------------------------- round trips and validation


@pytest.mark.parametrize("matrix,color_range", ALL_PARAMS)
def test_round_trip_rgb_yuv_rgb(matrix, color_range):
    """Flat 2x2 blocks lose nothing to subsampling; what remains is quantisation (a few levels)."""
    rgb = _blocky_rgb(32, 32)
    kw = dict(matrix=matrix, color_range=color_range)
    back_i420 = i420_to_rgb(rgb_to_i420(rgb, **kw), **kw)
    back_nv12 = nv12_to_rgb(rgb_to_nv12(rgb, **kw), **kw)
    limit = 3 if color_range is ColorRange.LIMITED else 2  # limited range has 219/224 codes for 256 levels
    assert np.abs(back_i420.astype(int) - rgb).max() <= limit
    assert np.array_equal(back_i420, back_nv12)


def test_round_trip_yuv_rgb_yuv_on_in_gamut_colours():
    rgb = _blocky_rgb(16, 16)
    kw = dict(matrix=Matrix.BT709, color_range=ColorRange.FULL)
    i420 = rgb_to_i420(rgb, **kw)
    again = rgb_to_i420(i420_to_rgb(i420, **kw), **kw)
    assert np.abs(again.astype(int) - i420).max() <= 1


@pytest.mark.parametrize(
    "call,array",
    [
        (yuyv_to_rgb, np.zeros((4, 5, 2), np.uint8)),
        (i420_to_rgb, np.zeros((5, 4), np.uint8)),
        (nv12_to_rgb, np.zeros((6, 4), np.float32)),
        (rgb_to_i420, np.zeros((3, 4, 3), np.uint8)),
        (rgb_to_nv12, np.zeros((4, 4, 4), np.uint8)),
    ],
)
def test_bad_shapes_name_the_shape(call, array):
    with pytest.raises(ValueError, match=str(array.shape).replace("(", r"\(").replace(")", r"\)")):
        call(array, matrix=Matrix.BT601, color_range=ColorRange.LIMITED)


def test_wrong_out_buffer_is_rejected():
    with pytest.raises(ValueError, match="out must be"):
        rgb_to_i420(np.zeros((4, 4, 3), np.uint8), matrix=Matrix.BT601, color_range=ColorRange.FULL,
                    out=np.zeros((4, 4), np.uint8))


def test_enum_values_document_themselves():
    assert "Kr=0.299" in Matrix.BT601.value and "16..235" in ColorRange.LIMITED.value
