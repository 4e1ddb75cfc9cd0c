"""ZoomSdk: every method's success path, every rejection (scene unchanged), defaults and ordering."""

from __future__ import annotations

import pytest

from compositor.errors import ZoomApiError
from compositor.layout import Rect
from compositor.scene import Cutout, ImageLayer, ParticipantLayer, View, WebViewLayer
from compositor.sdk import Code, StillWebView, ZoomSdk, encode_wire
from tests.sdk.conftest import ALL, FakeManager, MaskSegmenter, SolidCamera, assert_rejected, rgba, run


def camera_context(sdk, **options):
    run(sdk.runRenderingContext({"view": "camera", **options}))


def me(sdk):
    return sdk.participant_uuid


# -- config, capabilities, roles, contexts -------------------------------------------------------

def test_calls_before_config_are_rejected(make_sdk):
    sdk = make_sdk(configure=False)
    error = assert_rejected(sdk, sdk.runRenderingContext({"view": "camera"}), Code.NOT_CONFIGURED)
    assert "config" in error.message


def test_config_response_shape(make_sdk):
    sdk = make_sdk(configure=False)
    result = run(sdk.config({"capabilities": ["drawImage", "shareApp", "onMessage"]}))
    assert result["runningContext"] == "inMeeting"
    assert result["unsupportedApis"] == ["shareApp"]
    assert result["media"]["renderTarget"] == {"width": 1280, "height": 720}
    assert result["media"]["video"] == {"state": True, "width": 320, "height": 180}
    assert {"clientVersion", "browserVersion", "auth", "userAgent", "launchContext"} <= result.keys()


def test_config_rejects_bad_capabilities(make_sdk):
    sdk = make_sdk(configure=False)
    assert_rejected(sdk, sdk.config({"capabilities": "drawImage"}), Code.INVALID_ARGUMENT)


def test_method_missing_from_capabilities_is_rejected(make_sdk):
    sdk = make_sdk(configure=False)
    run(sdk.config({"capabilities": ["runRenderingContext"]}))
    run(sdk.runRenderingContext({"view": "camera"}))
    error = assert_rejected(sdk, sdk.drawWebView({}), Code.NOT_IN_CAPABILITIES)
    assert "drawWebView" in error.message


def test_capability_check_can_be_switched_off(make_sdk):
    sdk = make_sdk(configure=False, require_capabilities=False)
    run(sdk.config({"capabilities": []}))
    assert run(sdk.getRunningContext()) == {"context": "inMeeting"}


def test_attendee_may_not_draw_participants_or_go_immersive(make_sdk):
    sdk = make_sdk(role="attendee")
    assert_rejected(sdk, sdk.runRenderingContext({"view": "immersive"}), Code.HOST_ONLY)
    camera_context(sdk)
    assert_rejected(sdk, sdk.drawParticipant({"participantUUID": me(sdk)}), Code.ROLE_NOT_ALLOWED)
    assert_rejected(sdk, sdk.clearParticipant({"participantUUID": me(sdk)}), Code.ROLE_NOT_ALLOWED)
    assert_rejected(sdk, sdk.getMeetingParticipants(), Code.ROLE_NOT_ALLOWED)
    assert_rejected(sdk, sdk.getMeetingContext(), Code.ROLE_NOT_ALLOWED)


def test_cohost_draws_but_immersive_is_host_only(make_sdk):
    sdk = make_sdk(role="coHost")
    assert_rejected(sdk, sdk.runRenderingContext({"view": "immersive"}), Code.HOST_ONLY)
    camera_context(sdk)
    run(sdk.drawParticipant({"participantUUID": me(sdk)}))
    assert len(sdk.scene.layers) == 1


def test_roles_can_be_switched_off(make_sdk):
    sdk = make_sdk(role="attendee", enforce_roles=False)
    run(sdk.runRenderingContext({"view": "immersive"}))
    run(sdk.drawParticipant({"participantUUID": me(sdk)}))
    assert len(sdk.scene.layers) == 1


def test_one_immersive_context_per_meeting(make_sdk):
    first = make_sdk()
    second = make_sdk(meeting=first.meeting, screen_name="Other host")
    run(first.runRenderingContext({"view": "immersive"}))
    assert_rejected(second, second.runRenderingContext({"view": "immersive"}), Code.IMMERSIVE_IN_USE)
    run(first.closeRenderingContext())
    run(second.runRenderingContext({"view": "immersive"}))


def test_second_context_while_one_runs_is_rejected(make_sdk):
    sdk = make_sdk()
    camera_context(sdk)
    assert_rejected(sdk, sdk.runRenderingContext({"view": "immersive"}), Code.CONTEXT_ALREADY_RUNNING)


def test_video_filter_only_in_meeting_or_webinar(make_sdk):
    sdk = make_sdk()
    camera_context(sdk)
    rendered = sdk.rendered
    run(rendered.config({"capabilities": ALL}))
    assert rendered.running_context == "inCamera"
    image = {"imageData": rgba(4, 4)}
    assert_rejected(rendered, rendered.setVideoFilter(image), Code.WRONG_RUNNING_CONTEXT)
    run(sdk.setVideoFilter(image))
    assert sdk.scene.my_video.video_filter is not None


# -- rendering contexts ----------------------------------------------------------------------------

def test_camera_context_defaults(make_sdk):
    sdk = make_sdk()
    assert run(sdk.runRenderingContext({"view": "camera"})) == {"message": "Success"}
    context = sdk.scene.context
    assert (context.view, context.width, context.height) == (View.CAMERA, 1280, 720)
    assert context.default_cutout is Cutout.STANDARD and context.frame_rate == 30 and context.dpr == 1.0


def test_immersive_canvas_is_window_times_dpr_and_resolution_mode_overrides(make_sdk):
    sdk = make_sdk(window=(800, 450), dpr=2.0)
    run(sdk.runRenderingContext({"view": "immersive", "defaultCutout": "circle", "frameRate": 15}))
    context = sdk.scene.context
    assert (context.width, context.height, context.dpr) == (1600, 900, 2.0)
    assert context.default_cutout is Cutout.CIRCLE and context.frame_rate == 15
    run(sdk.closeRenderingContext())
    run(sdk.runRenderingContext({"view": "camera", "resolutionMode": "1080p"}))
    assert (sdk.scene.context.width, sdk.scene.context.height) == (1920, 1080)


@pytest.mark.parametrize("options", [{"view": "gallery"}, {}, {"view": "camera", "defaultCutout": "star"},
                                     {"view": "camera", "resolutionMode": "4k"},
                                     {"view": "camera", "frameRate": 0}, {"view": "camera", "frameRate": 120},
                                     {"view": "camera", "frameRate": "30"}])
def test_run_rendering_context_rejects_bad_options(make_sdk, options):
    sdk = make_sdk()
    assert_rejected(sdk, sdk.runRenderingContext(options), Code.INVALID_ARGUMENT)
    assert sdk.rendered is None


def test_close_rendering_context_clears_layers_and_ends_rendered_instance(make_sdk):
    sdk = make_sdk()
    camera_context(sdk)
    run(sdk.drawParticipant({"participantUUID": me(sdk)}))
    assert run(sdk.closeRenderingContext()) == {"message": "Success"}
    assert sdk.scene.context is None and sdk.scene.layers == () and sdk.rendered is None
    assert_rejected(sdk, sdk.closeRenderingContext(), Code.NO_RENDERING_CONTEXT)


def test_draws_need_a_rendering_context(make_sdk):
    sdk = make_sdk()
    assert_rejected(sdk, sdk.drawParticipant({"participantUUID": me(sdk)}), Code.NO_RENDERING_CONTEXT)
    assert_rejected(sdk, sdk.drawImage({"imageData": rgba(2, 2)}), Code.NO_RENDERING_CONTEXT)


def test_rendered_instance_is_a_second_app_with_its_own_config(make_sdk):
    sdk = make_sdk()
    opened = []
    sdk.onRenderedAppOpened(opened.append)
    run(sdk.runRenderingContext({"view": "immersive", "defaultCutout": "person"}))
    assert opened and opened[0]["view"] == "immersive" and opened[0]["defaultCutout"] == "person"
    rendered = sdk.rendered
    assert_rejected(rendered, rendered.getRunningContext(), Code.NOT_CONFIGURED)
    config = run(rendered.config({"capabilities": ALL}))
    assert config["runningContext"] == "inImmersive" and config["media"]["defaultCutout"] == "person"
    assert run(rendered.getRunningContext()) == {"context": "inImmersive"}
    assert run(sdk.getRunningContext()) == {"context": "inMeeting"}


# -- drawParticipant --------------------------------------------------------------------------------

def test_draw_participant_defaults_fill_the_canvas(make_sdk):
    sdk = make_sdk()
    camera_context(sdk)
    run(sdk.drawParticipant({"participantUUID": me(sdk)}))
    (layer,) = sdk.scene.layers
    assert isinstance(layer, ParticipantLayer)
    assert layer.box == Rect(0, 0, 1280, 720) and layer.z_index == 1
    assert layer.cutout is Cutout.STANDARD and layer.mirrored is False


def test_draw_participant_uses_context_default_cutout_and_override(make_sdk):
    sdk = make_sdk()
    run(sdk.runRenderingContext({"view": "immersive", "defaultCutout": "circle"}))
    run(sdk.drawParticipant({"participantUUID": me(sdk), "width": 533, "height": 300}))
    assert sdk.scene.layers[0].cutout is Cutout.CIRCLE
    run(sdk.drawParticipant({"participantUUID": me(sdk), "cutout": "verticalRectangle"}))
    assert sdk.scene.layers[0].cutout is Cutout.VERTICAL_RECTANGLE


def test_draw_participant_pixel_values(make_sdk):
    sdk = make_sdk(window=(640, 360), dpr=2.0)           # immersive canvas 1280 x 720 device px
    run(sdk.runRenderingContext({"view": "immersive"}))
    run(sdk.drawParticipant({"participantUUID": me(sdk), "x": "10px", "y": "50%", "width": "25%",
                             "height": 100, "zIndex": "3"}))
    layer = sdk.scene.layers[0]
    assert layer.box == Rect(20, 360, 320, 100) and layer.z_index == 3


@pytest.mark.parametrize("bad", [{"x": "ten"}, {"width": "12em"}, {"width": 0}, {"height": -5}, {"x": None},
                                 {"zIndex": "top"}, {"cutout": "hexagon"}, {"cameraModeMirroring": "yes"},
                                 {"x": float("nan")}])
def test_draw_participant_rejects_malformed_values(make_sdk, bad):
    sdk = make_sdk()
    camera_context(sdk)
    assert_rejected(sdk, sdk.drawParticipant({"participantUUID": me(sdk), **bad}), Code.INVALID_ARGUMENT)


def test_draw_participant_unknown_and_missing_ids(make_sdk):
    sdk = make_sdk()
    run(sdk.runRenderingContext({"view": "immersive"}))
    assert_rejected(sdk, sdk.drawParticipant({"participantUUID": "nobody"}), Code.UNKNOWN_PARTICIPANT)
    assert_rejected(sdk, sdk.drawParticipant({}), Code.INVALID_ARGUMENT)
    assert_rejected(sdk, sdk.clearParticipant({"participantUUID": "nobody"}), Code.UNKNOWN_PARTICIPANT)


def test_camera_mode_draws_only_self(make_sdk):
    sdk = make_sdk()
    bob = sdk.meeting.join("Bob", camera=SolidCamera())
    camera_context(sdk)
    assert_rejected(sdk, sdk.drawParticipant({"participantUUID": bob}), Code.CAMERA_MODE_SELF_ONLY)


def test_deprecated_participant_id_is_accepted(make_sdk):
    sdk = make_sdk()
    camera_context(sdk)
    user = run(sdk.getUserContext())
    run(sdk.drawParticipant({"participantId": user["participantId"]}))
    assert sdk.scene.layers[0].participant_uuid == user["participantUUID"]
    run(sdk.clearParticipant({"participantId": int(user["participantId"])}))
    assert sdk.scene.layers == ()


def test_redraw_moves_and_restacks(make_sdk):
    sdk = make_sdk()
    bob = sdk.meeting.join("Bob", camera=SolidCamera())
    run(sdk.runRenderingContext({"view": "immersive"}))
    run(sdk.drawParticipant({"participantUUID": me(sdk), "zIndex": 1}))
    run(sdk.drawParticipant({"participantUUID": bob, "zIndex": 1}))
    assert [l.participant_uuid for l in sdk.scene.layers] == [me(sdk), bob]     # later draw on top
    run(sdk.drawParticipant({"participantUUID": me(sdk), "x": 400, "y": 200, "width": 640, "height": 360}))
    assert [l.participant_uuid for l in sdk.scene.layers] == [bob, me(sdk)]     # redrawn: on top of the tie
    assert sdk.scene.layers[1].box == Rect(400, 200, 640, 360)
    run(sdk.drawParticipant({"participantUUID": me(sdk), "zIndex": -2}))
    assert [l.participant_uuid for l in sdk.scene.layers] == [me(sdk), bob]
    assert len(sdk.scene.layers) == 2


def test_camera_mode_mirroring_only_in_camera_mode(make_sdk):
    sdk = make_sdk()
    camera_context(sdk)
    run(sdk.drawParticipant({"participantUUID": me(sdk), "cameraModeMirroring": True}))
    assert sdk.scene.layers[0].mirrored is True
    run(sdk.closeRenderingContext())
    run(sdk.runRenderingContext({"view": "immersive"}))
    run(sdk.drawParticipant({"participantUUID": me(sdk), "cameraModeMirroring": True}))
    assert sdk.scene.layers[0].mirrored is False


def test_person_cutout_needs_a_segmenter(make_sdk):
    sdk = make_sdk()
    run(sdk.runRenderingContext({"view": "immersive"}))
    error = assert_rejected(sdk, sdk.drawParticipant({"participantUUID": me(sdk), "cutout": "person"}),
                            Code.NO_SMART_VB_PACKAGE)
    assert error.message == "No smart virtual backgrounds package, you need to download it."
    with_segmenter = make_sdk(segmenter=MaskSegmenter())
    run(with_segmenter.runRenderingContext({"view": "immersive"}))
    run(with_segmenter.drawParticipant({"participantUUID": me(with_segmenter), "cutout": "person"}))
    assert with_segmenter.scene.layers[0].cutout is Cutout.PERSON


def test_clear_participant(make_sdk):
    sdk = make_sdk()
    camera_context(sdk)
    run(sdk.drawParticipant({"participantUUID": me(sdk)}))
    assert run(sdk.clearParticipant({"participantUUID": me(sdk)})) == {"message": "Success"}
    assert sdk.scene.layers == ()


# -- drawImage --------------------------------------------------------------------------------------

def test_draw_image_at_its_own_size_and_defaults(make_sdk):
    sdk = make_sdk()
    camera_context(sdk)
    result = run(sdk.drawImage({"imageData": {"width": 3, "height": 2, "data": bytes(rgba(3, 2, (255, 0, 0, 128)))}}))
    (layer,) = sdk.scene.layers
    assert isinstance(layer, ImageLayer) and layer.image_id == result["imageId"]
    assert layer.rect == Rect(0, 0, 3, 2) and layer.z_index == 1
    assert layer.pixels[0, 0].tolist() == [128, 0, 0, 128]          # premultiplied once, at call time
    assert not layer.pixels.flags.writeable


def test_draw_image_replace_rule_same_geometry_same_id(make_sdk):
    sdk = make_sdk()
    camera_context(sdk)
    first = run(sdk.drawImage({"imageData": rgba(4, 4), "x": 10, "y": 10, "zIndex": 2}))["imageId"]
    second = run(sdk.drawImage({"imageData": rgba(4, 4, (9, 9, 9, 255)), "x": 10, "y": 10, "zIndex": 2}))["imageId"]
    assert first == second and len(sdk.scene.layers) == 1
    assert sdk.scene.layers[0].pixels[0, 0, 0] == 9
    moved = run(sdk.drawImage({"imageData": rgba(4, 4), "x": 11, "y": 10, "zIndex": 2}))["imageId"]
    other_z = run(sdk.drawImage({"imageData": rgba(4, 4), "x": 10, "y": 10, "zIndex": 3}))["imageId"]
    other_size = run(sdk.drawImage({"imageData": rgba(5, 4), "x": 10, "y": 10, "zIndex": 2}))["imageId"]
    assert len({first, moved, other_z, other_size}) == 4 and len(sdk.scene.layers) == 4


def test_draw_image_replace_with_new_ids_when_configured(make_sdk):
    sdk = make_sdk(reuse_image_ids=False)
    camera_context(sdk)
    first = run(sdk.drawImage({"imageData": rgba(4, 4)}))["imageId"]
    second = run(sdk.drawImage({"imageData": rgba(4, 4)}))["imageId"]
    assert first != second and [l.image_id for l in sdk.scene.layers] == [second]


def test_draw_image_accepts_wire_form_and_css_px(make_sdk):
    sdk = make_sdk(window=(640, 360), dpr=2.0)
    run(sdk.runRenderingContext({"view": "immersive"}))
    run(sdk.drawImage({"imageData": encode_wire(rgba(6, 2)), "x": "89px", "y": "10%", "zIndex": "4"}))
    layer = sdk.scene.layers[0]
    assert layer.rect == Rect(178, 72, 6, 2) and layer.z_index == 4


@pytest.mark.parametrize("image_data", [{"width": 2, "height": 2, "data": b"\x00" * 15},
                                        {"width": 0, "height": 2, "data": b""},
                                        {"width": 2, "height": 2, "bitmap": "data:object/Uint8ClampedArray;base64,@@"},
                                        "not an image"])
def test_draw_image_rejects_malformed_image_data(make_sdk, image_data):
    sdk = make_sdk()
    camera_context(sdk)
    error = assert_rejected(sdk, sdk.drawImage({"imageData": image_data}), Code.DECODE_FAILED)
    assert error.message.startswith("Failed to decode the virtual image data.")


def test_draw_image_rejects_bad_position_and_missing_data(make_sdk):
    sdk = make_sdk()
    camera_context(sdk)
    assert_rejected(sdk, sdk.drawImage({"imageData": rgba(2, 2), "x": "1em"}), Code.INVALID_ARGUMENT)
    assert_rejected(sdk, sdk.drawImage({"x": 0}), Code.INVALID_ARGUMENT)


def test_clear_image(make_sdk):
    sdk = make_sdk()
    camera_context(sdk)
    image_id = run(sdk.drawImage({"imageData": rgba(2, 2)}))["imageId"]
    assert_rejected(sdk, sdk.clearImage({"imageId": "nope"}), Code.UNKNOWN_IMAGE)
    assert_rejected(sdk, sdk.clearImage({}), Code.UNKNOWN_IMAGE)
    assert run(sdk.clearImage({"imageId": image_id})) == {"message": "Success"}
    assert sdk.scene.layers == ()
    assert_rejected(sdk, sdk.clearImage({"imageId": image_id}), Code.UNKNOWN_IMAGE)


def test_one_stacking_space_for_all_kinds(make_sdk):
    sdk = make_sdk(webview=StillWebView(rgba(8, 8)))
    camera_context(sdk)
    run(sdk.drawWebView({"zIndex": 2}))
    image_id = run(sdk.drawImage({"imageData": rgba(2, 2), "zIndex": 2}))["imageId"]
    run(sdk.drawParticipant({"participantUUID": me(sdk), "zIndex": 5}))
    kinds = [type(layer) for layer in sdk.scene.layers]
    assert kinds == [WebViewLayer, ImageLayer, ParticipantLayer]
    assert sdk.scene.layers[1].image_id == image_id


# -- drawWebView ------------------------------------------------------------------------------------

def test_draw_web_view_defaults_and_forced_single_webview(make_sdk):
    sdk = make_sdk(webview=StillWebView(rgba(8, 8)))
    camera_context(sdk)
    run(sdk.drawWebView({"webviewId": "camera", "zIndex": 2}))
    run(sdk.drawWebView({"webviewId": "other", "x": 10, "width": 100, "height": 50}))
    (layer,) = sdk.scene.layers
    assert layer.rect == Rect(10, 0, 100, 50) and layer.z_index == 1
    assert run(sdk.clearWebView({"webviewId": "whatever"})) == {"message": "Success"}
    assert sdk.scene.layers == ()


def test_draw_web_view_rejections(make_sdk):
    sdk = make_sdk()
    camera_context(sdk)
    assert_rejected(sdk, sdk.drawWebView({}), Code.NO_WEBVIEW_SOURCE)
    immersive = make_sdk(webview=StillWebView(rgba(8, 8)))
    run(immersive.runRenderingContext({"view": "immersive"}))
    assert_rejected(immersive, immersive.drawWebView({}), Code.WRONG_RUNNING_CONTEXT)
    camera = make_sdk(webview=StillWebView(rgba(8, 8)))
    camera_context(camera)
    assert_rejected(camera, camera.drawWebView({"width": "0px"}), Code.INVALID_ARGUMENT)


# -- my video effects -------------------------------------------------------------------------------

def test_virtual_background_needs_segmenter_10045(make_sdk):
    sdk = make_sdk()
    assert_rejected(sdk, sdk.setVirtualBackground({"imageData": rgba(4, 4)}), Code.NO_SMART_VB_PACKAGE)
    assert_rejected(sdk, sdk.setVirtualBackground({"blur": True}), Code.NO_SMART_VB_PACKAGE)


def test_virtual_background_image_blur_and_remove(make_sdk):
    sdk = make_sdk(segmenter=MaskSegmenter())
    run(sdk.setVirtualBackground({"imageData": rgba(64, 36, (0, 0, 255, 255))}))
    background = sdk.scene.my_video.background
    assert background.blur is False and background.pixels.shape == (36, 64, 4)   # kept at decoded size
    run(sdk.setVirtualBackground({"imageData": rgba(64, 36), "blur": True}))     # blur supersedes
    assert sdk.scene.my_video.background.blur is True and sdk.scene.my_video.background.pixels is None
    assert run(sdk.removeVirtualBackground()) == {"message": "Success"}
    assert sdk.scene.my_video.background is None


def test_virtual_background_rejections(make_sdk):
    sdk = make_sdk(segmenter=MaskSegmenter())
    assert_rejected(sdk, sdk.setVirtualBackground({}), Code.INVALID_ARGUMENT)
    assert_rejected(sdk, sdk.setVirtualBackground({"blur": "yes"}), Code.INVALID_ARGUMENT)
    assert_rejected(sdk, sdk.setVirtualBackground({"imageData": {"width": 1, "height": 1, "data": b"12"}}),
                    Code.DECODE_FAILED)
    error = assert_rejected(sdk, sdk.setVirtualBackground({"imageData": rgba(2600, 1500)}), Code.IMAGE_TOO_LARGE)
    assert "15 MB" in error.message
    assert_rejected(sdk, sdk.setVirtualBackground({"fileUrl": "/no/such/file.png"}), Code.FILE_URL_FAILED)


def test_virtual_background_from_file_url_is_1280_wide(make_sdk, tmp_path):
    from PIL import Image
    Image.new("RGB", (640, 400), (10, 20, 30)).save(tmp_path / "bg.png")
    sdk = make_sdk(segmenter=MaskSegmenter(), base_dir=str(tmp_path))
    run(sdk.setVirtualBackground({"fileUrl": str(tmp_path / "bg.png")}))
    assert sdk.scene.my_video.background.pixels.shape == (800, 1280, 4)


def test_base_dir_can_be_set_after_construction_and_relative_file_urls_resolve_in_it(make_sdk, tmp_path):
    from PIL import Image
    Image.new("RGB", (64, 40), (10, 20, 30)).save(tmp_path / "bg.png")
    sdk = make_sdk(segmenter=MaskSegmenter())
    assert sdk.base_dir is None
    sdk.base_dir = tmp_path                       # what `layers app` does with the app's directory
    assert sdk.base_dir == str(tmp_path)
    run(sdk.setVirtualBackground({"fileUrl": "bg.png"}))
    assert sdk.scene.my_video.background.pixels.shape == (800, 1280, 4)
    assert_rejected(sdk, sdk.setVirtualBackground({"fileUrl": "../bg.png"}), Code.FILE_URL_FAILED)


def test_virtual_foreground_set_remove(make_sdk):
    sdk = make_sdk()
    assert_rejected(sdk, sdk.removeVirtualForeground(), Code.IMAGE_SET_REMOVE_FAILED)
    assert_rejected(sdk, sdk.setVirtualForeground({"imageData": rgba(4, 4), "persistence": "forever"}),
                    Code.INVALID_ARGUMENT)
    assert_rejected(sdk, sdk.setVirtualForeground({}), Code.INVALID_ARGUMENT)
    assert run(sdk.setVirtualForeground({"imageData": rgba(4, 4), "persistence": "app"})) == {"message": "Success"}
    assert sdk.scene.my_video.foreground.shape == (4, 4, 4)
    run(sdk.removeVirtualForeground())
    assert sdk.scene.my_video.foreground is None


def test_video_filter_set_delete(make_sdk):
    sdk = make_sdk()
    assert_rejected(sdk, sdk.deleteVideoFilter(), Code.NO_VIDEO_FILTER)
    assert_rejected(sdk, sdk.setVideoFilter({"imageData": rgba(2, 2), "applyToAllFutureMeetings": 1}),
                    Code.INVALID_ARGUMENT)
    run(sdk.setVideoFilter({"imageData": rgba(2, 2)}))
    run(sdk.setVideoFilter({"imageData": rgba(3, 3)}))                  # rewrites the previous one
    assert sdk.scene.my_video.video_filter.shape == (3, 3, 4)
    run(sdk.deleteVideoFilter())
    assert sdk.scene.my_video.video_filter is None


def test_mirror_effect_and_video_settings(make_sdk):
    sdk = make_sdk()
    assert_rejected(sdk, sdk.setVideoMirrorEffect({}), Code.INVALID_ARGUMENT)
    run(sdk.setVideoMirrorEffect({"mirrorMyVideo": True}))
    assert sdk.scene.my_video.mirror_self_view is True
    settings = run(sdk.getVideoSettings())
    assert settings["mirrorMyVideo"] is True
    assert settings["cameraDevices"] == [{"cameraDeviceId": "solid", "cameraDeviceName": "Solid", "isSelected": True}]
    run(sdk.setVideoSettings({"mirrorMyVideo": False, "hdVideo": True}))
    assert sdk.scene.my_video.mirror_self_view is False and run(sdk.getVideoSettings())["hdVideo"] is True
    assert_rejected(sdk, sdk.setVideoSettings({}), Code.INVALID_ARGUMENT)
    assert_rejected(sdk, sdk.setVideoSettings({"hdVideo": "on"}), Code.INVALID_ARGUMENT)
    assert_rejected(sdk, sdk.setVideoSettings({"cameraDeviceId": "nope"}), Code.CAMERA_NOT_FOUND)


# -- cameras ----------------------------------------------------------------------------------------

def test_list_and_set_camera_fires_my_media_change(make_sdk):
    manager = FakeManager([SolidCamera(id="0x1", name="One"), SolidCamera(id="2", name="Two", size=(640, 480))])
    sdk = make_sdk(cameras=manager)
    changes = []
    sdk.onMyMediaChange(changes.append)
    assert run(sdk.listCameras()) == {"cameras": [{"id": "0x1", "name": "One"}, {"id": "2", "name": "Two"}]}
    assert run(sdk.setCamera({"id": 2, "save": True})) == {"message": "Success"}    # number ids accepted
    assert manager.active.id == "2" and manager.saved == "2"
    assert changes[0]["media"] == {"video": {"state": True, "width": 640, "height": 480}}
    assert isinstance(changes[0]["timestamp"], int)
    assert_rejected(sdk, sdk.setCamera({"id": "missing"}), Code.CAMERA_NOT_FOUND)
    assert_rejected(sdk, sdk.setCamera({}), Code.INVALID_ARGUMENT)
    assert_rejected(sdk, sdk.setCamera({"id": "2", "save": "no"}), Code.INVALID_ARGUMENT)


# -- meeting queries --------------------------------------------------------------------------------

def test_user_meeting_and_participants(make_sdk):
    sdk = make_sdk(screen_name="Presenter P", participant_uuid="5CD79298-48C6-550B-8838-13593015AA7C")
    user = run(sdk.getUserContext())
    assert user["participantUUID"] == "5CD79298-48C6-550B-8838-13593015AA7C"
    assert user["screenName"] == "Presenter P" and user["role"] == "host" and user["status"] == "authorized"
    bob = sdk.meeting.join("Bob", role="cohost")
    participants = run(sdk.getMeetingParticipants())["participants"]
    assert [(p["screenName"], p["role"]) for p in participants] == [("Presenter P", "host"), ("Bob", "coHost")]
    assert participants[1]["participantUUID"] == bob
    assert set(run(sdk.getMeetingContext())) == {"meetingTopic", "meetingID"}
    assert run(sdk.getMeetingUUID())["meetingUUID"] == sdk.meeting.meeting_uuid
    assert "drawParticipant" in run(sdk.getSupportedJsApis())["supportedApis"]


# -- call() dispatch --------------------------------------------------------------------------------

def test_call_dispatches_by_name(make_sdk):
    sdk = make_sdk(configure=False)
    run(sdk.call("config", {"capabilities": ALL}))
    assert run(sdk.call("getRunningContext")) == {"context": "inMeeting"}
    with pytest.raises(ZoomApiError) as info:
        run(sdk.call("shareApp", {"action": "start"}))
    assert info.value.code == Code.UNSUPPORTED_API
    assert_rejected(sdk, sdk.call("drawImage", "not a dict"), Code.INVALID_ARGUMENT)


def test_options_must_be_an_object(make_sdk):
    sdk = make_sdk()
    camera_context(sdk)
    assert_rejected(sdk, sdk.drawImage(["imageData"]), Code.INVALID_ARGUMENT)


def test_close_is_idempotent_and_closes_cameras(make_sdk):
    manager = FakeManager()
    sdk = ZoomSdk(manager)
    bob_camera = SolidCamera()
    sdk.meeting.join("Bob", camera=bob_camera)
    assert bob_camera.opened == 1
    with sdk:
        run(sdk.config({"capabilities": ALL}))
    sdk.close()
    assert manager.closed == 1 and bob_camera.closed == 1
    with pytest.raises(ZoomApiError):
        run(sdk.getRunningContext())
