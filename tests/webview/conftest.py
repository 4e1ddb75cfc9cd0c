"""Shared fixtures: the example app running in real headless Chromium (skipped, with the reason,
where chromium-headless-shell or the example's npm install is missing; scripts/setup-browser.sh
installs both)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "camera-app"
CAMERA_RGB = (40, 160, 40)


def need_browser() -> None:
    if shutil.which("chromium-headless-shell") is None:
        pytest.skip("chromium-headless-shell is not installed (run scripts/setup-browser.sh)")


def need_example() -> None:
    need_browser()
    if not (EXAMPLE / "node_modules" / "@zoom" / "appssdk" / "dist" / "sdk.es.js").is_file():
        pytest.skip("@zoom/appssdk is not installed in examples/camera-app (run scripts/setup-browser.sh)")


def wait_until(check, timeout: float = 15.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.05)


def start_example(**options):
    """The example app against a still green camera: (sdk, app, frames), camera page ready."""
    from cameras import StillCamera
    from compositor.sdk import ZoomSdk
    from compositor.webview import WebApp, WebViewFrames

    frames = WebViewFrames()
    rgb = np.full((720, 1280, 3), CAMERA_RGB, np.uint8)
    sdk = ZoomSdk(cameras=[StillCamera(rgb, name="Still")], webview=frames)
    try:
        app = WebApp(sdk, EXAMPLE, frames, **options)
    except BaseException:
        sdk.close()
        raise
    try:
        wait_until(lambda: app.rendered_open and app.evaluate("window.appState?.ready", role="rendered"),
                   what="the camera page to finish drawing")
        app.wait_for_frame()
    except BaseException:
        app.close()
        sdk.close()
        raise
    return sdk, app, frames


@pytest.fixture(scope="module")
def example():
    need_example()
    sdk, app, frames = start_example()
    yield sdk, app, frames
    app.close()
    sdk.close()
