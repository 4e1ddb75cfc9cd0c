"""The compose kernel against the float64 reference compositor, pixel by pixel."""

import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from native.compose import PARAMS, Composer, compose, layer_params
from native.spans import FULL, PARTIAL, run_table, runs_of_row
from native.premultiply import premultiply
from tests import reference

ROOT = pathlib.Path(__file__).resolve().parents[2]

def _both(height, width, params, sources, masks=(), background=(0, 0, 0), clear=True):
    """The kernel against the reference, layer by layer: each layer drawn by the kernel over a
    canvas must be within 1 level of the reference drawing it over the same canvas, and the
    one-pass kernel (serial and parallel) must give exactly the layer-by-layer result.

    Comparing only the final frames would let rounding differences add up: the 11-bit bilinear
    weights can move a sample across a rounding boundary (1 level), and two stacked scaled
    layers can then differ by 2 on one pixel where both do (hypothesis found one)."""
    params = np.asarray(params, np.float64).reshape(-1, PARAMS)
    start = np.random.default_rng(7).integers(0, 256, (height, width, 3), np.uint8)
    canvas = start.copy()
    if clear:
        canvas[:] = background
    for i in range(len(params)):
        expected = reference.compose(canvas.copy(), params[i:i + 1], sources, masks, clear=False)
        compose(canvas, params[i:i + 1], sources, masks, clear=False, parallel=False)
        diff = np.abs(canvas.astype(int) - expected.astype(int))
        assert diff.max() <= 1, f"layer {i}: max diff {diff.max()} at {np.argwhere(diff > 1)[:5]}"
    for parallel in (False, True):
        got = compose(start.copy(), params, sources, masks, background, clear, parallel=parallel)
        assert np.array_equal(got, canvas), f"parallel={parallel}: one pass != layer by layer at " \
                                            f"{np.argwhere(got != canvas)[:5]}"
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


@settings(max_examples=int(os.environ.get("LAYERS_KERNEL_EXAMPLES", 60)), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), count=st.integers(1, 6),
       height=st.integers(1, 40), width=st.integers(1, 40))
@example(seed=1529925, count=5, height=18, width=19)   # two scaled RGBA layers off by 1 on one pixel
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


# --- run tables, the Composer and the paths the camera scenes take -----------------------------

def test_run_table_merges_chunks_and_leaves_out_transparent():
    mask = np.zeros((5, 40), np.uint8)
    mask[1, 3:20] = 255     # chunk 0 keeps its 3 leading zeros (< MIN_TRIM), chunk 1 trims its tail
    mask[2] = 255           # one FULL run, the last chunk short
    mask[3, 17] = 9         # chunk 1 partial up to its trailing zeros, chunk 2 (32..39) full
    mask[3, 32:] = 255
    mask[4, 8:24] = 128     # a soft edge: partial exactly where it is, opaque after it
    mask[4, 24:] = 255
    table = run_table(mask)
    assert [runs_of_row(table, y) for y in range(5)] == [
        [], [(0, 3, PARTIAL), (3, 20, FULL)], [(0, 40, FULL)], [(16, 18, PARTIAL), (32, 40, FULL)],
        [(8, 24, PARTIAL), (24, 40, FULL)]]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([0, 0, 0, 255, 255, 255, 1, 128, 254]), min_size=1, max_size=70))
def test_run_table_runs_say_the_truth(values):
    """Whatever the pattern, FULL runs hold only 255, every non-zero pixel lies in some run, and
    runs are sorted and disjoint: the kernel copies FULL runs and skips what no run covers."""
    mask = np.array([values], np.uint8)
    runs = runs_of_row(run_table(mask), 0)
    covered = np.zeros(len(values), bool)
    for (start, stop, kind), following in zip(runs, runs[1:] + [(len(values), None, None)]):
        assert start < stop <= following[0]
        assert kind == PARTIAL or (mask[0, start:stop] == 255).all()
        covered[start:stop] = True
    assert not (mask[0][~covered]).any()


def test_run_table_of_rgba_reads_premultiplied_alpha():
    rgba = np.zeros((1, 48, 4), np.uint8)
    rgba[0, 16:32] = (10, 20, 30, 255)
    rgba[0, 40] = (0, 0, 0, 1)          # colour 0 but alpha 1: not transparent
    assert runs_of_row(run_table(rgba), 0) == [(16, 32, FULL), (40, 41, PARTIAL)]


def test_run_table_rejects_what_it_cannot_classify():
    with pytest.raises(ValueError, match="float32"):
        run_table(np.zeros((2, 2), np.float32))
    with pytest.raises(ValueError, match=r"\(2, 2, 3\)"):
        run_table(np.zeros((2, 2, 3), np.uint8))


def _structured_rgba(rng, h, w):
    """Premultiplied RGBA with long transparent, opaque and partial stretches, like a web view."""
    rgba = rng.integers(0, 256, (h, w, 4), np.uint8)
    alpha = np.zeros((h, w), np.uint8)
    for y in range(h):
        x = 0
        while x < w:
            run = int(rng.integers(1, 40))
            alpha[y, x:x + run] = rng.choice([0, 0, 255, 255, 128, 1])
            x += run
    rgba[..., 3] = alpha
    return premultiply(rgba)


def _structured_mask(rng, h, w):
    yy, xx = np.mgrid[0:h, 0:w]
    soft = (1.3 - ((xx - w / 2) / (0.4 * w)) ** 2 - ((yy - h / 2) / (0.45 * h)) ** 2) * 300
    return np.clip(soft, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("mirror", [False, True])
@pytest.mark.parametrize("masks", ["source", "dest", "dest-mirrored", "both"])
def test_camera_layer_under_masks_matches_reference(mirror, masks):
    """The person-mask path (an RGB source under one mask, drawn by its run table) and the two-mask
    path (chunks classified while drawing), clipped on both sides, taller than a band."""
    rng = np.random.default_rng(11)
    h, w = 70, 150
    cam = rng.integers(0, 256, (h, w, 3), np.uint8)
    smask, dmask = _structured_mask(rng, h, w), _structured_mask(rng, h, w)[:, ::-1].copy()
    kwargs = dict(source_mask=0 if masks in ("source", "both") else -1,
                  dest_mask=1 if masks != "source" else -1,
                  dest_mask_mirror=masks == "dest-mirrored")
    params = np.array([layer_params(0, (-7, -3, w, h), source_shape=cam.shape, mirror=mirror,
                                    **kwargs),
                       layer_params(0, (60, 5, w, h), source_shape=cam.shape, mirror=mirror,
                                    **kwargs)])
    _both(h + 10, w + 20, params, [cam], [smask, dmask])


@pytest.mark.parametrize("mirror", [False, True])
def test_structured_rgba_windows_and_masks_match_reference(mirror):
    """Run tables clipped to a source window (1:1 with an offset), mirrored, and RGBA under a mask
    (both planes classified while drawing)."""
    rng = np.random.default_rng(5)
    img = _structured_rgba(rng, 60, 200)
    mask = _structured_mask(rng, 50, 130)
    params = np.array([
        layer_params(0, (0, 0, 200, 60), source_shape=img.shape, mirror=mirror),
        layer_params(0, (-20, 4, 130, 50), window=(37, 7, 130, 50), mirror=mirror),
        layer_params(0, (30, 10, 130, 50), window=(50, 3, 130, 50), mirror=mirror, dest_mask=0),
        layer_params(0, (90, -9, 130, 50), window=(17, 0, 130, 50), mirror=mirror,
                     source_mask=1, dest_mask=0, dest_mask_mirror=True),
    ])
    _both(64, 190, params, [img], [mask, _structured_mask(rng, 60, 200)], background=(3, 4, 5))


def test_scaled_tiles_with_circle_cutouts_match_reference():
    """The immersive path: camera frames shrunk into tiles with anti-aliased circle cutouts
    (corners neither sampled nor drawn), one mirrored, one clipped, one upscaled."""
    rng = np.random.default_rng(9)
    cam = rng.integers(0, 256, (72, 128, 3), np.uint8)
    yy, xx = np.mgrid[0:34, 0:60]
    circle = np.clip((17 - np.hypot(xx + 0.5 - 30, yy + 0.5 - 17)) * 255 + 128, 0, 255).astype(np.uint8)
    overlay = _structured_rgba(rng, 40, 70)
    params = np.array([
        layer_params(0, (3, 2, 60, 34), window=(28, 0, 72, 72), dest_mask=0),
        layer_params(0, (70, 2, 60, 34), window=(28, 0, 72, 72), dest_mask=0, mirror=True,
                     dest_mask_mirror=True),
        layer_params(0, (-20, 40, 60, 34), source_shape=cam.shape, dest_mask=0),
        layer_params(1, (50, 30, 90, 45), source_shape=overlay.shape, mirror=True),
    ])
    _both(80, 140, params, [cam, overlay], [circle])


@pytest.mark.parametrize("mirror", [False, True])
def test_scaled_rgb_rows_of_every_width_leave_their_neighbours_alone(mirror):
    """Scaled RGB rows go two pixels at a time through `native.vector`, which also writes a spare
    byte into the next pixel; rows of 1..9 pixels (pairs plus a tail of 1 or 2) drawn side by
    side over the old canvas (clear=False) must each match the reference and touch nothing else."""
    rng = np.random.default_rng(11)
    cam = rng.integers(0, 256, (40, 57, 3), np.uint8)
    params, x = [], 1
    for width in range(1, 10):
        for source_width in (57, 5):                      # shrunk, and enlarged
            params.append(layer_params(0, (x, 2, width, 7), window=(3, 1, source_width - 3, 30),
                                       mirror=mirror))
            x += width + 1                                # one old pixel between neighbours
    _both(12, x + 1, np.array(params), [cam], clear=False)


@pytest.mark.parametrize("mirror", [False, True])
def test_scaled_tiles_with_person_masks_match_reference(mirror):
    """Immersive tiles with a 'person' cutout: the source mask scaled with the frame, rows where
    it is empty skipped, only the pixels near its runs sampled; with and without a circle
    cutout on top, shrunk, enlarged, mirrored and clipped at the canvas edges."""
    rng = np.random.default_rng(21)
    cam = rng.integers(0, 256, (72, 128, 3), np.uint8)
    person = np.zeros((72, 128), np.uint8)
    person[20:, 30:100] = _structured_mask(rng, 52, 70)              # empty top rows and sides
    person[5:12, 60:64] = 255                                         # a thin hard-edged island
    yy, xx = np.mgrid[0:34, 0:60]
    circle = np.clip((17 - np.hypot(xx + 0.5 - 30, yy + 0.5 - 17)) * 255 + 128, 0, 255).astype(np.uint8)
    params = np.array([
        layer_params(0, (3, 2, 60, 34), source_shape=cam.shape, mirror=mirror, source_mask=0),
        layer_params(0, (70, 2, 60, 34), source_shape=cam.shape, mirror=mirror, source_mask=0,
                     dest_mask=1, dest_mask_mirror=mirror),
        layer_params(0, (-30, 40, 200, 112), window=(10, 4, 100, 60), mirror=mirror,
                     source_mask=0),
        layer_params(0, (100, 50, 60, 34), source_shape=cam.shape, mirror=mirror, source_mask=0,
                     dest_mask=1),
    ])
    _both(120, 140, params, [cam], [person, circle], background=(9, 8, 7))


def test_opaque_layer_hides_what_is_below_it_row_by_row():
    """Rows a full-width opaque layer covers skip the background and the layers under it; rows it
    leaves uncovered still show them."""
    rng = np.random.default_rng(2)
    low = _structured_rgba(rng, 20, 30)
    cover = rng.integers(0, 256, (10, 40, 3), np.uint8)
    top = _structured_rgba(rng, 20, 30)
    params = np.array([layer_params(0, (0, 0, 30, 20), source_shape=low.shape),
                       layer_params(1, (-2, 5, 40, 10), source_shape=cover.shape),
                       layer_params(2, (0, 0, 30, 20), source_shape=top.shape)])
    _both(20, 30, params, [low, cover, top], background=(200, 100, 50))


def test_composer_swaps_sources_and_masks_between_frames():
    rng = np.random.default_rng(4)
    frames = [rng.integers(0, 256, (40, 50, 3), np.uint8) for _ in range(2)]
    masks = [_structured_mask(rng, 40, 50), np.zeros((40, 50), np.uint8)]
    web = _structured_rgba(rng, 40, 50)
    params = np.array([layer_params(0, (0, 0, 50, 40), source_shape=(40, 50), mirror=True,
                                    source_mask=0),
                       layer_params(1, (3, 2, 50, 40), source_shape=(40, 50))])
    composer = Composer([frames[0], web], [masks[0]])
    for frame, mask in zip(frames, masks):
        composer.set_source(0, frame)
        composer.set_mask(0, mask)
        for parallel in (False, True):
            got = composer.compose(np.zeros((40, 50, 3), np.uint8), params, parallel=parallel)
            expected = reference.compose(np.zeros((40, 50, 3), np.uint8), params, [frame, web], [mask])
            assert np.abs(got.astype(int) - expected).max() <= 1
    new_web = _structured_rgba(rng, 40, 50)
    composer.set_source(1, new_web)          # a new RGBA source is reclassified
    got = composer.compose(np.zeros((40, 50, 3), np.uint8), params)
    expected = reference.compose(np.zeros((40, 50, 3), np.uint8), params, [frames[1], new_web],
                                 [masks[1]])
    assert np.abs(got.astype(int) - expected).max() <= 1


def test_composer_rejects_bad_inputs_naming_them():
    with pytest.raises(ValueError, match="at least one source"):
        Composer([])
    with pytest.raises(ValueError, match=r"source 0 .*\(4, 4\)"):
        Composer([np.zeros((4, 4), np.uint8)])
    composer = Composer([np.zeros((4, 4, 3), np.uint8)], [np.zeros((4, 4), np.uint8)])
    with pytest.raises(ValueError, match="mask 0 .*float64"):
        composer.set_mask(0, np.zeros((4, 4)))
    with pytest.raises(ValueError, match=r"source 0 .*\(4, 4, 2\)"):
        composer.set_source(0, np.zeros((4, 4, 2), np.uint8))


def test_python_path_without_jit_matches_reference():
    """The same kernels as plain Python (NUMBA_DISABLE_JIT=1), so they stay debuggable."""
    script = (
        "import numpy as np\n"
        "from tests.native.test_compose import _random_scene, _structured_rgba\n"
        "from native.compose import compose, layer_params\n"
        "from tests import reference\n"
        "for seed in range(4):\n"
        "    rng = np.random.default_rng(seed)\n"
        "    params, sources, masks = _random_scene(rng, 12, 20, 4)\n"
        "    sources.append(_structured_rgba(rng, 6, 40))\n"
        "    params = np.vstack([params, layer_params(len(sources) - 1, (-3, 2, 40, 6),\n"
        "                                             source_shape=(6, 40), mirror=True)])\n"
        "    start = rng.integers(0, 256, (12, 20, 3), np.uint8)\n"
        "    want = reference.compose(start.copy(), params, sources, masks)\n"
        "    got = compose(start.copy(), params, sources, masks, parallel=seed % 2 == 0)\n"
        "    assert np.abs(got.astype(int) - want).max() <= 1, seed\n"
        "print('ok')\n")
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-2000:]
