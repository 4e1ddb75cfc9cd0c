import statistics
import sys
import time

import numpy as np
import pytest
import pyvirtualcam

from compositor.errors import SinkError
from compositor.renderer import RenderLoop
from compositor.sinks.virtualcam import VirtualCameraSink
from compositor.sinks.yuv import rgb_to_i420

W, H = 64, 48


class RecordingBackend:
    """A pyvirtualcam backend (its public duck-typed protocol) that keeps what it is sent."""

    instances: list = []

    def __init__(self, *, width, height, fps, fourcc, device, **kw):
        self.width, self.height, self.fps, self.fourcc = width, height, fps, fourcc
        self._device = device or "recording:0"
        self.frames, self.times, self.closed = [], [], False
        RecordingBackend.instances.append(self)

    def send(self, frame):
        self.frames.append(frame.copy())
        self.times.append(time.monotonic())

    def close(self):
        self.closed = True

    def device(self):
        return self._device

    def native_fourcc(self):
        return pyvirtualcam.camera.encode_fourcc(pyvirtualcam.PixelFormat.YUYV.value)  # as v4l2loopback


@pytest.fixture
def backend(monkeypatch):
    RecordingBackend.instances.clear()
    pyvirtualcam.register_backend("recording", RecordingBackend)
    # register_backend has no inverse: take it out again so other tests see the real list.
    yield "recording"
    monkeypatch.delitem(pyvirtualcam.camera.BACKENDS, "recording")


def compose(out, view):
    out[...] = 0
    out[:, : W // 2, 1] = 255
    return time.monotonic()


def test_frames_reach_the_camera_paced_with_shape_and_format(backend):
    sink = VirtualCameraSink(backend=backend)
    with RenderLoop(compose, (W, H), fps=30, sinks=[sink], queue_depth=32) as loop:
        description = sink.describe()
        stats = loop.run(frames=20)
    recorded = RecordingBackend.instances[0]
    assert (recorded.width, recorded.height, recorded.fps) == (W, H, 30)
    assert len(recorded.frames) == 20 == stats.sinks[sink.name].written
    frame = recorded.frames[0].reshape(H, W, 3)  # backends get 1-D RGB bytes
    assert tuple(frame[0, 0]) == (0, 255, 0) and tuple(frame[0, -1]) == (0, 0, 0)
    interval = statistics.median(np.diff(recorded.times))
    assert 1 / 30 * 0.5 < interval < 1 / 30 * 2
    assert description == ("virtual camera recording:0: stream view, recording:0 via recording, "
                           "RGB -> native YUYV, 64x48@30")
    assert recorded.closed


def test_i420_format_sends_converted_planes(backend):
    image = np.random.default_rng(0).integers(0, 256, (H, W, 3), np.uint8)
    with VirtualCameraSink(fmt="I420", backend=backend, device="/dev/video9") as sink:
        sink.open((W, H), 15)
        sink.write(image, None)
        assert sink.name == "virtual camera /dev/video9"
    sent = RecordingBackend.instances[0].frames[0]
    assert np.array_equal(sent, rgb_to_i420(image).ravel())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the v4l2loopback backend is Linux only")
def test_missing_device_explains_how_to_get_one():
    with pytest.raises(SinkError) as raised:
        VirtualCameraSink(device="/dev/video-layers-missing", backend="v4l2loopback").open((W, H), 30)
    message = str(raised.value)
    assert "no virtual camera device /dev/video-layers-missing" in message
    assert 'sudo modprobe v4l2loopback exclusive_caps=1 card_label="Layers"' in message
    assert "Chrome" in message and "\n" not in message
