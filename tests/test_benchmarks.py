"""The benchmark machinery: scenes as issue 2 defines them, contenders that agree with each other,
the bandwidth floor's byte count, and the report `layers bench` prints. No timing is asserted."""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchmarks import bandwidth, harness, report
from benchmarks.bandwidth import Floor
from benchmarks.harness import Measurement, SceneResult
from benchmarks.scenes import ALL_SCENES, SCENES, BenchLayer, BenchScene, camera_720p, immersive_1080p
from compositor.cli import main

TINY = 0.1  # 128x72 and 192x108 canvases: every contender runs in milliseconds
CONTENDERS = harness.discover()


@pytest.fixture(scope="module")
def full_camera() -> BenchScene:
    return camera_720p()


def test_camera_scene_matches_issue(full_camera):
    scene = full_camera
    assert (scene.width, scene.height) == (1280, 720)
    assert [layer.name for layer in scene.layers] == [
        "background", "participant", "webview", "image-1", "image-2", "foreground"]
    participant, webview = scene.layers[1], scene.layers[2]
    assert participant.per_frame and participant.mirror
    assert 0.35 < participant.mask.mean() / 255 < 0.45  # "about 40% coverage"
    assert 0.75 < np.mean(webview.frames[0][..., 3] == 0) < 0.85  # "about 80% fully transparent"
    assert [layer.frames[0].shape for layer in scene.layers[3:5]] == [(180, 320, 4)] * 2
    assert np.mean(scene.layers[-1].frames[0][..., 3] == 0) > 0.8  # foreground mostly transparent
    partial = scene.layers[3].frames[0][..., 3]
    assert ((partial > 0) & (partial < 255)).any()  # images carry partial alpha


def test_immersive_scene_is_a_grid_of_circles():
    scene = immersive_1080p(0.25)
    participants = [layer for layer in scene.layers if layer.name.startswith("participant")]
    assert (scene.width, scene.height) == (480, 270) and len(participants) == 9
    for layer in participants:
        assert layer.frames[0].shape == (180, 320, 3) and (layer.width, layer.height) == (150, 84)
        assert layer.cutout.shape == (84, 150) and layer.cutout[42, 0] == 0 and layer.cutout[42, 75] == 255
        assert 0 <= layer.x and layer.x + layer.width <= scene.width
        assert 0 <= layer.y and layer.y + layer.height <= scene.height
    rects = {(layer.x, layer.y) for layer in participants}
    assert len(rects) == 9  # no two tiles overlap exactly


@pytest.mark.parametrize("name", ALL_SCENES)
def test_scenes_are_reproducible(name):
    first, second = ALL_SCENES[name](TINY), ALL_SCENES[name](TINY)
    for a, b in zip(first.layers, second.layers):
        assert all(np.array_equal(x, y) for x, y in zip(a.frames, b.frames))
    camera = next(layer for layer in first.layers if layer.per_frame)
    assert not np.array_equal(camera.frames[0], camera.frames[1])  # a camera really changes


def test_numpy_contender_golden_pixels():
    """50% white over grey 64 is 160 (STYLE.md item 10); mirror, scale and clipping by hand."""
    from benchmarks.contenders import numpy as numpy_contender

    grey = np.full((1, 2, 3), 64, np.uint8)
    half_white = np.array([[[255, 255, 255, 128]]], np.uint8)
    # A 2x1 source whose left pixel is red, mirrored, placed half off the canvas at x=-1.
    red_blue = np.array([[[255, 0, 0], [0, 0, 255]]], np.uint8)
    scene = BenchScene("golden", 2, 1, (
        BenchLayer("grey", (grey,), 0, 0, 2, 1),
        BenchLayer("white", (half_white,), 0, 0, 1, 1),
        BenchLayer("mirrored", (red_blue,), 0, 0, 2, 1, mirror=True, cutout=np.array([[255, 0]], np.uint8)),
    ))
    out = numpy_contender.prepare(scene, 1)(0)
    assert out[0, 0].tolist() == [0, 0, 255]  # mirrored: blue first, cutout keeps it
    assert out[0, 1].tolist() == [64, 64, 64]  # cutout 0 leaves the grey
    out = numpy_contender.prepare(BenchScene("golden", 2, 1, scene.layers[:2]), 1)(0)
    assert out[0, 0].tolist() == [160, 160, 160]
    clipped = BenchLayer("clipped", (red_blue,), -1, 0, 2, 1)
    out = numpy_contender.prepare(BenchScene("golden", 2, 1, (clipped,)), 1)(0)
    assert out.tolist() == [[[0, 0, 255], [0, 0, 0]]]  # only the blue half lands, on black


@pytest.mark.parametrize("name", ALL_SCENES)
@pytest.mark.parametrize("contender", CONTENDERS, ids=[c.key for c in CONTENDERS])
def test_contender_agrees_with_numpy(contender, name):
    """Two frames of the tiny scene, within rounding and resampler differences of numpy's.

    Scalers differ legitimately (Pillow, swscale and GStreamer filter when shrinking; OpenCV and
    numpy sample), and GStreamer gets its cutout baked at source resolution, so the check bounds
    the mean and the 99th percentile of the per-channel difference, not every pixel.
    """
    if contender.skipped:
        pytest.skip(contender.skipped)
    from benchmarks.contenders import numpy as numpy_contender

    scene = ALL_SCENES[name](TINY)
    expected = numpy_contender.prepare(scene, 1)
    compose = contender.module.prepare(scene, 2)
    try:
        for index in range(2):
            out = compose(index)
            assert out.shape == (scene.height, scene.width, 3) and out.dtype == np.uint8
            difference = np.abs(out.astype(np.int16) - expected(index))
            assert difference.mean() < 1.5, f"{contender.name} frame {index}: mean {difference.mean():.2f}"
            assert np.percentile(difference, 99) <= 16, f"{contender.name} frame {index}"
    finally:
        close = getattr(compose, "close", None)
        if close is not None:
            close()


def test_discovery_finds_every_contender_in_table_order():
    keys = [contender.key for contender in CONTENDERS]
    assert {"pillow", "opencv", "numpy", "ffmpeg", "gstreamer"} <= set(keys)
    assert keys.index("pillow") < keys.index("opencv") < keys.index("numpy")
    pillow = next(c for c in CONTENDERS if c.key == "pillow")
    assert pillow.thread_counts() == [1]  # no thread setting: measured once


def test_floor_counts_visible_sources_masks_and_output(full_camera):
    expected = (1280 * 720 * 3            # output
                + 1280 * 720 * 3          # background
                + 1280 * 720 * (3 + 1)    # participant + person mask
                + 1280 * 720 * 4 * 2      # web view + foreground
                + 320 * 180 * 4 * 2)      # two images
    assert bandwidth.frame_bytes(full_camera) == expected
    half = BenchLayer("half", (np.zeros((10, 10, 3), np.uint8),), -5, 0, 10, 10)
    clipped = BenchScene("clipped", 10, 10, (half,))
    assert bandwidth.frame_bytes(clipped) == 10 * 10 * 3 + 10 * 10 * 3 // 2
    assert bandwidth.copy_bandwidth(1 << 20, 2) > 0


def _result(scene: str, kernel_1: float, kernel_all: float, floor_ms: float, **others: float) -> SceneResult:
    rows = [Measurement("kernel", "layers", 1, 200, 0.1, 1.0, kernel_1, kernel_1 * 1.2),
            Measurement("kernel", "layers", harness.os.cpu_count(), 200, 0.1, 0.01, kernel_all, kernel_all)]
    for key, median in others.items():
        threads = harness.os.cpu_count() if key.endswith("_all") else 1
        key = key.removesuffix("_all")
        rows.append(Measurement(key, key.capitalize(), threads, 200, 0.0, 0.0, median, median))
    bytes_per_frame = 10**6
    return SceneResult(scene, Floor(scene, bytes_per_frame, bytes_per_frame / floor_ms * 1e3), rows)


def test_targets_pass_and_fail_only_for_measured_rows(monkeypatch):
    monkeypatch.setattr(harness.os, "cpu_count", lambda: 2)
    camera = _result("camera-720p", 2.0, 1.0, 0.5, pillow=8.0, ffmpeg_all=3.0)
    immersive = _result("immersive-1080p", 20.0, 10.0, 2.0, pillow=56.0)
    lines = report.check_targets([camera, immersive])
    assert lines == [
        "PASS  camera-720p: layers on 1 thread at least 3.5x faster than Pillow: 4.00x",
        "PASS  camera-720p: layers on all cores at least 6x faster than Pillow: 8.00x",
        "PASS  camera-720p: layers on all cores at least 2x faster than Ffmpeg on all cores: 3.00x",
        "PASS  camera-720p: layers on all cores within 2.5x of the bandwidth floor: 2.00x",
        "FAIL  immersive-1080p: layers on 1 thread at least 5x faster than Pillow: 2.80x",
        "FAIL  immersive-1080p: layers on all cores at least 12x faster than Pillow: 5.60x",
    ]  # no OpenCV or GStreamer rows for immersive: those targets are not checked
    text = report.plain_text([camera])
    assert "layers (2 threads)" in text and "bandwidth floor" in text and "4.0x" in text


def test_layers_bench_prints_the_table_and_writes_json(tmp_path, capsys):
    out = tmp_path / "bench.json"
    code = main(["bench", "--scene", "camera-720p", "--frames", "3", "--warmup", "1", "--scale", "0.05",
                 "--contenders", "pillow,numpy", "--json", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    for text in ("camera-720p:", "Pillow (1 thread)", "numpy (1 thread)", "bandwidth floor", "vs Pillow"):
        assert text in printed
    saved = json.loads(out.read_text())
    assert [row["key"] for row in saved["scenes"][0]["rows"]] == ["pillow", "numpy"]
    assert saved["scenes"][0]["floor_ms"] > 0


@pytest.mark.parametrize("argv", [["--scene", "nope"], ["--contenders", "pillow,nope"], ["--frames", "0"]])
def test_layers_bench_rejects_bad_arguments(argv, capsys):
    assert main(["bench", *argv]) == 2
    assert "layers bench: error:" in capsys.readouterr().err


def test_kernel_module_is_discovered_first_and_labelled_layers(monkeypatch):
    """`benchmarks/contenders/kernel.py` joins the table by existing: stand a fake one in for it."""
    import pkgutil
    import sys
    import types

    fake = types.ModuleType("benchmarks.contenders.kernel")
    fake.NAME, fake.available, fake.prepare = "numba kernel", lambda: None, None
    monkeypatch.setitem(sys.modules, "benchmarks.contenders.kernel", fake)
    real = pkgutil.iter_modules

    def with_kernel(path):
        found = [info for info in real(path) if info.name != "kernel"]
        return [pkgutil.ModuleInfo(None, "kernel", False), *found]

    monkeypatch.setattr(harness.pkgutil, "iter_modules", with_kernel)
    kernel = harness.discover()[0]
    assert (kernel.key, kernel.name, kernel.threaded) == ("kernel", "layers", True)
    row = Measurement("kernel", kernel.name, 2, 200, 0.0, 0.0, 1.0, 1.0)
    assert row.label == "layers (2 threads)"
