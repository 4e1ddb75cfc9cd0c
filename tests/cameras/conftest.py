"""Media and helpers the camera tests share: small clips written with PyAV, thread/fd accounting."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import av
import numpy as np
import pytest

CLIP_SIZE = (160, 96)  # small: decoding cost must not matter on a loaded 2-core machine


def write_clip(path: Path, frames: int, fps: int = 30, size: tuple[int, int] = CLIP_SIZE) -> Path:
    """An H.264 clip whose frame k is a flat grey of level 8 * (k % 30) + 8 (readable after compression)."""
    width, height = size
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast", "g": str(fps)}
        for k in range(frames):
            rgb = np.full((height, width, 3), 8 * (k % 30) + 8, np.uint8)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = k
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


@pytest.fixture
def clip(tmp_path) -> Path:
    """One second of 30 fps video."""
    return write_clip(tmp_path / "clip.mp4", 30)


@pytest.fixture(autouse=True)
def isolated_config(tmp_path, monkeypatch):
    """Default-camera persistence goes to a fresh XDG config dir, never the user's."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


def open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


def wait_for(predicate, timeout: float = 5.0, interval: float = 0.01):
    """Poll until `predicate()` is truthy; returns its value or fails the test after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s: {predicate}")


def camera_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(("camera ", "camera-manager"))]
