"""The memory-bandwidth floor: no compositor can beat reading its visible inputs and writing its
output once at the speed this machine copies memory.

Bandwidth is measured in the same run as the contenders (a large ``np.copyto``, best of several,
counting bytes read plus bytes written), so a loaded or throttled machine lowers both alike.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from benchmarks.scenes import BenchScene, visible

COPY_BYTES = 64 << 20  # far larger than any last-level cache, so the copy runs from DRAM
COPY_REPEATS = 7


@dataclass(frozen=True)
class Floor:
    """The least memory traffic one frame of a scene needs, and the time it takes at ``bandwidth``."""

    scene: str
    bytes_per_frame: int
    bandwidth: float  # bytes per second, read + write

    @property
    def ms(self) -> float:
        return self.bytes_per_frame / self.bandwidth * 1e3


def copy_bandwidth(nbytes: int = COPY_BYTES, repeats: int = COPY_REPEATS) -> float:
    """Bytes moved per second (read + written) by the best of ``repeats`` large single-thread copies."""
    source = np.ones(nbytes, np.uint8)
    target = np.zeros(nbytes, np.uint8)  # touched, so page faults stay out of the timing
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        np.copyto(target, source)
        best = min(best, time.perf_counter() - start)
    return 2 * nbytes / best


def frame_bytes(scene: BenchScene) -> int:
    """Bytes one frame must touch: every layer's on-canvas source pixels (with its mask and cutout)
    read once, plus the RGB output written once.

    A scaled layer counts its whole source for the visible fraction of its rect: bilinear sampling
    of a 2x downscale still touches nearly every source row. Occlusion is not subtracted: the
    scenes' opaque layers are all masked, so little is hidden outright.
    """
    total = scene.width * scene.height * 3
    for layer in scene.layers:
        area = visible(layer, scene)
        if area is None:
            continue
        fraction = area.area / (layer.width * layer.height)
        source = layer.frames[0].nbytes + (0 if layer.mask is None else layer.mask.nbytes)
        total += round(source * fraction)
        if layer.cutout is not None:
            total += area.area  # one byte per visible destination pixel
    return total


def floor(scene: BenchScene, bandwidth: float) -> Floor:
    return Floor(scene.name, frame_bytes(scene), bandwidth)
