"""The example Zoom App (real @zoom/appssdk) in real headless Chromium: pixels, errors, crashes, cleanup."""

from __future__ import annotations

import os
import time

import numpy as np

from tests.webview.conftest import CAMERA_RGB, need_example, start_example, wait_until


def render_settled(sdk, app):
    """A frame once the camera page's last change (the caption from the sidebar) has arrived."""
    wait_until(lambda: "Live from layers" in (app.evaluate("document.getElementById('caption').textContent",
                                                           role="rendered") or ""), what="the caption")
    time.sleep(0.3)                 # a few ticks for the new caption to be rendered and decoded
    return sdk.render()


def test_two_instances_configure_with_the_real_sdk(example):
    sdk, app, frames = example
    main = app.evaluate("window.appState")
    camera = app.evaluate("window.appState", role="rendered")
    assert main["context"] == "inMeeting" and main["error"] is None
    assert camera["context"] == "inCamera" and camera["error"] is None
    assert camera["renderTarget"] == {"width": 1280, "height": 720}
    # postMessage / onMessage both ways through connect, as the client does it
    wait_until(lambda: app.evaluate("window.appState.messages.length") >= 1, what="onMessage in the sidebar")
    assert app.evaluate("window.appState.messages[0]") == {"hello": "camera"}
    assert sdk.rendered is not None and sdk.rendered.running_context == "inCamera"


def test_pixels_prove_each_layer_its_order_and_the_web_view_transparency(example):
    sdk, app, frames = example
    out = render_settled(sdk, app)
    assert out.shape == (720, 1280, 3)
    # participant (z 1), seen through the transparent page
    assert tuple(out[300, 640]) == CAMERA_RGB
    # the page's 50% white band: blended over the participant, not pasted (premultiplied once)
    expected = [round(c / 2 + 255 / 2) for c in CAMERA_RGB]
    assert np.all(np.abs(out[70, 640].astype(int) - expected) <= 2), out[70, 640]
    # the image (z 2) where the page is transparent, and the participant through its alpha hole
    assert tuple(out[580, 1100]) == (220, 30, 30)
    assert tuple(out[585, 1160]) == CAMERA_RGB
    # the lower third (web view, z 3) over both the image and the participant
    assert tuple(out[640, 1160]) == (20, 60, 200)
    assert tuple(out[640, 900]) == (20, 60, 200)
    assert tuple(out[700, 640]) == CAMERA_RGB            # below the bar: transparent again


def test_web_view_frame_is_premultiplied_rgba_of_the_canvas(example):
    sdk, app, frames = example
    frame = frames.latest()
    assert frame.shape == (720, 1280, 4) and frame.dtype == np.uint8 and not frame.flags.writeable
    assert tuple(frame[0, 0]) == (0, 0, 0, 0)
    assert abs(int(frame[70, 640, 3]) - 128) <= 1 and abs(int(frame[70, 640, 0]) - 128) <= 1


def test_an_sdk_error_reaches_the_page_as_a_rejected_promise_with_code(example):
    sdk, app, frames = example
    error = app.evaluate("zoomSdk.clearImage({imageId: 'no-such-image'})"
                         ".then(() => null, (e) => ({code: e.code, message: e.message}))")
    assert error["code"] == 19010 and "no-such-image" in error["message"]
    error = app.evaluate("zoomSdk.setVideoFilter({fileUrl: 'x.png'})"
                         ".then(() => null, (e) => ({code: e.code, message: e.message}))")
    assert error["code"] == 19002


def test_config_answers_a_full_config_response(example):
    sdk, app, frames = example
    config = app.evaluate("zoomSdk.config({version: '0.16', capabilities: ['getRunningContext', 'noSuchApi']})")
    assert config["runningContext"] == "inMeeting"
    assert config["unsupportedApis"] == ["noSuchApi"]
    assert config["browserVersion"].startswith("HeadlessChrome/")
    assert config["media"]["renderTarget"] == {"width": 1280, "height": 720}
    for key in ("clientVersion", "auth", "userAgent", "launchContext"):
        assert key in config


def test_a_crashed_camera_page_is_detected_and_reopened():
    need_example()
    sdk, app, frames = start_example()
    try:
        first_target = app.bridge.page_for("rendered").target
        delivered = frames.delivered
        app.crash("rendered")
        wait_until(lambda: app.restarts["rendered"] == 1, what="the restart")
        assert any("crashed" in error or "stopped rendering" in error for error in app.errors)
        wait_until(lambda: app.rendered_open and app.evaluate("window.appState?.ready", role="rendered"),
                   what="the reopened camera page")
        assert app.bridge.page_for("rendered").target != first_target
        assert app.evaluate("window.appState.context", role="rendered") == "inCamera"
        app.wait_for_frame(after=delivered)              # frames flow again from the new page
    finally:
        app.close()
        sdk.close()


def test_close_leaves_no_browser_process():
    need_example()
    sdk, app, frames = start_example()
    pid = app.browser.pid
    profile = app.browser.profile
    os.killpg(pid, 0)                                    # the group is alive while the app runs
    app.close()
    app.close()                                          # idempotent
    sdk.close()
    assert living_in_group(pid) == []
    assert not os.path.exists(profile)


def living_in_group(pgid: int) -> list[int]:
    """Processes of process group `pgid` that are not zombies (a zombie has exited; where PID 1
    does not reap, as in some containers, it stays listed until the machine's init collects it)."""
    from compositor.webview.browser import group_stats

    return [pid for pid, fields in group_stats(pgid).items() if fields[0] != "Z"]


def test_a_page_at_another_origin_gets_no_native_client(tmp_path):
    from compositor.webview.server import AppServer

    need_example()
    (tmp_path / "index.html").write_text("<p>elsewhere</p>")
    sdk, app, frames = start_example()
    try:
        with AppServer(tmp_path) as other:
            app.evaluate(f"location.href = {other.url!r}")
            wait_until(lambda: body_text(app) == "elsewhere", what="the navigation")
            assert app.evaluate("typeof window.chrome?.webview") == "undefined"
            assert app.evaluate(f"typeof globalThis[{app.bridge.binding!r}]") == "undefined"
    finally:
        app.close()
        sdk.close()


def test_a_hung_camera_page_is_detected_and_reopened():
    need_example()
    sdk, app, frames = start_example(hang_timeout=1.0)
    try:
        delivered = frames.delivered
        app.evaluate("while (true) {}", role="rendered", wait=False)
        wait_until(lambda: app.restarts["rendered"] == 1, what="the restart")
        assert any("hangs" in error for error in app.errors)
        wait_until(lambda: app.rendered_open and app.evaluate("window.appState?.ready", role="rendered"),
                   what="the reopened camera page")
        app.wait_for_frame(after=delivered)
    finally:
        app.close()
        sdk.close()


def body_text(app) -> str | None:
    """The main page's text, or None while a navigation swaps its document."""
    from compositor.errors import LayersError
    from compositor.webview.cdp import CdpError

    try:
        return app.evaluate("document.body?.textContent")
    except (LayersError, CdpError):
        return None


def test_close_rendering_context_closes_the_camera_page_and_its_layer():
    need_example()
    sdk, app, frames = start_example()
    try:
        assert app.evaluate("zoomSdk.closeRenderingContext()") == {"message": "Success"}
        wait_until(lambda: not app.rendered_open, what="the camera page to close")
        assert sdk.rendered is None and frames.latest() is None
        assert app.evaluate("window.appState.context") == "inMeeting"
        assert tuple(sdk.render()[640, 900]) != (20, 60, 200)      # no lower third any more
    finally:
        app.close()
        sdk.close()
