"""Shared test doubles for the SDK facade: a camera manager and cameras with known frames."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import numpy as np
import pytest

from compositor.errors import CameraNotFound
from compositor.sdk import ZoomSdk, supported_apis

ALL = sorted(supported_apis())


@dataclass(frozen=True)
class FakeFrame:
    rgb: np.ndarray
    timestamp: float = 0.0
    seq: int = 0


class SolidCamera:
    """A camera that always shows one colour (the frame size and colour are known to the test)."""

    def __init__(self, color=(200, 40, 40), size=(320, 180), id="solid", name="Solid"):
        self.id, self.name = id, name
        self.frame = FakeFrame(np.full((size[1], size[0], 3), color, np.uint8))
        self.opened = self.closed = 0

    def open(self):
        self.opened += 1

    def latest(self):
        return self.frame

    def close(self):
        self.closed += 1


class FakeManager:
    """The CameraManager interface (cameras/ issue 3) with switching and media listeners."""

    def __init__(self, cameras=None):
        self.cameras = cameras or [SolidCamera()]
        self.active = self.cameras[0]
        self.listeners = []
        self.saved = None
        self.closed = 0

    def list_cameras(self):
        return {"cameras": [{"id": c.id, "name": c.name} for c in self.cameras]}

    def set_camera(self, camera_id, save=False):
        for camera in self.cameras:
            if camera.id == str(camera_id):
                self.active = camera
                if save:
                    self.saved = camera.id
                height, width = camera.frame.rgb.shape[:2]
                for listener in self.listeners:
                    listener({"video": {"state": True, "width": width, "height": height}})
                return
        raise CameraNotFound(f"no camera {camera_id!r}")

    def latest(self):
        return self.active.latest()

    def add_listener(self, callback):
        self.listeners.append(callback)

    def close(self):
        self.closed += 1


class MaskSegmenter:
    """A segmenter returning a known mask: the left half of the frame is the person."""

    def __init__(self):
        self.calls = 0

    def segment(self, rgb):
        self.calls += 1
        mask = np.zeros(rgb.shape[:2], np.uint8)
        mask[:, : rgb.shape[1] // 2] = 255
        return mask


def run(coro):
    return asyncio.run(coro)


def rgba(width, height, color=(0, 255, 0, 255)) -> np.ndarray:
    return np.ascontiguousarray(np.broadcast_to(np.array(color, np.uint8), (height, width, 4)))


@pytest.fixture
def make_sdk():
    """make_sdk(**kwargs) -> a configured ZoomSdk (all capabilities) on a FakeManager."""
    made = []

    def make(configure=True, cameras=None, **kwargs):
        sdk = ZoomSdk(cameras if cameras is not None else FakeManager(), **kwargs)
        made.append(sdk)
        if configure:
            run(sdk.config({"capabilities": ALL}))
        return sdk

    yield make
    for sdk in made:
        sdk.close()


def assert_rejected(sdk, coro, code):
    """The call fails with `code` and the scene snapshot is the very same object."""
    before = sdk.scene
    with pytest.raises(Exception) as info:
        run(coro)
    assert getattr(info.value, "code", None) == code, info.value
    assert sdk.scene is before
    return info.value
