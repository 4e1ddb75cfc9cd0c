"""The two reference scenes of issue 2, built from fixed seeds so every run measures the same pixels.

A scene is plain data: the canvas size and its layers bottom to top, each with its source pixels
and destination rect. Contenders (``benchmarks/contenders/``) read nothing else, so the numba
kernel, Pillow, OpenCV, numpy, FFmpeg and GStreamer all compose exactly the same inputs.

Semantics every contender implements: output RGB uint8 on a black canvas; for each layer the source
(mirrored if ``mirror``), alpha = source alpha (255 for RGB) x ``mask`` x ``cutout``, scaled
(bilinear) to the rect, composited "over" (straight alpha in, premultiplied math), clipped to the
canvas.

Content is meant to look like the real thing, because the kernel skips transparent spans and
copies opaque ones: camera frames are smooth gradients with mild sensor noise, the person mask is
a soft ellipse and head covering about 40% of the frame, the web view is about 80% fully
transparent, the foreground is a thin frame border. ``scale < 1`` shrinks every dimension for
quick tests; the benchmark figures are only meaningful at ``scale=1``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

# One seed per scene (asv style, STYLE.md item 21): the same bytes on every machine and run.
SEED_CAMERA = 349120
SEED_IMMERSIVE = 720301

# Frames per camera: enough that a contender cannot keep a camera's result from the last frame,
# few enough to stay small in memory (9 x 3 HD frames in the immersive scene).
CAMERA_FRAMES = 3


@dataclass(frozen=True)
class BenchLayer:
    """One layer: source pixels, where they go, and the alpha factors applied to them.

    ``frames`` holds HxWx3 RGB (opaque) or HxWx4 straight RGBA uint8 arrays. One array means static
    content; several mean a camera whose frame ``i`` is ``frames[i % len(frames)]``, so per-frame
    work (conversion, mirror, scale, masking) must be redone for it on every frame.
    ``mask`` is an HxW uint8 alpha multiplier in source space (the person mask), ``cutout`` a
    height x width uint8 alpha multiplier in destination space (the circle cutout).
    """

    name: str
    frames: tuple[np.ndarray, ...]
    x: int
    y: int
    width: int
    height: int
    mirror: bool = False
    mask: np.ndarray | None = None
    cutout: np.ndarray | None = None

    @property
    def per_frame(self) -> bool:
        return len(self.frames) > 1

    def frame(self, index: int) -> np.ndarray:
        """The source pixels for output frame ``index``."""
        return self.frames[index % len(self.frames)]


@dataclass(frozen=True)
class BenchScene:
    """A canvas and its layers, bottom to top."""

    name: str
    width: int
    height: int
    layers: tuple[BenchLayer, ...]


def camera_720p(scale: float = 1.0) -> BenchScene:
    """Camera mode at 1280x720: background, mirrored masked participant, web view, 2 images, foreground."""
    rng = np.random.default_rng(SEED_CAMERA)
    W, H = _scaled(1280, scale), _scaled(720, scale)
    image_w, image_h = _scaled(320, scale), _scaled(180, scale)
    layers = (
        BenchLayer("background", (_photo(rng, H, W),), 0, 0, W, H),
        BenchLayer(
            "participant",
            tuple(_photo(rng, H, W, phase=i) for i in range(CAMERA_FRAMES)),
            0, 0, W, H,
            mirror=True,
            mask=person_mask(H, W),
        ),
        BenchLayer("webview", (_webview(rng, H, W),), 0, 0, W, H),
        BenchLayer("image-1", (_sticker(rng, image_h, image_w),),
                   _scaled(40, scale), _scaled(40, scale), image_w, image_h),
        BenchLayer("image-2", (_sticker(rng, image_h, image_w),),
                   _scaled(920, scale), _scaled(500, scale), image_w, image_h),
        BenchLayer("foreground", (_frame_border(H, W, scale),), 0, 0, W, H),
    )
    return BenchScene("camera-720p", W, H, layers)


def immersive_1080p(scale: float = 1.0) -> BenchScene:
    """Immersive mode at 1920x1080: background, 9 HD participants in circles on a 3x3 grid, web view."""
    rng = np.random.default_rng(SEED_IMMERSIVE)
    W, H = _scaled(1920, scale), _scaled(1080, scale)
    src_w, src_h = _scaled(1280, scale), _scaled(720, scale)
    tile_w, tile_h = _scaled(600, scale), _scaled(338, scale)
    # Tiles spread evenly: equal gaps around and between them (30 px across, 16 px down at 1080p).
    gap_x, gap_y = (W - 3 * tile_w) // 4, (H - 3 * tile_h) // 4
    circle = circle_cutout(tile_h, tile_w)
    participants = tuple(
        BenchLayer(
            f"participant-{row * 3 + col + 1}",
            tuple(_photo(rng, src_h, src_w, phase=row * 3 + col + i) for i in range(CAMERA_FRAMES)),
            gap_x + col * (tile_w + gap_x), gap_y + row * (tile_h + gap_y), tile_w, tile_h,
            cutout=circle,
        )
        for row in range(3)
        for col in range(3)
    )
    layers = (
        BenchLayer("background", (_photo(rng, H, W, phase=7),), 0, 0, W, H),
        *participants,
        BenchLayer("webview", (_webview(rng, H, W),), 0, 0, W, H),
    )
    return BenchScene("immersive-1080p", W, H, layers)


def immersive_1080p_person(scale: float = 1.0) -> BenchScene:
    """immersive-1080p with 'person' cutouts instead of circles: each participant drawn through a
    soft person mask scaled with the frame (issue 2 sets no target for it; `--scene` runs it)."""
    scene = immersive_1080p(scale)
    mask = person_mask(scene.layers[1].frames[0].shape[0], scene.layers[1].frames[0].shape[1])
    layers = tuple(replace(layer, cutout=None, mask=mask) if layer.name.startswith("participant")
                   else layer for layer in scene.layers)
    return BenchScene("immersive-1080p-person", scene.width, scene.height, layers)


# The reference scenes: what `layers bench` runs by default and issue 2's targets are set on.
SCENES: dict[str, Callable[..., BenchScene]] = {
    "camera-720p": camera_720p,
    "immersive-1080p": immersive_1080p,
}
# Further scenes, measured only when named (`layers bench --scene NAME`).
ALL_SCENES: dict[str, Callable[..., BenchScene]] = {
    **SCENES,
    "immersive-1080p-person": immersive_1080p_person,
}


def person_mask(height: int, width: int) -> np.ndarray:
    """A soft head-and-shoulders mask covering about 40% of the frame, like a segmentation output."""
    feather = max(1.0, 0.02 * height)
    body = _soft_ellipse(height, width, 1.05 * height, 0.5 * width, 0.62 * height, 0.34 * width, feather)
    head = _soft_ellipse(height, width, 0.36 * height, 0.5 * width, 0.26 * height, 0.16 * width, feather)
    return _to_u8(np.maximum(body, head))


def circle_cutout(height: int, width: int) -> np.ndarray:
    """The 'circle' cutout: the inscribed circle of the tile, with a 1-pixel anti-aliased edge."""
    radius = min(height, width) / 2
    return _to_u8(_soft_ellipse(height, width, height / 2, width / 2, radius, radius, 1.0))


def _scaled(size: int, scale: float) -> int:
    return max(1, round(size * scale))


def _grid(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates, shaped to broadcast: (H, 1) rows and (1, W) columns."""
    return (np.arange(height, dtype=np.float32)[:, None] + 0.5,
            np.arange(width, dtype=np.float32)[None, :] + 0.5)


def _soft_ellipse(height, width, cy, cx, ry, rx, feather) -> np.ndarray:
    """Coverage in [0, 1] of an ellipse whose edge ramps over about ``feather`` pixels."""
    y, x = _grid(height, width)
    distance = np.sqrt(((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2)
    return np.clip((1.0 - distance) * min(rx, ry) / feather + 0.5, 0.0, 1.0)


def _to_u8(values: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(values * 255.0), 0, 255).astype(np.uint8)


def _photo(rng: np.random.Generator, height: int, width: int, phase: int = 0) -> np.ndarray:
    """An opaque RGB "camera" frame: smooth colour gradients plus mild sensor noise.

    ``phase`` moves the gradients so consecutive camera frames differ everywhere.
    """
    y, x = _grid(height, width)
    u, v = x / width, y / height
    shift = 0.37 * phase
    planes = (
        0.5 + 0.35 * np.sin(2.0 * np.pi * (u + 0.3 * v) + shift),
        0.45 + 0.3 * np.cos(2.0 * np.pi * (0.7 * v - 0.4 * u) + 1.7 * shift),
        0.5 + 0.3 * np.sin(3.0 * np.pi * u * v + 2.3 * shift),
    )
    rgb = np.stack(planes, axis=-1) * 255.0
    rgb += rng.normal(0.0, 4.0, size=rgb.shape).astype(np.float32)
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)


def _webview(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A web page rendered with real transparency: a title box, a caption panel, lines of "text".

    About 80% of the pixels are fully transparent, like a typical Layers app overlay.
    """
    rgba = np.zeros((height, width, 4), np.uint8)
    _box(rgba, 0.04, 0.06, 0.10, 0.40, (245, 245, 250, 230))             # title box
    _box(rgba, 0.74, 0.10, 0.14, 0.80, (20, 24, 40, 180))                 # caption panel
    _box(rgba, 0.12, 0.80, 0.30, 0.16, (250, 200, 40, 255))               # opaque badge
    # "Text": short opaque strokes inside the title box and the caption panel.
    for top, left, rows, span in ((0.055, 0.08, 3, 0.36), (0.76, 0.12, 3, 0.76)):
        for line in range(rows):
            y0 = int((top + 0.035 * line) * height)
            y1 = max(y0 + 1, y0 + int(0.018 * height))
            x = int(left * width)
            x_end = int((left + span) * width)
            while x < x_end:
                word = int(rng.integers(3, 9) * max(1, width // 320))
                rgba[y0:y1, x:min(x + word, x_end)] = (10, 10, 10, 255) if top < 0.5 else (255, 255, 255, 255)
                x += word + max(1, width // 200)
    return rgba


def _box(rgba: np.ndarray, top: float, left: float, height: float, width: float, colour) -> None:
    """Fill a rectangle given in fractions of the image."""
    H, W = rgba.shape[:2]
    y0, x0 = int(top * H), int(left * W)
    rgba[y0:max(y0 + 1, int((top + height) * H)), x0:max(x0 + 1, int((left + width) * W))] = colour


def _sticker(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """An RGBA image with partial alpha: a coloured gradient fading out towards a rounded edge."""
    y, x = _grid(height, width)
    rgb = np.stack(np.broadcast_arrays(200 * x / width + 30, 180 * y / height + 40,
                                       np.full_like(x, float(rng.integers(60, 200)))), axis=-1)
    fade = _soft_ellipse(height, width, height / 2, width / 2, height / 2, width / 2,
                         max(1.0, 0.25 * min(height, width)))
    return np.concatenate([np.clip(rgb, 0, 255).astype(np.uint8), _to_u8(fade)[..., None]], axis=-1)


def _frame_border(height: int, width: int, scale: float) -> np.ndarray:
    """A virtual foreground: a semi-transparent border with a soft inner edge, transparent inside."""
    y, x = _grid(height, width)
    border = max(2.0, 24.0 * scale)
    edge = np.minimum(np.minimum(x, width - x), np.minimum(y, height - y))
    alpha = np.clip((border - edge) / (0.5 * border), 0.0, 1.0) * 0.85
    rgba = np.empty((height, width, 4), np.uint8)
    rgba[..., 0] = 90
    rgba[..., 1] = np.clip(60 + 120 * x / width, 0, 255).astype(np.uint8)
    rgba[..., 2] = 200
    rgba[..., 3] = _to_u8(alpha)
    return rgba


@dataclass(frozen=True)
class Visible:
    """The part of a layer's rect that lies on the canvas: canvas rows/columns ``[y0, y1) x [x0, x1)``,
    which are rows/columns ``[y0 - layer.y, ...)`` of the layer's destination-size image."""

    y0: int
    y1: int
    x0: int
    x1: int

    @property
    def canvas(self) -> tuple[slice, slice]:
        return slice(self.y0, self.y1), slice(self.x0, self.x1)

    def in_layer(self, layer: BenchLayer) -> tuple[slice, slice]:
        """The same region as slices of the layer's destination-size (width x height) image."""
        return (slice(self.y0 - layer.y, self.y1 - layer.y),
                slice(self.x0 - layer.x, self.x1 - layer.x))

    @property
    def area(self) -> int:
        return (self.y1 - self.y0) * (self.x1 - self.x0)


def visible(layer: BenchLayer, scene: BenchScene) -> Visible | None:
    """Clip the layer's rect to the canvas; None when nothing of it is on the canvas."""
    y0, y1 = max(layer.y, 0), min(layer.y + layer.height, scene.height)
    x0, x1 = max(layer.x, 0), min(layer.x + layer.width, scene.width)
    if y0 >= y1 or x0 >= x1:
        return None
    return Visible(y0, y1, x0, x1)


def opaque_backdrop(scene: BenchScene) -> bool:
    """True when the bottom layer is opaque (RGB, no mask, no cutout) and its rect is the canvas.

    Any sensible compositor then starts from that layer instead of blending it onto black
    (GStreamer's "copy instead of blend for a first layer of canvas size", STYLE.md item 4);
    every contender does, so none is slowed by a blend the others skip.
    """
    if not scene.layers:
        return False
    bottom = scene.layers[0]
    return (bottom.frames[0].shape[2] == 3 and bottom.mask is None and bottom.cutout is None
            and (bottom.x, bottom.y, bottom.width, bottom.height) == (0, 0, scene.width, scene.height))
