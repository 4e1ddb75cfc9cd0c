"""TestPattern / TestPatternCamera / StillCamera, and the Camera protocol they share."""

import cv2
import numpy as np
import pytest

from cameras import Camera, StillCamera, TestPattern, TestPatternCamera
from compositor.errors import CameraNotFound, LayersValueError
from tests.cameras.conftest import camera_threads, open_fds, wait_for


def test_pattern_is_deterministic_per_frame_index():
    a, b = TestPattern(320, 180, 30), TestPattern(320, 180, 30)
    assert np.array_equal(a.render(7), b.render(7))
    assert not np.array_equal(a.render(7), a.render(8))  # it moves (bar, square, counter)
    frame = a.render(0)
    assert frame.shape == (180, 320, 3) and frame.dtype == np.uint8 and frame.flags.c_contiguous


def test_pattern_rendering_does_not_touch_the_prerendered_background():
    pattern = TestPattern(64, 48, 30)
    first = pattern.render(3)
    pattern.render(40)
    assert np.array_equal(pattern.render(3), first)


@pytest.mark.parametrize("size", [(15, 20), (64, 47), (0, 0)])
def test_pattern_rejects_bad_sizes(size):
    with pytest.raises(LayersValueError, match=f"{size[0]}x{size[1]}"):
        TestPattern(*size)


def test_test_pattern_camera_delivers_increasing_read_only_frames():
    with TestPatternCamera(160, 90, 60) as camera:
        first = wait_for(camera.latest)
        later = wait_for(lambda: (f := camera.latest()) is not None and f.seq > first.seq + 2 and f)
        assert later.timestamp > first.timestamp
        assert first.rgb.shape == (90, 160, 3) and not first.rgb.flags.writeable
        info = camera.info()
        assert info["width"] == 160 and info["height"] == 90 and info["fps"] == 60
        assert info["backend"] == "synthetic" and info["pixel_format"] == "rgb24"
    assert camera.stats.frames >= 3 and camera.stats.errors == 0


def test_test_pattern_frames_show_their_index():
    """The published image for sequence n is the pattern for index n-1 (no drops on a short run)."""
    with TestPatternCamera(64, 48, 30) as camera:
        frame = wait_for(camera.latest)
    if camera.stats.drops == 0:
        assert np.array_equal(frame.rgb, camera.pattern.render(frame.seq - 1))


def test_camera_ids_and_names():
    assert TestPatternCamera(640, 360, 15).id == "test:640x360@15"
    assert StillCamera(np.zeros((4, 4, 3), np.uint8), name="black").id == "still:black"
    assert TestPatternCamera(camera_id="x", name="y").name == "y"


def test_open_close_reopen_twice_and_idempotent_close():
    fds, threads = open_fds(), set(camera_threads())
    camera = TestPatternCamera(64, 48, 30)
    for _ in range(2):
        camera.open()
        camera.open()  # no second thread
        assert len([t for t in camera_threads() if t not in threads]) == 1
        first = wait_for(camera.latest)
        assert first.seq >= 1
        camera.close()
        camera.close()
        assert not camera.is_open
    assert set(camera_threads()) == threads
    assert open_fds() <= fds


def test_still_camera_from_array_repeats_a_private_copy():
    image = np.zeros((6, 8, 4), np.uint8)
    image[..., 0] = 200
    with StillCamera(image, name="red", fps=100) as camera:
        image[...] = 0  # the caller reusing its buffer must not change the camera
        first = wait_for(camera.latest)
        second = wait_for(lambda: (f := camera.latest()) and f.seq > first.seq and f)
    assert first.rgb.shape == (6, 8, 3) and (first.rgb[..., 0] == 200).all()
    assert second.rgb is first.rgb  # one array, shared: no per-frame copy


def test_still_camera_from_file(tmp_path):
    path = tmp_path / "photo.png"
    bgr = np.zeros((10, 12, 3), np.uint8)
    bgr[..., 2] = 255  # red in OpenCV's BGR order
    cv2.imwrite(str(path), bgr)
    with StillCamera(path) as camera:
        frame = wait_for(camera.latest)
    assert frame.rgb[0, 0].tolist() == [255, 0, 0]
    assert camera.id == f"still:{path}" and camera.info()["width"] == 12


def test_still_camera_missing_or_bad_file(tmp_path):
    with pytest.raises(CameraNotFound, match="nope.png"):
        StillCamera(tmp_path / "nope.png").open()
    (tmp_path / "bad.png").write_bytes(b"not an image")
    camera = StillCamera(tmp_path / "bad.png")
    with pytest.raises(LayersValueError, match="bad.png"):
        camera.open()
    assert camera.stats.errors == 1 and not camera.is_open


def test_still_camera_rejects_bad_arrays():
    with pytest.raises(LayersValueError, match="float32"):
        StillCamera(np.zeros((4, 4, 3), np.float32))


def test_base_class_requires_the_hooks():
    with pytest.raises(NotImplementedError):
        Camera("c", "c").open()
