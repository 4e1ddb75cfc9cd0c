"""Geometry, order, cutouts, mirroring and the "my video" chain at known pixels."""

import numpy as np
import pytest

from compositor.layout import Rect
from compositor.render import Compositor, Sources, drop_hidden
from compositor.scene import (Cutout, ImageLayer, MyVideo, ParticipantLayer, RenderingContext, Scene,
                              View, VirtualBackground, WebViewLayer)
from native.premultiply import premultiply

ME = "me-uuid"
W, H = 64, 36


def frame(value=None, w=W, h=H, seed=0):
    if value is not None:
        return np.full((h, w, 3), value, np.uint8)
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), np.uint8)


def camera_scene(*layers, my_video=MyVideo(), view=View.CAMERA, size=(W, H)):
    scene = Scene(context=RenderingContext(view, *size), my_video=my_video)
    for layer in layers:
        scene = scene.with_layer(layer)
    return scene


def me(box=Rect(0, 0, W, H), z=1, order=0, cutout=Cutout.STANDARD, mirrored=False, uuid=ME):
    return ParticipantLayer(uuid, box, z, order, cutout, mirrored)


def image(rgba, x, y, z, order, image_id="i"):
    return ImageLayer(image_id, Rect(x, y, rgba.shape[1], rgba.shape[0]), z, order, premultiply(rgba))


def solid_rgba(w, h, rgba):
    return np.tile(np.array(rgba, np.uint8), (h, w, 1))


def render(scene, frames, view="stream", **sources):
    return Compositor(parallel=False).render(scene, Sources(ME, frames, **sources), view)


def test_without_context_the_output_is_my_video():
    cam = frame()
    assert np.array_equal(render(Scene(), {ME: cam}), cam)


def test_full_canvas_participant_is_the_frame():
    cam = frame()
    assert np.array_equal(render(camera_scene(me()), {ME: cam}), cam)


def test_contain_fit_letterboxes_a_square_box():
    cam = frame(200)
    out = render(camera_scene(me(box=Rect(10, 0, 36, 36))), {ME: cam})
    # 64x36 fitted into 36x36 -> 36x20 centred at y = 8
    assert out[8:28, 10:46].min() == 200
    assert out[:8, 10:46].max() == 0 and out[28:, 10:46].max() == 0 and out[:, :10].max() == 0


def test_z_order_and_ties():
    red, blue = solid_rgba(8, 8, (255, 0, 0, 255)), solid_rgba(8, 8, (0, 0, 255, 255))
    scene = camera_scene(image(red, 0, 0, z=5, order=0, image_id="a"),
                         image(blue, 4, 4, z=2, order=1, image_id="b"))
    out = render(scene, {})
    assert out[5, 5].tolist() == [255, 0, 0]            # higher zIndex on top despite later draw
    tie = camera_scene(image(red, 0, 0, z=2, order=0, image_id="a"),
                       image(blue, 4, 4, z=2, order=1, image_id="b"))
    assert render(tie, {})[5, 5].tolist() == [0, 0, 255]  # equal zIndex: later draw on top


def test_transparency_is_honoured():
    half = solid_rgba(4, 4, (255, 255, 255, 128))
    out = render(camera_scene(me(), image(half, 0, 0, z=2, order=1)), {ME: frame(64)})
    assert out[0, 0].tolist() == [160, 160, 160]


def test_circle_cutout():
    cam = frame(250)
    out = render(camera_scene(me(cutout=Cutout.CIRCLE)), {ME: cam})
    # circle inscribed in the centred 36x36 square of the 64x36 fitted video
    assert out[18, 32].tolist() == [250] * 3
    assert out[0, 14].max() == 0 and out[0, 49].max() == 0 and out[18, 5].max() == 0
    assert 0 < out[18, 14, 0] <= 250      # anti-aliased edge


@pytest.mark.parametrize("cutout, width", [(Cutout.SQUARE, 36), (Cutout.VERTICAL_RECTANGLE, 20)])
def test_square_and_vertical_crops(cutout, width):
    out = render(camera_scene(me(cutout=cutout)), {ME: frame(250)})
    columns = np.nonzero(out[18, :, 0])[0]
    assert columns.min() == (W - width) // 2 and columns.max() == (W - width) // 2 + width - 1
    assert out[0, W // 2, 0] > 240 and out[0, (W - width) // 2, 0] < 100   # rounded corner


def test_rectangle_has_rounded_corners_standard_square():
    rect = render(camera_scene(me(box=Rect(0, 0, 640, 360), cutout=Cutout.RECTANGLE), size=(640, 360)),
                  {ME: frame(250, 640, 360)})
    std = render(camera_scene(me(box=Rect(0, 0, 640, 360)), size=(640, 360)), {ME: frame(250, 640, 360)})
    assert rect[0, 0].max() == 0 and rect[180, 320, 0] == 250 and rect[0, 320, 0] == 250
    assert std[0, 0, 0] == 250


def test_camera_mode_mirroring_only_the_participant():
    cam = frame()
    mark = solid_rgba(2, 2, (1, 2, 3, 255))
    out = render(camera_scene(me(mirrored=True), image(mark, 0, 0, z=2, order=1)), {ME: cam})
    assert np.array_equal(out[5:, :], cam[5:, ::-1])
    assert out[0, 0].tolist() == [1, 2, 3]             # the image is not mirrored
    immersive = camera_scene(me(mirrored=True), view=View.IMMERSIVE)
    assert np.array_equal(render(immersive, {ME: cam}), cam)   # camera mode only


def test_self_view_mirrors_everything_stream_does_not():
    cam = frame()
    mark = solid_rgba(3, 2, (9, 9, 9, 255))
    scene = camera_scene(me(box=Rect(5, 3, 40, 20)), image(mark, 0, 0, z=2, order=1),
                         my_video=MyVideo(mirror_self_view=True))
    stream, selfview = render(scene, {ME: cam}), render(scene, {ME: cam}, view="self")
    assert np.array_equal(selfview, stream[:, ::-1])
    assert stream[0, 0].tolist() == [9, 9, 9] and selfview[0, W - 1].tolist() == [9, 9, 9]


def test_virtual_background_filter_foreground_chain():
    cam = frame(100)
    mask = np.zeros((H, W), np.uint8)
    mask[:, : W // 2] = 255                              # person on the left half
    vb = premultiply(solid_rgba(128, 36, (0, 200, 0, 255)))   # wider: cover-cropped
    fg = np.zeros((9, 16, 4), np.uint8)
    fg[:2] = (255, 0, 0, 255)                            # top band, stretched 4x to 8 rows
    my_video = MyVideo(background=VirtualBackground(vb), foreground=premultiply(fg))
    out = render(camera_scene(me(), my_video=my_video), {ME: cam}, masks={ME: mask})
    assert out[20, 10].tolist() == [100, 100, 100]       # person
    assert out[20, 50].tolist() == [0, 200, 0]           # background replaced
    assert out[3, 10].tolist() == [255, 0, 0] and out[3, 50].tolist() == [255, 0, 0]
    assert out[20, 30].tolist() == [100, 100, 100]


def test_person_cutout_draws_only_the_person():
    cam = frame(100)
    mask = np.zeros((H, W), np.uint8)
    mask[10:30, 20:40] = 255
    scene = camera_scene(image(solid_rgba(W, H, (0, 0, 50, 255)), 0, 0, z=0, order=0),
                         me(cutout=Cutout.PERSON, order=1),
                         my_video=MyVideo(foreground=premultiply(solid_rgba(4, 4, (255, 0, 0, 255)))))
    out = render(scene, {ME: cam}, masks={ME: mask})
    assert out[20, 30].tolist() == [100, 100, 100] and out[0, 0].tolist() == [0, 0, 50]


def test_immersive_draws_other_participants_scaled():
    bob = frame(77, 128, 72)
    scene = camera_scene(me(uuid="bob", box=Rect(0, 0, 32, 18)), view=View.IMMERSIVE)
    out = render(scene, {"bob": bob})
    assert out[:18, :32].min() == 77 and out[18:].max() == 0


def test_webview_layer_with_alpha_and_missing_source():
    web = np.zeros((H, W, 4), np.uint8)
    web[:10, :10] = (0, 0, 255, 255)
    scene = camera_scene(me(), WebViewLayer(Rect(0, 0, W, H), 2, 1))
    out = render(scene, {ME: frame(5)}, webview=premultiply(web))
    assert out[0, 0].tolist() == [0, 0, 255] and out[20, 20].tolist() == [5, 5, 5]
    assert np.array_equal(render(scene, {ME: frame(5)}), frame(5))


def test_hidden_layers_are_never_drawn():
    compositor = Compositor(parallel=False)
    scene = camera_scene(image(solid_rgba(8, 8, (1, 1, 1, 255)), 3, 3, z=0, order=0), me(order=1))
    sources = Sources(ME, {ME: frame(9)})
    entries = compositor.plan(scene, sources, "stream", W, H)
    assert len(entries) == 1 and entries[0].source is sources.frames[ME]


def test_off_canvas_layers_are_dropped():
    from compositor.render import DrawEntry, full_window
    cam = frame()
    entry = DrawEntry(cam, Rect(W + 5, 0, W, H), full_window(cam))
    assert drop_hidden([entry], W, H) == []


def test_open_context_with_nothing_drawn_is_the_background():
    out = render(camera_scene(), {ME: frame(5)})
    assert out.shape == (H, W, 3) and out.max() == 0


def test_static_content_is_prepared_once_across_frames(monkeypatch):
    import native.compose as kernel

    built, replaced = [], []
    original_init, original_set = kernel.Composer.__init__, kernel.Composer.set_source
    monkeypatch.setattr(kernel.Composer, "__init__",
                        lambda self, *a, **k: (built.append(1), original_init(self, *a, **k))[1])
    monkeypatch.setattr(kernel.Composer, "set_source",
                        lambda self, i, s: (replaced.append(i), original_set(self, i, s))[1])
    compositor = Compositor(parallel=False)
    scene = camera_scene(me(cutout=Cutout.CIRCLE), image(solid_rgba(4, 4, (1, 2, 3, 128)), 0, 0, z=2, order=1))
    for seed in range(3):
        out = compositor.render(scene, Sources(ME, {ME: frame(seed=seed)}))
    assert len(built) == 1 and replaced == [0, 0]      # only the camera frame, once per new frame
    assert np.array_equal(out, Compositor(parallel=False).render(scene, Sources(ME, {ME: frame(seed=2)})))


def test_after_warm_up_live_frames_never_compile():
    """A compile met mid-run stalls a live camera for seconds (typed-list methods are compiled
    per item type and never cached on disk): the warm-up must cover everything a frame uses."""
    from numba.core import event

    from compositor.render import warm_up

    warm_up()
    web = np.zeros((H, W, 4), np.uint8)
    web[:4] = (9, 9, 9, 200)
    scene = camera_scene(me(cutout=Cutout.RECTANGLE),
                         image(solid_rgba(4, 4, (1, 2, 3, 128)), 0, 0, z=2, order=1),
                         WebViewLayer(Rect(0, 0, W, H), 3, 2),
                         my_video=MyVideo(background=VirtualBackground(premultiply(solid_rgba(8, 8, (0, 9, 0, 255))))))
    compositor = Compositor(parallel=True)
    with event.install_recorder("numba:compile") as recorder:
        for seed in range(3):
            mask = np.random.default_rng(seed).integers(0, 256, (H, W), np.uint8)
            compositor.render(scene, Sources(ME, {ME: frame(seed=seed)}, {ME: mask}, premultiply(web)))
    assert not recorder.buffer, [entry for entry in recorder.buffer][:3]


def test_person_cutout_shows_plain_video_while_segmentation_fails():
    cam = frame(100)
    scene = camera_scene(me(cutout=Cutout.PERSON))
    assert render(scene, {ME: cam}).max() == 0                         # no mask yet: nothing
    assert np.array_equal(render(scene, {ME: cam}, unsegmented=frozenset({ME})), cam)   # failing: plain
