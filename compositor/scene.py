"""The scene: immutable snapshots of everything the renderer draws.

The SDK facade never touches pixels: each call validates, then builds a *new* `Scene` from the
current one and swaps it in atomically (`SceneStore.update`). The renderer reads the latest
snapshot once at the start of a frame, so a call can never tear a frame.

Pixel content held by a scene (images, effect overlays) is prepared once at call time: straight
RGBA converted to premultiplied RGBA, read-only, so every snapshot can share it without copying.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Callable, Union

import numpy as np

from compositor.layout import Rect


class View(StrEnum):
    CAMERA = "camera"          # the user's own video, with app content: one participant (self)
    IMMERSIVE = "immersive"    # the meeting canvas: any participants


class Cutout(StrEnum):
    STANDARD = "standard"                     # whole fitted video, square corners
    RECTANGLE = "rectangle"                   # fitted video, rounded corners
    SQUARE = "square"                         # centred square crop, rounded corners
    VERTICAL_RECTANGLE = "verticalRectangle"  # centred 9:16 crop, rounded corners
    CIRCLE = "circle"                         # inscribed circle
    PERSON = "person"                         # the person mask from segmentation


@dataclass(frozen=True, slots=True)
class RenderingContext:
    view: View
    width: int                 # canvas in device px
    height: int
    default_cutout: Cutout = Cutout.STANDARD
    frame_rate: float = 30.0
    dpr: float = 1.0           # devicePixelRatio of the drawing page (cutout corner radius)


@dataclass(frozen=True, slots=True)
class ParticipantLayer:
    participant_uuid: str
    box: Rect                  # the requested box; the video is fitted inside it
    z_index: float
    order: int                 # draw sequence: on equal zIndex the later draw is on top
    cutout: Cutout = Cutout.STANDARD
    mirrored: bool = False     # cameraModeMirroring: this layer only, every output

    @property
    def key(self) -> tuple[str, str]:
        return ("participant", self.participant_uuid)


@dataclass(frozen=True, slots=True)
class ImageLayer:
    image_id: str
    rect: Rect                 # at (x, y), the image's own size
    z_index: float
    order: int
    pixels: np.ndarray = field(repr=False, compare=False)   # HxWx4 premultiplied RGBA, read-only

    @property
    def key(self) -> tuple[str, str]:
        return ("image", self.image_id)


@dataclass(frozen=True, slots=True)
class WebViewLayer:
    rect: Rect
    z_index: float
    order: int

    @property
    def key(self) -> tuple[str, str]:
        return ("webview", "")


Layer = Union[ParticipantLayer, ImageLayer, WebViewLayer]


@dataclass(frozen=True, slots=True)
class VirtualBackground:
    """An image covering the camera frame (premultiplied RGBA), or a blur of the frame itself."""
    pixels: np.ndarray | None = field(default=None, repr=False, compare=False)
    blur: bool = False


@dataclass(frozen=True, slots=True)
class MyVideo:
    """The "my video" chain applied to the local camera before any layer draws it."""
    background: VirtualBackground | None = None
    video_filter: np.ndarray | None = field(default=None, repr=False, compare=False)  # premul RGBA
    foreground: np.ndarray | None = field(default=None, repr=False, compare=False)    # premul RGBA
    mirror_self_view: bool = False    # setVideoMirrorEffect / mirrorMyVideo: the local preview only


@dataclass(frozen=True, slots=True)
class Scene:
    context: RenderingContext | None = None
    layers: tuple[Layer, ...] = ()     # bottom to top
    my_video: MyVideo = MyVideo()
    next_order: int = 0

    def find(self, key: tuple[str, str]) -> Layer | None:
        return next((layer for layer in self.layers if layer.key == key), None)

    def with_layer(self, layer: Layer) -> "Scene":
        """Add `layer`, replacing any layer with the same key, restacked by (zIndex, order)."""
        kept = [other for other in self.layers if other.key != layer.key]
        layers = tuple(sorted([*kept, layer], key=lambda item: (item.z_index, item.order)))
        return replace(self, layers=layers, next_order=max(self.next_order, layer.order + 1))

    def without(self, key: tuple[str, str]) -> "Scene":
        return replace(self, layers=tuple(layer for layer in self.layers if layer.key != key))

    def with_my_video(self, **changes) -> "Scene":
        return replace(self, my_video=replace(self.my_video, **changes))

    def with_context(self, context: RenderingContext | None) -> "Scene":
        """A new (or no) rendering context starts with an empty canvas."""
        return replace(self, context=context, layers=())


class SceneStore:
    """Holds the current snapshot; updates are serialised, reads are a single attribute load."""

    def __init__(self, scene: Scene | None = None):
        self._scene = scene or Scene()
        self._lock = threading.Lock()
        self.version = 0

    @property
    def scene(self) -> Scene:
        return self._scene

    def update(self, change: Callable[[Scene], Scene]) -> Scene:
        """Apply `change` to the current scene and publish the result atomically.

        If `change` raises, nothing is published: a rejected call leaves the scene unchanged.
        """
        with self._lock:
            scene = change(self._scene)
            self._scene = scene
            self.version += 1
            return scene
