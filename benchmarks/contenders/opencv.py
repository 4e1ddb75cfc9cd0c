"""The chain an OpenCV user writes: ``flip``, ``resize`` and saturating uint8 ``multiply`` /
``add`` for premultiplied "over", all on cv2's own (SIMD, multi-threaded) primitives.

Per layer: colour = rgb x alpha / 255 and alpha are scaled separately (no 4-channel merge),
then ``canvas = colour + canvas x (255 - alpha) / 255``. Threads: ``cv2.setNumThreads``.
"""

from __future__ import annotations

from typing import Callable

import cv2
import numpy as np

from benchmarks.scenes import BenchLayer, BenchScene, Visible, opaque_backdrop, visible

NAME = "OpenCV"

INV_255 = 1.0 / 255.0


def available() -> str | None:
    return None


def prepare(scene: BenchScene, threads: int) -> Callable[[int], np.ndarray]:
    cv2.setNumThreads(threads)
    layers = [_LayerPlan(layer, area) for layer in scene.layers if (area := visible(layer, scene))]
    canvas = np.zeros((scene.height, scene.width, 3), np.uint8)
    backdrop = layers.pop(0) if opaque_backdrop(scene) else None

    def compose(index: int) -> np.ndarray:
        if backdrop:
            canvas[...] = backdrop.pixels(index)[0]
        else:
            canvas.fill(0)  # black canvas
        for plan in layers:
            colour, transparency = plan.pixels(index)
            region = canvas[plan.area.canvas]
            region[...] = cv2.add(colour, cv2.multiply(region, transparency, scale=INV_255))
        return canvas.copy()

    return compose


class _LayerPlan:
    """One layer's masks prepared once (mirrored, made 3-channel); static layers finished once."""

    def __init__(self, layer: BenchLayer, area: Visible):
        self.layer, self.area = layer, area
        self.rows, self.cols = area.in_layer(layer)
        # The person mask is static data here, so it is mirrored once; applying it is per frame.
        mask = layer.mask
        self.mask = None if mask is None else (cv2.flip(mask, 1) if layer.mirror else mask)
        cutout = None if layer.cutout is None else np.ascontiguousarray(layer.cutout[self.rows, self.cols])
        self.cutout = None if cutout is None else (cutout, cv2.merge((cutout, cutout, cutout)))
        self.static = None if layer.per_frame else self._render(layer.frames[0])

    def pixels(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Premultiplied colour and 3-channel transparency (255 - alpha) of the visible part."""
        return self.static if self.static is not None else self._render(self.layer.frame(index))

    def _render(self, frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        layer = self.layer
        if layer.mirror:
            frame = cv2.flip(frame, 1)
        rgb, alpha = frame, None
        if frame.shape[2] == 4:
            rgb, alpha = frame[..., :3], np.ascontiguousarray(frame[..., 3])
        if self.mask is not None:
            alpha = self.mask if alpha is None else cv2.multiply(alpha, self.mask, scale=INV_255)
        if alpha is None:
            alpha = np.full(frame.shape[:2], 255, np.uint8)
            colour = np.ascontiguousarray(rgb)
        else:
            colour = cv2.multiply(rgb, cv2.merge((alpha, alpha, alpha)), scale=INV_255)
        if colour.shape[:2] != (layer.height, layer.width):
            size = (layer.width, layer.height)
            colour = cv2.resize(colour, size, interpolation=cv2.INTER_LINEAR)
            alpha = cv2.resize(alpha, size, interpolation=cv2.INTER_LINEAR)
        colour, alpha = colour[self.rows, self.cols], alpha[self.rows, self.cols]
        if self.cutout is not None:
            cutout, cutout3 = self.cutout
            colour = cv2.multiply(colour, cutout3, scale=INV_255)
            alpha = cv2.multiply(alpha, cutout, scale=INV_255)
        transparency = cv2.bitwise_not(alpha)  # 255 - alpha
        return colour, cv2.merge((transparency, transparency, transparency))
