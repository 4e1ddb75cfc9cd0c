"""Our numba compose kernel (`native.compose`) as a contender, used the way the renderer uses it.

Once per scene: straight RGBA premultiplied (`native.premultiply`), every source and mask handed
to a `Composer` (which classifies RGBA sources and masks into run tables once), one params row
per layer. Per frame: each camera's frame ``i`` swapped in (`Composer.set_source`), then one
kernel call that mirrors, scales, masks and composites every layer in one pass over the canvas.
One thread runs the serial kernel; more run the row-band parallel one on that many threads.
The returned frame is the contender's own canvas, reused from frame to frame like the render
loop's pooled buffers (the harness reads each frame before asking for the next).
"""

from __future__ import annotations

from typing import Callable

import numba
import numpy as np

from benchmarks.scenes import BenchScene
from native.compose import Composer, layer_params
from native.premultiply import premultiply

NAME = "layers"


def available() -> str | None:
    return None


def prepare(scene: BenchScene, threads: int) -> Callable[[int], np.ndarray]:
    parallel = threads > 1
    if parallel:
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    sources: list[np.ndarray] = []
    masks: list[np.ndarray] = []
    params = []
    cameras: list[tuple[int, tuple[np.ndarray, ...]]] = []  # (source index, frames) per camera
    for layer in scene.layers:
        frames = tuple(_ingest(frame) for frame in layer.frames)
        index = len(sources)
        sources.append(frames[0])
        if layer.per_frame:
            cameras.append((index, frames))
        params.append(layer_params(index, (layer.x, layer.y, layer.width, layer.height),
                                   mirror=layer.mirror, source_mask=_add(masks, layer.mask),
                                   dest_mask=_add(masks, layer.cutout),
                                   source_shape=frames[0].shape))
    composer = Composer(sources, masks)
    params = np.array(params)
    out = np.empty((scene.height, scene.width, 3), np.uint8)

    def compose(index: int) -> np.ndarray:
        for source, frames in cameras:
            composer.set_source(source, frames[index % len(frames)])
        return composer.compose(out, params, background=(0, 0, 0), clear=True, parallel=parallel)

    return compose


def _ingest(frame: np.ndarray) -> np.ndarray:
    """RGB as it comes; straight RGBA premultiplied once, as the app's images are at ingest."""
    return premultiply(frame) if frame.shape[2] == 4 else np.ascontiguousarray(frame)


def _add(masks: list[np.ndarray], mask: np.ndarray | None) -> int:
    """Append a mask and return its index, or -1 for none."""
    if mask is None:
        return -1
    masks.append(np.ascontiguousarray(mask))
    return len(masks) - 1
