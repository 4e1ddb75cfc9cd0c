"""DeviceCamera on a machine without cameras: the paths that run before and around the driver."""

import time

import cv2
import numpy as np
import pytest

from cameras import DeviceCamera
from cameras.device import fourcc_text, open_capture, yuyv_buffer_to_rgb
from compositor.errors import CameraError, CameraNotFound, LayersValueError
from tests.cameras.conftest import camera_threads, open_fds


def test_missing_device_fails_fast_and_quietly(capfd):
    camera = DeviceCamera("/dev/video0")
    start = time.perf_counter()
    with pytest.raises(CameraNotFound, match="/dev/video0"):
        camera.open()
    assert time.perf_counter() - start < 0.5
    assert capfd.readouterr() == ("", "")
    assert not camera.is_open and camera.stats.errors == 1


def test_index_means_dev_video_n():
    assert DeviceCamera(3).path == "/dev/video3"


def test_a_node_that_is_not_a_camera_lists_every_backends_reason(tmp_path, capfd):
    node = tmp_path / "video9"
    node.touch()
    fds, threads = open_fds(), set(camera_threads())
    with pytest.raises(CameraError) as caught:
        DeviceCamera(str(node), pixel_format="yuyv").open()
    message = str(caught.value)
    assert "'opencv' backend:" in message and "'pyav' backend:" in message and str(node) in message
    assert capfd.readouterr().err == ""  # OpenCV's own warnings are silenced; our error says it all
    assert open_fds() <= fds and set(camera_threads()) == threads


def test_one_backend_only(tmp_path):
    node = tmp_path / "video9"
    node.touch()
    with pytest.raises(CameraError, match="'pyav' backend") as caught:
        open_capture(str(node), 640, 480, 30, "mjpeg", ("pyav",))
    assert "opencv" not in str(caught.value)


@pytest.mark.parametrize("kwargs,match", [({"pixel_format": "h264"}, "h264"), ({"backend": "gstreamer"}, "gstreamer")])
def test_bad_options_are_rejected(kwargs, match):
    with pytest.raises(LayersValueError, match=match):
        DeviceCamera("/dev/video0", **kwargs)


def test_yuyv_buffers_convert_with_the_native_kernel():
    """Raw YUYV as a driver hands it over (flat bytes), checked against OpenCV's BT.601 limited decode."""
    rng = np.random.default_rng(5)
    packed = rng.integers(16, 236, (6, 8, 2), np.uint8)
    rgb = yuyv_buffer_to_rgb(packed.reshape(-1), 8, 6)
    expected = cv2.cvtColor(packed, cv2.COLOR_YUV2RGB_YUYV)
    assert np.abs(rgb.astype(int) - expected).max() <= 1
    with pytest.raises(CameraError, match="95 bytes"):
        yuyv_buffer_to_rgb(np.zeros(95, np.uint8), 8, 6)


def test_fourcc_text():
    assert fourcc_text(cv2.VideoWriter_fourcc(*"MJPG")) == "MJPG"
    assert fourcc_text(0) == ""
