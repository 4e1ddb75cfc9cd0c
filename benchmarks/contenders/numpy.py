"""What a user writes with numpy alone: vectorised float32 "over" on premultiplied colour.

Each layer becomes premultiplied float32 RGB plus alpha at its destination size (mirror by a
reversed view, bilinear scaling by gathering precomputed source rows and columns), then
``canvas = colour + canvas * (1 - alpha)``. It is also the readable yardstick the tests hold the
other contenders to, so it favours clarity over tricks. numpy's element-wise math runs on one
thread, whatever ``threads`` says.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from benchmarks.scenes import BenchLayer, BenchScene, Visible, opaque_backdrop, visible

NAME = "numpy"
THREADED = False

Premultiplied = tuple[np.ndarray, np.ndarray]  # (h, w, 3) colour x alpha, (h, w) alpha; float32 in [0, 1]


def available() -> str | None:
    return None


def prepare(scene: BenchScene, threads: int) -> Callable[[int], np.ndarray]:
    layers = [_LayerPlan(layer, area) for layer in scene.layers if (area := visible(layer, scene))]
    canvas = np.zeros((scene.height, scene.width, 3), np.float32)
    backdrop = layers.pop(0) if opaque_backdrop(scene) else None

    def compose(index: int) -> np.ndarray:
        if backdrop:
            canvas[...] = backdrop.pixels(index)[0]
        else:
            canvas.fill(0.0)  # black canvas
        for plan in layers:
            colour, alpha = plan.pixels(index)
            region = canvas[plan.area.canvas]
            region *= 1.0 - alpha[..., None]
            region += colour
        return np.rint(canvas * 255.0).astype(np.uint8)

    return compose


class _LayerPlan:
    """One layer's geometry, worked out once; static layers also keep their finished pixels."""

    def __init__(self, layer: BenchLayer, area: Visible):
        self.layer, self.area = layer, area
        rows, cols = area.in_layer(layer)
        src_h, src_w = layer.frames[0].shape[:2]
        self.rows = bilinear_taps(src_h, layer.height)[rows]
        self.cols = bilinear_taps(src_w, layer.width)[cols]
        self.mask = None if layer.mask is None else layer.mask.astype(np.float32) / 255.0
        self.cutout = None if layer.cutout is None else layer.cutout[rows, cols].astype(np.float32) / 255.0
        self.static = None if layer.per_frame else self._render(layer.frames[0])

    def pixels(self, index: int) -> Premultiplied:
        return self.static if self.static is not None else self._render(self.layer.frame(index))

    def _render(self, frame: np.ndarray) -> Premultiplied:
        if frame.shape[2] == 4:
            alpha = frame[..., 3] * np.float32(1 / 255)
        else:
            alpha = np.ones(frame.shape[:2], np.float32)
        if self.mask is not None:
            alpha = alpha * self.mask
        premultiplied = np.empty(frame.shape[:2] + (4,), np.float32)
        premultiplied[..., :3] = frame[..., :3] * (alpha * np.float32(1 / 255))[..., None]
        premultiplied[..., 3] = alpha
        if self.layer.mirror:
            premultiplied = premultiplied[:, ::-1]
        scaled = resample(premultiplied, self.rows, self.cols)
        if self.cutout is not None:
            scaled *= self.cutout[..., None]
        return scaled[..., :3], scaled[..., 3]


def bilinear_taps(source: int, target: int) -> np.ndarray:
    """Source indices and weights of bilinear scaling from ``source`` to ``target`` samples:
    one record per output sample with fields ``first``, ``second`` (source indices) and ``weight``
    (of the second).

    Pixel centres are aligned (OpenCV's INTER_LINEAR convention, and the kernel's): output ``d``
    samples source position ``(d + 0.5) * source / target - 0.5``, clamped to the edge pixels.
    """
    position = np.clip((np.arange(target) + 0.5) * (source / target) - 0.5, 0.0, source - 1)
    first = np.floor(position).astype(np.intp)
    taps = np.empty(target, dtype=[("first", np.intp), ("second", np.intp), ("weight", np.float32)])
    taps["first"], taps["second"] = first, np.minimum(first + 1, source - 1)
    taps["weight"] = position - first
    return taps


def resample(image: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Bilinear resampling, rows first, then columns (separable: two gathers and two lerps)."""
    if len(rows) == image.shape[0] and np.array_equal(rows["first"], np.arange(len(rows))) \
            and not rows["weight"].any():
        tall = image  # same height and aligned: nothing to do vertically
    else:
        weight = rows["weight"][:, None, None]
        tall = image[rows["first"]] * (1 - weight) + image[rows["second"]] * weight
    if len(cols) == tall.shape[1] and np.array_equal(cols["first"], np.arange(len(cols))) \
            and not cols["weight"].any():
        return np.ascontiguousarray(tall)
    weight = cols["weight"][None, :, None]
    return tall[:, cols["first"]] * (1 - weight) + tall[:, cols["second"]] * weight
