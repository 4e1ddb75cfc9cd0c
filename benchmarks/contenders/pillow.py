"""The chain a Pillow user writes: ``putalpha`` for masks, ``transpose`` to mirror, ``resize`` to
scale, then ``alpha_composite`` layer after layer onto an RGBA canvas.

Pillow has no thread setting, so it runs once, on one thread: the yardstick of issue 2's targets.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from PIL import Image, ImageChops

from benchmarks.scenes import BenchLayer, BenchScene, Visible, opaque_backdrop, visible

NAME = "Pillow"
THREADED = False


def available() -> str | None:
    return None


def prepare(scene: BenchScene, threads: int) -> Callable[[int], np.ndarray]:
    layers = [_LayerPlan(layer, area, scene) for layer in scene.layers if (area := visible(layer, scene))]
    black = Image.new("RGBA", (scene.width, scene.height), (0, 0, 0, 255))
    backdrop = layers.pop(0) if opaque_backdrop(scene) else None

    def compose(index: int) -> np.ndarray:
        canvas = (backdrop.image(index) if backdrop else black).copy()
        for plan in layers:
            if plan.full_canvas:
                canvas = Image.alpha_composite(canvas, plan.image(index))  # no crop and paste back
            else:
                canvas.alpha_composite(plan.image(index), dest=(plan.area.x0, plan.area.y0))
        return np.asarray(canvas.convert("RGB"))

    return compose


class _LayerPlan:
    """One layer as Pillow images: masks converted once, static layers finished once."""

    def __init__(self, layer: BenchLayer, area: Visible, scene: BenchScene):
        self.layer, self.area = layer, area
        self.full_canvas = area.area == scene.width * scene.height
        rows, cols = area.in_layer(layer)
        # The part of the destination-size image that lands on the canvas (alpha_composite refuses
        # negative destinations, so clipping is a crop).
        self.crop = (cols.start, rows.start, cols.stop, rows.stop)
        self.mask = None if layer.mask is None else Image.fromarray(layer.mask, "L")
        self.cutout = None if layer.cutout is None else Image.fromarray(layer.cutout, "L")
        self.static = None if layer.per_frame else self._render(layer.frames[0])

    def image(self, index: int) -> Image.Image:
        return self.static if self.static is not None else self._render(self.layer.frame(index))

    def _render(self, frame: np.ndarray) -> Image.Image:
        layer = self.layer
        image = Image.fromarray(frame, "RGBA" if frame.shape[2] == 4 else "RGB")
        if self.mask is not None:
            _multiply_alpha(image, self.mask)
        if layer.mirror:
            image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        if image.size != (layer.width, layer.height):
            image = image.resize((layer.width, layer.height), Image.Resampling.BILINEAR)
        if self.cutout is not None:
            _multiply_alpha(image, self.cutout)
        if image.mode != "RGBA":
            image = image.convert("RGBA")  # an opaque source without mask or cutout: alpha 255
        if self.crop != (0, 0, layer.width, layer.height):
            image = image.crop(self.crop)
        return image


def _multiply_alpha(image: Image.Image, factor: Image.Image) -> None:
    """alpha *= factor / 255, in place (an RGB image simply takes ``factor`` as its alpha)."""
    if image.mode == "RGB":
        image.putalpha(factor)
    else:
        image.putalpha(ImageChops.multiply(image.getchannel("A"), factor))
