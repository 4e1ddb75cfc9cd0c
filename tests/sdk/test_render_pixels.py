"""Pixels from sdk.render(): layers, order, web view, effects, mirroring, and the example replays.

Cameras are solid colours (or two halves) so every expected pixel is known exactly; alpha
blends are checked within 1 level (premultiplied 8-bit "over").
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from compositor.sdk import StillWebView, ZoomSdk
from compositor.sdk.script import build_sdk, load_script, run_script
from tests.sdk.conftest import FakeFrame, FakeManager, MaskSegmenter, SolidCamera, rgba, run

pytest.importorskip("compositor.render")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
RED, GREEN, BLUE, BLACK = (200, 40, 40), (40, 160, 60), (20, 60, 160), (0, 0, 0)


def px(frame, x, y):
    return tuple(int(v) for v in frame[y, x])


def close(actual, expected, tolerance=1):
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected))


class HalvesCamera(SolidCamera):
    """Left half red, right half green: shows mirroring."""

    def __init__(self, size=(320, 180)):
        super().__init__(size=size)
        rgb = np.empty((size[1], size[0], 3), np.uint8)
        rgb[:, : size[0] // 2], rgb[:, size[0] // 2:] = RED, GREEN
        self.frame = FakeFrame(rgb)


@pytest.fixture
def sdk(make_sdk):
    page = np.zeros((720, 1280, 4), np.uint8)
    page[600:700, 100:500] = (*BLUE, 255)                # opaque lower third
    page[0:100, 0:100] = (255, 255, 255, 128)            # 50% white
    return make_sdk(webview=StillWebView(page))


def test_without_context_the_output_is_my_video(sdk):
    frame = sdk.render()
    assert frame.shape == (180, 320, 3) and px(frame, 10, 10) == RED


def test_camera_mode_participant_and_web_view(sdk):
    run(sdk.runRenderingContext({"view": "camera"}))
    run(sdk.drawParticipant({"participantUUID": sdk.participant_uuid, "zIndex": 1}))
    run(sdk.drawWebView({"zIndex": 2}))
    frame = sdk.render()
    assert frame.shape == (720, 1280, 3)
    assert px(frame, 640, 300) == RED                    # transparent page: the video shows through
    assert px(frame, 300, 650) == BLUE                   # the opaque lower third on top
    expected = tuple(round(128 + c * 127 / 255) for c in RED)
    assert close(px(frame, 50, 50), expected)            # 50% white over the video


def test_order_decides_what_is_on_top(sdk):
    run(sdk.runRenderingContext({"view": "camera"}))
    run(sdk.drawParticipant({"participantUUID": sdk.participant_uuid, "zIndex": 3}))
    run(sdk.drawWebView({"zIndex": 2}))
    assert px(sdk.render(), 300, 650) == RED             # the video (z3) covers the page (z2)
    run(sdk.drawImage({"imageData": rgba(10, 10, (*GREEN, 255)), "x": 20, "y": 30, "zIndex": 3}))
    frame = sdk.render()
    assert px(frame, 25, 35) == GREEN and px(frame, 19, 35) == RED   # equal zIndex: the later draw on top


def test_clears_reveal_what_is_below(sdk):
    run(sdk.runRenderingContext({"view": "camera"}))
    run(sdk.drawParticipant({"participantUUID": sdk.participant_uuid}))
    image_id = run(sdk.drawImage({"imageData": rgba(10, 10, (*GREEN, 255)), "zIndex": 2}))["imageId"]
    assert px(sdk.render(), 5, 5) == GREEN
    run(sdk.clearImage({"imageId": image_id}))
    assert px(sdk.render(), 5, 5) == RED


def test_an_emptied_canvas_is_black(sdk):
    run(sdk.runRenderingContext({"view": "camera"}))
    run(sdk.drawParticipant({"participantUUID": sdk.participant_uuid}))
    run(sdk.clearParticipant({"participantUUID": sdk.participant_uuid}))
    assert px(sdk.render(), 5, 5) == BLACK


def test_immersive_participants_cutouts_and_leave(make_sdk):
    sdk = make_sdk(window=(1280, 720))
    bob = sdk.meeting.join("Bob", camera=SolidCamera(GREEN))
    run(sdk.runRenderingContext({"view": "immersive", "defaultCutout": "circle"}))
    run(sdk.drawParticipant({"participantUUID": sdk.participant_uuid, "width": 640, "height": 360}))
    run(sdk.drawParticipant({"participantUUID": bob, "x": "50%", "width": 640, "height": 360,
                             "cutout": "standard"}))
    frame = sdk.render()
    assert px(frame, 320, 180) == RED and px(frame, 960, 180) == GREEN
    assert px(frame, 150, 5) == BLACK                     # outside my circle (360 px, centred at 320)
    assert px(frame, 641, 0) == GREEN                     # Bob's standard cutout has square corners
    sdk.meeting.leave(bob)
    assert px(sdk.render(), 960, 180) == BLACK


def test_mirror_self_view_only_and_camera_mode_mirroring(make_sdk):
    sdk = make_sdk(cameras=FakeManager([HalvesCamera()]))
    run(sdk.runRenderingContext({"view": "camera"}))
    run(sdk.drawParticipant({"participantUUID": sdk.participant_uuid}))
    run(sdk.setVideoMirrorEffect({"mirrorMyVideo": True}))
    stream, selfview = sdk.render("stream"), sdk.render("self")
    assert px(stream, 10, 10) == RED and px(selfview, 10, 10) == GREEN
    run(sdk.setVideoMirrorEffect({"mirrorMyVideo": False}))
    run(sdk.drawParticipant({"participantUUID": sdk.participant_uuid, "cameraModeMirroring": True}))
    assert px(sdk.render("stream"), 10, 10) == GREEN       # the participant layer, in every output


def test_virtual_background_with_a_known_mask(make_sdk):
    segmenter = MaskSegmenter()                            # left half of the frame is the person
    sdk = make_sdk(segmenter=segmenter)
    run(sdk.setVirtualBackground({"imageData": rgba(64, 36, (*BLUE, 255))}))
    frame = sdk.render()
    assert px(frame, 40, 90) == RED and px(frame, 280, 90) == BLUE
    sdk.render()
    assert segmenter.calls == 1                            # one mask per camera frame
    run(sdk.setVirtualBackground({"blur": True}))
    blurred = sdk.render()
    assert px(blurred, 280, 90) == RED                     # a blur of a solid frame is the same colour
    run(sdk.removeVirtualBackground())
    assert px(sdk.render(), 280, 90) == RED


def test_person_cutout_draws_only_the_person(make_sdk):
    sdk = make_sdk(segmenter=MaskSegmenter())
    run(sdk.runRenderingContext({"view": "camera"}))
    run(sdk.drawParticipant({"participantUUID": sdk.participant_uuid, "cutout": "person"}))
    frame = sdk.render()
    assert px(frame, 100, 360) == RED and px(frame, 1200, 360) == BLACK


def test_filter_and_foreground_overlay_my_video(make_sdk):
    sdk = make_sdk()
    filter_image = np.zeros((18, 32, 4), np.uint8)
    filter_image[:9] = (*BLUE, 255)                        # top half of the frame, stretched
    run(sdk.setVideoFilter({"imageData": filter_image}))
    frame = sdk.render()
    assert px(frame, 10, 10) == BLUE and px(frame, 10, 170) == RED
    foreground = np.zeros((18, 32, 4), np.uint8)
    foreground[:, :16] = (*GREEN, 255)
    run(sdk.setVirtualForeground({"imageData": foreground}))
    frame = sdk.render()
    assert px(frame, 10, 10) == GREEN and px(frame, 300, 10) == BLUE and px(frame, 300, 170) == RED


# -- the example scripts, replayed step by step with pixels checked at known points -------------

def replay(name, until=None, camera=SolidCamera()):
    script = load_script(EXAMPLES / name)
    if until is not None:
        script.steps = script.steps[:until]
    sdk = build_sdk(script, camera="test:64x36@30", segmenter=MaskSegmenter())
    sdk._client.cameras.close()                          # swap in a known camera for exact pixels
    sdk._client.cameras = FakeManager([camera])
    sdk.meeting.get(sdk.participant_uuid).camera = sdk._client.cameras
    run(run_script(sdk, script, sleep=lambda seconds: asyncio.sleep(0)))
    return sdk


def test_camera_mode_example_replay():
    sdk = replay("camera-mode.json", until=7)              # participant (z1) + web view (z2)
    try:
        frame = sdk.render()
        assert frame.shape == (720, 1280, 3)
        assert px(frame, 640, 300) == RED                   # the page is transparent there
        assert px(frame, 300, 600) == (20, 60, 160)         # the lower-third bar of assets/lower-third.png
        expected = tuple(round(255 * 128 / 255 + c * 127 / 255) for c in RED)
        assert close(px(frame, 300, 650), expected)         # its 50% white strip
    finally:
        sdk.close()
    sdk = replay("camera-mode.json", until=11)              # the sidebar redraws the video at z3
    try:
        assert px(sdk.render(), 300, 600) == RED
    finally:
        sdk.close()
    sdk = replay("camera-mode.json")                        # closed: back to the plain camera
    try:
        frame = sdk.render()
        assert frame.shape == (180, 320, 3) and px(frame, 5, 5) == RED
    finally:
        sdk.close()


def test_immersive_example_replay():
    sdk = replay("immersive.json", until=7)                 # me as a circle, Bob as a rectangle
    try:
        frame = sdk.render()
        assert frame.shape == (1080, 1920, 3)
        assert px(frame, 266, 150) == RED and px(frame, 1546, 150) == (40, 160, 60)
        assert px(frame, 50, 5) == BLACK                     # outside the circle
    finally:
        sdk.close()
    sdk = replay("immersive.json", until=9)                 # 1920x1080 verticalRectangle at z -2
    try:
        frame = sdk.render()
        assert px(frame, 960, 540) == RED                    # centred 9:16 crop of the full-canvas box
        assert px(frame, 100, 540) == BLACK                  # outside the crop
        assert px(frame, 1546, 150) == (40, 160, 60)         # Bob (z1) above
    finally:
        sdk.close()


def test_live_segmentation_runs_off_the_render_thread():
    import time
    import numpy as np
    from cameras import StillCamera

    class HalfMask:
        def segment(self, rgb):
            mask = np.zeros(rgb.shape[:2], np.uint8)
            mask[:, : rgb.shape[1] // 2] = 255
            return mask

    rgb = np.full((72, 128, 3), 100, np.uint8)
    with ZoomSdk([StillCamera(rgb, name="s")], segmenter=HalfMask(), live_segmentation=True) as sdk:
        run(sdk.config({"capabilities": ["setVirtualBackground"]}))
        run(sdk.setVirtualBackground({"imageData": np.full((72, 128, 4), (0, 200, 0, 255), np.uint8)}))
        deadline = time.monotonic() + 5
        out = sdk.render()
        while out[10, 100].tolist() != [0, 200, 0] and time.monotonic() < deadline:
            time.sleep(0.02)
            out = sdk.render()
        assert out[10, 100].tolist() == [0, 200, 0] and out[10, 10].tolist() == [100, 100, 100]
