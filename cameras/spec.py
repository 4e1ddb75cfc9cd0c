"""Camera specs: one string per camera, as typed on the command line and stored in the config.

    test                       TestPatternCamera 1280x720 @ 30
    test:640x360@15            TestPatternCamera of that size and rate
    file:/path/clip.mp4        FileCamera (looping); a bare path to a video works too
    rtsp://host/stream         FileCamera on a URL (any scheme PyAV opens)
    still:/path/photo.png      StillCamera; a bare path to an image works too
    /dev/video0, /dev/v4l/...  DeviceCamera

The ids cameras give themselves are specs, so a saved default camera id recreates its camera.
"""

from __future__ import annotations

import re
from pathlib import Path

from cameras.base import Camera
from cameras.device import DeviceCamera
from cameras.file import URL_PATTERN, FileCamera
from cameras.synthetic import DEFAULT_FPS, DEFAULT_HEIGHT, DEFAULT_WIDTH, StillCamera, TestPatternCamera
from compositor.errors import LayersValueError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"}
TEST_SPEC = re.compile(r"^test(?::(\d+)x(\d+)(?:@(\d+(?:\.\d+)?))?)?$")
SPEC_HELP = "a spec like 'test', 'test:640x360@30', 'file:clip.mp4', 'still:photo.png', a URL or /dev/videoN"


def camera_from_spec(spec: str) -> Camera:
    """The camera `spec` describes; a `LayersValueError` (with the accepted forms) if none."""
    if not isinstance(spec, str) or not spec.strip():
        raise LayersValueError(f"camera spec must be a non-empty string ({SPEC_HELP}), got {spec!r}")
    spec = spec.strip()
    match = TEST_SPEC.match(spec)
    if match:
        width, height, fps = match.groups()
        if width is None:
            return TestPatternCamera(DEFAULT_WIDTH, DEFAULT_HEIGHT, DEFAULT_FPS)
        return TestPatternCamera(int(width), int(height), float(fps) if fps else DEFAULT_FPS)
    if spec.startswith("file:"):
        return FileCamera(spec[len("file:"):])
    if spec.startswith("still:"):
        return StillCamera(spec[len("still:"):])
    if URL_PATTERN.match(spec):
        return FileCamera(spec)
    if spec.startswith("/dev/"):
        return DeviceCamera(spec)
    path = Path(spec)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return StillCamera(path, camera_id=f"still:{spec}")
    if path.exists():
        return FileCamera(path, camera_id=f"file:{spec}")
    raise LayersValueError(f"unknown camera spec {spec!r}: expected {SPEC_HELP}")
