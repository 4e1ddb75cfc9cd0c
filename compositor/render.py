"""From a scene snapshot and the latest frames to one composed canvas.

`Compositor.render` flattens the scene into a draw list (one params row per drawn source,
bottom to top) and hands it to the single native entry point. Everything per frame here is a
handful of small Python objects per layer; pixels are only touched by the kernel.

The planner applies GStreamer's cheap wins (STYLE item 4): layers entirely under an opaque
layer are dropped, and the background clear is skipped when an opaque layer covers the canvas.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import threading
from functools import lru_cache

import numpy as np

from compositor.fallback import name_card
from compositor.layout import (DEFAULT_CAMERA_CANVAS, Rect, SourceWindow, corner_radius,
                               cutout_rect, fit_contain, source_window)
from compositor.scene import (Cutout, ImageLayer, ParticipantLayer, RenderingContext, Scene, View,
                              VirtualBackground, WebViewLayer)
from native import compose as kernel
from native.mask import circle_mask, rounded_rect_mask

BACKGROUND = (0, 0, 0)
VIEWS = ("stream", "self")


@dataclass
class Sources:
    """What one frame draws from, gathered by the caller just before rendering."""
    local_uuid: str
    frames: dict[str, np.ndarray]                 # participantUUID -> HxWx3 RGB camera frame
    masks: dict[str, np.ndarray] = field(default_factory=dict)   # -> HxW uint8 person mask
    webview: np.ndarray | None = None             # HxWx4 premultiplied RGBA
    blurred_background: np.ndarray | None = None  # the local frame, blurred (virtual background blur)
    unsegmented: frozenset[str] = frozenset()     # participants whose segmentation fails right now
    names: dict[str, str] = field(default_factory=dict)   # -> screen name, for those sending no video


@dataclass(frozen=True)
class DrawEntry:
    """One source drawn onto the canvas: the kernel's params row, before flattening."""
    source: np.ndarray
    dest: Rect
    window: SourceWindow
    mirror: bool = False
    source_mask: np.ndarray | None = None
    dest_mask: np.ndarray | None = None
    dest_mask_mirror: bool = False

    @property
    def opaque(self) -> bool:
        return self.source.shape[2] == 3 and self.source_mask is None and self.dest_mask is None

    def mirrored_on(self, canvas_width: int) -> "DrawEntry":
        """The same draw reflected about the canvas' vertical axis (self-view mirroring)."""
        dest = Rect(canvas_width - self.dest.right, self.dest.y, self.dest.width, self.dest.height)
        return DrawEntry(self.source, dest, self.window, not self.mirror, self.source_mask,
                         self.dest_mask, not self.dest_mask_mirror)


def full_window(array: np.ndarray) -> SourceWindow:
    return SourceWindow(0, 0, array.shape[1], array.shape[0])


def cover_window(width: int, height: int, aspect: float) -> SourceWindow:
    """The centred crop of a width x height image with the given aspect (cover + centre-crop)."""
    if width / height > aspect:
        crop = height * aspect
        return SourceWindow((width - crop) / 2, 0, crop, height)
    crop = width / aspect
    return SourceWindow(0, (height - crop) / 2, width, crop)


def sub_window(outer: SourceWindow, frame_size: tuple[int, int], window: SourceWindow) -> SourceWindow:
    """Map `window` (in frame pixels) into an image whose `outer` region stands for the frame."""
    sx, sy = outer.width / frame_size[0], outer.height / frame_size[1]
    return SourceWindow(outer.x + window.x * sx, outer.y + window.y * sy, window.width * sx,
                        window.height * sy)


@lru_cache(maxsize=64)
def cutout_mask(cutout: str, width: int, height: int, radius: float) -> np.ndarray | None:
    """The destination-space mask of a cutout, rasterised once per geometry."""
    if cutout == Cutout.CIRCLE:
        mask = circle_mask(min(width, height))
    elif radius > 0:
        mask = rounded_rect_mask(width, height, radius)
    else:
        return None
    mask.setflags(write=False)
    return mask


class Compositor:
    """Renders scene snapshots. Between frames it keeps only the kernel's prepared inputs
    (`native.compose.Composer`), so static content (images, overlays, cutout masks) is
    classified once and a new frame replaces just the camera frames and masks that changed."""

    def __init__(self, parallel: bool = True):
        self.parallel = parallel
        self._lock = threading.Lock()        # one frame at a time: the Composer is updated in place
        self._composer: kernel.Composer | None = None
        self._sources: list[np.ndarray] = []
        self._masks: list[np.ndarray] = []

    def canvas_size(self, scene: Scene, sources: Sources) -> tuple[int, int]:
        if scene.context is not None:
            return scene.context.width, scene.context.height
        frame = sources.frames.get(sources.local_uuid)
        if frame is None:
            return DEFAULT_CAMERA_CANVAS
        return frame.shape[1], frame.shape[0]

    def render(self, scene: Scene, sources: Sources, view: str = "stream",
               out: np.ndarray | None = None) -> np.ndarray:
        """Compose `view` ("stream": what others receive; "self": the local preview)."""
        if view not in VIEWS:
            raise ValueError(f"view must be one of {VIEWS}, got {view!r}")
        width, height = self.canvas_size(scene, sources)
        if out is None or out.shape != (height, width, 3):
            out = np.empty((height, width, 3), np.uint8)
        entries = self.plan(scene, sources, view, width, height)
        self.draw(out, entries)
        return out

    def plan(self, scene: Scene, sources: Sources, view: str, width: int, height: int) -> list[DrawEntry]:
        entries = list(self._entries(scene, sources))
        if view == "self" and scene.my_video.mirror_self_view:
            entries = [entry.mirrored_on(width) for entry in entries]
        return drop_hidden(entries, width, height)

    def draw(self, out: np.ndarray, entries: list[DrawEntry]) -> None:
        height, width = out.shape[:2]
        if not entries:                       # an open context with nothing drawn: the background
            out[:] = BACKGROUND
            return
        covered = any(e.opaque and e.dest.contains(Rect(0, 0, width, height)) for e in entries)
        sources: list[np.ndarray] = []
        masks: list[np.ndarray] = []

        def index_of(array, arrays):
            if array is None:
                return -1
            for i, known in enumerate(arrays):
                if known is array:
                    return i
            arrays.append(array)
            return len(arrays) - 1

        rows = []
        for e in entries:
            w = e.window
            rows.append(kernel.layer_params(
                index_of(e.source, sources), (e.dest.x, e.dest.y, e.dest.width, e.dest.height),
                (w.x, w.y, w.width, w.height), e.mirror, index_of(e.source_mask, masks),
                index_of(e.dest_mask, masks), e.dest_mask_mirror))
        with self._lock:
            self._prepare(sources, masks).compose(out, np.array(rows), BACKGROUND, clear=not covered,
                                                  parallel=self.parallel)

    def _prepare(self, sources: list[np.ndarray], masks: list[np.ndarray]) -> "kernel.Composer":
        """The Composer for these inputs, updating only the entries whose array changed."""
        if (self._composer is None or len(sources) != len(self._sources)
                or len(masks) != len(self._masks)):
            self._composer = kernel.Composer(sources, masks)
        else:
            for i, (new, old) in enumerate(zip(sources, self._sources)):
                if new is not old:
                    self._composer.set_source(i, new)
            for i, (new, old) in enumerate(zip(masks, self._masks)):
                if new is not old:
                    self._composer.set_mask(i, new)
        # Keep references, not ids: an id can be reused once its array is freed.
        self._sources, self._masks = sources, masks
        return self._composer

    # -- flattening ---------------------------------------------------------------------------

    def _entries(self, scene: Scene, sources: Sources):
        context = scene.context
        if context is None:
            frame = sources.frames.get(sources.local_uuid)
            if frame is not None:
                dest = Rect(0, 0, frame.shape[1], frame.shape[0])
                yield from self._my_video(scene, sources, frame, dest, full_window(frame), False, None)
            return
        for layer in scene.layers:
            if isinstance(layer, ParticipantLayer):
                yield from self._participant(scene, sources, layer)
            elif isinstance(layer, ImageLayer):
                yield DrawEntry(layer.pixels, layer.rect, full_window(layer.pixels))
            elif isinstance(layer, WebViewLayer) and sources.webview is not None:
                yield DrawEntry(sources.webview, layer.rect, full_window(sources.webview))

    def _participant(self, scene: Scene, sources: Sources, layer: ParticipantLayer):
        frame = sources.frames.get(layer.participant_uuid)
        if frame is None:
            yield from self._name_card(scene, sources, layer)
            return
        height, width = frame.shape[:2]
        fitted = fit_contain(width, height, layer.box)
        dest = cutout_rect(layer.cutout, fitted)
        window = source_window(width, height, fitted, dest)
        radius = corner_radius(layer.cutout, scene.context.dpr)
        dest_mask = cutout_mask(layer.cutout, dest.width, dest.height, radius)
        mirror = layer.mirrored and scene.context.view == View.CAMERA
        person = sources.masks.get(layer.participant_uuid)
        if layer.cutout == Cutout.PERSON:
            # The person alone, without background, filter or foreground; nothing until the first
            # mask exists, and the plain video while segmentation fails (issue 8's fallback).
            if person is not None or layer.participant_uuid in sources.unsegmented:
                yield DrawEntry(frame, dest, window, mirror, person, dest_mask)
        elif layer.participant_uuid == sources.local_uuid:
            yield from self._my_video(scene, sources, frame, dest, window, mirror, dest_mask)
        else:
            yield DrawEntry(frame, dest, window, mirror, None, dest_mask)

    def _name_card(self, scene: Scene, sources: Sources, layer: ParticipantLayer):
        """Not sending video: the name card (`compositor.fallback`) where a 16:9 video would be,
        through the same cutout (a 'person' cutout has nobody to cut out: the whole card)."""
        name = sources.names.get(layer.participant_uuid)
        if name is None:
            return              # not in the meeting (left): nothing
        cutout = Cutout.STANDARD if layer.cutout == Cutout.PERSON else layer.cutout
        dest = cutout_rect(cutout, fit_contain(16, 9, layer.box))
        card = name_card(name, dest.width, dest.height)
        radius = corner_radius(cutout, scene.context.dpr)
        yield DrawEntry(card, dest, full_window(card),
                        dest_mask=cutout_mask(cutout, dest.width, dest.height, radius))

    def _my_video(self, scene, sources, frame, dest, window, mirror, dest_mask):
        """Camera -> virtual background -> video filter -> foreground, sharing one geometry."""
        my_video = scene.my_video
        frame_size = (frame.shape[1], frame.shape[0])
        person = None
        background = my_video.background
        if background is not None:
            person = sources.masks.get(sources.local_uuid)
            if background.blur and sources.blurred_background is not None:
                yield DrawEntry(sources.blurred_background, dest, window, mirror, None, dest_mask)
            elif background.pixels is not None:
                image = background.pixels
                outer = cover_window(image.shape[1], image.shape[0], frame_size[0] / frame_size[1])
                yield DrawEntry(image, dest, sub_window(outer, frame_size, window), mirror, None, dest_mask)
        yield DrawEntry(frame, dest, window, mirror, person, dest_mask)
        for overlay in (my_video.video_filter, my_video.foreground):
            if overlay is not None:
                stretched = sub_window(full_window(overlay), frame_size, window)
                yield DrawEntry(overlay, dest, stretched, mirror, None, dest_mask)


def drop_hidden(entries: list[DrawEntry], width: int, height: int) -> list[DrawEntry]:
    """Drop entries that an opaque entry above covers entirely (or that lie off the canvas)."""
    kept, covers = [], []
    for entry in reversed(entries):
        visible = entry.dest.clip(width, height)
        if visible.empty or any(cover.contains(visible) for cover in covers):
            continue
        kept.append(entry)
        if entry.opaque:
            covers.append(visible)
    kept.reverse()
    return kept


def warm_up() -> float:
    """Compile (or load from numba's cache) every compose kernel before a live loop starts, so
    the first frame never stalls a camera. Returns the seconds it took (reported as compile time)."""
    import time

    start = time.perf_counter()
    image = np.zeros((2, 2, 4), np.uint8)
    image.setflags(write=False)
    scene = Scene(RenderingContext(View.CAMERA, 8, 4)).with_layer(
        ParticipantLayer("warm-up", Rect(0, 0, 6, 4), 1, 0, Cutout.CIRCLE)).with_layer(
        ImageLayer("warm-up", Rect(1, 1, 2, 2), 2, 1, image)).with_my_video(
        background=VirtualBackground(image))
    for parallel in (False, True):
        compositor = Compositor(parallel)
        for _ in range(2):    # the second frame replaces sources and masks in the kept Composer
            frame, mask, webview = (np.zeros((4, 8, 3), np.uint8), np.zeros((4, 8), np.uint8),
                                    np.zeros((4, 8, 4), np.uint8))
            compositor.render(scene.with_layer(WebViewLayer(Rect(0, 0, 8, 4), 3, 2)),
                              Sources("warm-up", {"warm-up": frame}, {"warm-up": mask}, webview))
    return time.perf_counter() - start
