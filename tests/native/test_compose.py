"""The compose kernel against the float64 reference compositor, pixel by pixel."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st, HealthCheck

from native.compose import compose, layer_params
from native.premultiply import premultiply
from tests import reference


def _both(height, width, params, sources, masks=(), background=(0, 0, 0), clear=True):
    start = np.random.default_rng(7).integers(0, 256, (height, width, 3), np.uint8)
    expected = reference.compose(start.copy(), params, sources, masks, background, clear)
    for parallel in (False, True):
        got = compose(start.copy(), params, sources, masks, background, clear, parallel=parallel)
        diff = np.abs(got.astype(int) - expected.astype(int))
        assert diff.max() <= 1, f"parallel={parallel}: max diff {diff.max()} at {np.argwhere(diff > 1)[:5]}"
    return got


# --- golden frames: hand-computed bytes ------------------------------------------------------

def test_half_white_over_grey_is_160():
    # 50% white (straight 255, a=128 -> premultiplied 128) over grey 64: 128 + 64 * 127/255 = 159.87
    white = premultiply(np.array([[[255, 255, 255, 128]]], np.uint8))
    out = np.full((1, 1, 3), 64, np.uint8)
    compose(out, [layer_params(0, (0, 0, 1, 1), source_shape=white.shape)], [white], clear=False)
    assert out.tolist() == [[[160, 160, 160]]]


def test_opaque_copy_and_transparent_skip_2x2():
    src = premultiply(np.array([[[10, 20, 30, 255], [1, 2, 3, 0]],
                                [[200, 100, 50, 255], [255, 0, 0, 0]]], np.uint8))
    out = np.full((2, 2, 3), 7, np.uint8)
    compose(out, [layer_params(0, (0, 0, 2, 2), source_shape=src.shape)], [src], clear=False)
    assert out.tolist() == [[[10, 20, 30], [7, 7, 7]], [[200, 100, 50], [7, 7, 7]]]


def test_mirror_2x2_and_background_clear():
    cam = np.array([[[1, 1, 1], [2, 2, 2]], [[3, 3, 3], [4, 4, 4]]], np.uint8)
    out = np.zeros((2, 3, 3), np.uint8)
    compose(out, [layer_params(0, (1, 0, 2, 2), source_shape=cam.shape, mirror=True)], [cam],
            background=(9, 8, 7))
    assert out[:, 0].tolist() == [[9, 8, 7], [9, 8, 7]]
    assert out[:, 1:, 0].tolist() == [[2, 1], [4, 3]]


def test_mask_half_blends_rgb():
    cam = np.full((1, 1, 3), 200, np.uint8)
    mask = np.array([[128]], np.uint8)
    out = np.full((1, 1, 3), 100, np.uint8)
    compose(out, [layer_params(0, (0, 0, 1, 1), source_shape=cam.shape, source_mask=0)], [cam],
            [mask], clear=False)
    # 200 * 128/255 + 100 * 127/255 = 150.196
    assert out.tolist() == [[[150, 150, 150]]]


def test_clipping_never_wraps():
    cam = np.full((4, 4, 3), 255, np.uint8)
    out = np.zeros((4, 4, 3), np.uint8)
    compose(out, [layer_params(0, (-2, 3, 4, 4), source_shape=cam.shape)], [cam])
    assert out[3, :2].min() == 255 and out[:3].max() == 0 and out[3, 2:].max() == 0


def test_equal_size_upscale_is_smooth_and_exact_at_centres():
    # 2x upscale of a 1x2 ramp: bilinear with aligned centres gives 0, 64, 191, 255 (clamped edges)
    src = np.array([[[0, 0, 0], [255, 255, 255]]], np.uint8)
    out = np.zeros((1, 4, 3), np.uint8)
    compose(out, [layer_params(0, (0, 0, 4, 1), source_shape=src.shape)], [src])
    assert out[0, :, 0].tolist() == [0, 64, 191, 255]


# --- random scenes against the reference ------------------------------------------------------

def _random_scene(rng, height, width, count):
    sources, masks, params = [], [], []
    for i in range(count):
        sh, sw = int(rng.integers(1, 24)), int(rng.integers(1, 24))
        if rng.random() < 0.5:
            sources.append(rng.integers(0, 256, (sh, sw, 3), np.uint8))
        else:
            rgba = rng.integers(0, 256, (sh, sw, 4), np.uint8)
            rgba[..., 3] = rng.choice([0, 1, 255, 128, 254], (sh, sw))
            sources.append(premultiply(rgba))
        dw, dh = int(rng.integers(1, 30)), int(rng.integers(1, 30))
        if rng.random() < 0.4:
            dw, dh = sw, sh      # 1:1 path
        dest = (int(rng.integers(-dw, width + 1)), int(rng.integers(-dh, height + 1)), dw, dh)
        smask = dmask = -1
        if rng.random() < 0.3:
            masks.append(rng.choice([0, 255, 1, 128], (sh, sw)).astype(np.uint8))
            smask = len(masks) - 1
        if rng.random() < 0.3:
            masks.append(rng.integers(0, 256, (dh, dw), np.uint8))
            dmask = len(masks) - 1
        window = None
        if rng.random() < 0.3:
            x0, y0 = rng.uniform(0, sw / 2), rng.uniform(0, sh / 2)
            window = (x0, y0, rng.uniform(0.5, sw - x0), rng.uniform(0.5, sh - y0))
        params.append(layer_params(i, dest, window, mirror=bool(rng.random() < 0.4),
                                   source_mask=smask, dest_mask=dmask,
                                   dest_mask_mirror=bool(rng.random() < 0.3),
                                   source_shape=sources[-1].shape))
    return np.array(params), sources, masks


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), count=st.integers(1, 6),
       height=st.integers(1, 40), width=st.integers(1, 40))
def test_random_scenes_match_reference(seed, count, height, width):
    rng = np.random.default_rng(seed)
    params, sources, masks = _random_scene(rng, height, width, count)
    _both(height, width, params, sources, masks, clear=bool(rng.random() < 0.5))


@pytest.mark.parametrize("shape", [(1, 1), (1, 37), (37, 1), (70, 90)])
def test_wide_spans_mix_of_alpha(shape):
    rng = np.random.default_rng(3)
    h, w = shape
    rgba = np.zeros((h, w, 4), np.uint8)
    rgba[..., :3] = rng.integers(0, 256, (h, w, 3))
    rgba[..., 3] = np.where(rng.random((h, w)) < 0.5, 0, np.where(rng.random((h, w)) < 0.5, 255, 77))
    rgba[:, : w // 3, 3] = 0          # long transparent run
    rgba[:, 2 * w // 3:, 3] = 255     # long opaque run
    img = premultiply(rgba)
    params = [layer_params(0, (0, 0, w, h), source_shape=img.shape),
              layer_params(0, (3, -2, w, h), source_shape=img.shape, mirror=True)]
    _both(h + 2, w + 5, np.array(params), [img])
