"""Runs the contenders on the reference scenes: per-frame median and p99 over many frames, on one
thread and on all cores, with the one-off cost (preparation and first call, which includes numba
compilation or a subprocess start) reported apart from the steady state.

Contenders are discovered as the modules of ``benchmarks.contenders`` (see its docstring for the
interface), so the numba kernel (``kernel.py``) joins the table as soon as it exists.
"""

from __future__ import annotations

import gc
import importlib
import os
import pkgutil
import time
from dataclasses import dataclass, field
from types import ModuleType
from typing import Callable, Iterable

import numpy as np

from benchmarks import contenders as contenders_package
from benchmarks.bandwidth import Floor, copy_bandwidth, floor
from benchmarks.scenes import ALL_SCENES, SCENES, BenchScene

DEFAULT_FRAMES = 200  # issue 2: "median and p99 compose time over at least 200 frames"
DEFAULT_WARMUP = 10  # frames run before timing: caches, thread pools and pipelines settle

# Table order: ours first, then the yardstick, then the others; unknown modules follow by name.
ORDER = ("kernel", "pillow", "opencv", "numpy", "ffmpeg", "gstreamer")
KERNEL = "kernel"
KERNEL_NAME = "layers"


@dataclass(frozen=True)
class Contender:
    """A discovered contender module and whether it can run here."""

    key: str  # module name: "pillow", "kernel", ...
    name: str  # the module's NAME, shown in the table
    module: ModuleType
    skipped: str | None  # None, or why it cannot run here
    threaded: bool

    def thread_counts(self) -> list[int]:
        """1 thread, and all cores when the contender has a thread setting and there is more than one."""
        cores = os.cpu_count() or 1
        return [1, cores] if self.threaded and cores > 1 else [1]


@dataclass(frozen=True)
class Measurement:
    """One contender on one scene with one thread count."""

    key: str
    name: str
    threads: int
    frames: int
    prepare_s: float  # prepare(): static layers converted, graphs built, processes started
    first_frame_s: float  # the first call: compilation, lazy initialisation, pipeline preroll
    median_ms: float
    p99_ms: float

    @property
    def label(self) -> str:
        return f"{self.name} ({self.threads} thread{'' if self.threads == 1 else 's'})"


@dataclass
class SceneResult:
    scene: str
    floor: Floor
    rows: list[Measurement] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # contender name -> reason

    def row(self, key: str, threads: int) -> Measurement | None:
        return next((row for row in self.rows if row.key == key and row.threads == threads), None)


def discover() -> list[Contender]:
    """Every contender module, in table order, each asked whether it can run here."""
    keys = [info.name for info in pkgutil.iter_modules(contenders_package.__path__)
            if not info.name.startswith("_")]
    keys.sort(key=lambda key: (ORDER.index(key) if key in ORDER else len(ORDER), key))
    found = []
    for key in keys:
        module = importlib.import_module(f"{contenders_package.__name__}.{key}")
        name = KERNEL_NAME if key == KERNEL else module.NAME
        found.append(Contender(key, name, module, module.available(), getattr(module, "THREADED", True)))
    return found


def measure(contender: Contender, scene: BenchScene, threads: int,
            frames: int = DEFAULT_FRAMES, warmup: int = DEFAULT_WARMUP) -> Measurement:
    """Time ``frames`` frames after ``warmup`` untimed ones (the first of which is timed apart)."""
    start = time.perf_counter()
    compose = contender.module.prepare(scene, threads)
    prepared = time.perf_counter()
    try:
        compose(0)
        first = time.perf_counter()
        for index in range(1, max(warmup, 1)):
            compose(index)
        times = _timed(compose, range(max(warmup, 1), max(warmup, 1) + frames))
    finally:
        close: Callable[[], None] | None = getattr(compose, "close", None)
        if close is not None:
            close()
    return Measurement(contender.key, contender.name, threads, frames, prepared - start, first - prepared,
                       float(np.median(times)) * 1e3, float(np.percentile(times, 99)) * 1e3)


def _timed(compose: Callable[[int], np.ndarray], indices: Iterable[int]) -> np.ndarray:
    """Seconds per call; the garbage collector waits, so its pauses do not land on a random frame."""
    times = []
    gc.collect()
    gc.disable()
    try:
        for index in indices:
            start = time.perf_counter()
            compose(index)
            times.append(time.perf_counter() - start)
    finally:
        gc.enable()
    return np.asarray(times)


def run(scene_names: Iterable[str] | None = None, contender_keys: Iterable[str] | None = None,
        frames: int = DEFAULT_FRAMES, warmup: int = DEFAULT_WARMUP, scale: float = 1.0,
        progress: Callable[[str], None] | None = None) -> list[SceneResult]:
    """Measure the chosen contenders (default: all) on the chosen scenes (default: both)."""
    chosen = discover()
    if contender_keys is not None:
        wanted = list(contender_keys)
        chosen = [contender for contender in chosen if contender.key in wanted]
    results = []
    for scene_name in scene_names or SCENES:
        scene = ALL_SCENES[scene_name](scale)
        result = SceneResult(scene_name, floor(scene, copy_bandwidth()))
        for contender in chosen:
            if contender.skipped:
                result.skipped[contender.name] = contender.skipped
                continue
            for threads in contender.thread_counts():
                if progress:
                    progress(f"{scene_name}: {contender.name} on {threads} thread(s)")
                result.rows.append(measure(contender, scene, threads, frames, warmup))
        results.append(result)
    return results


def contender_keys() -> list[str]:
    """The module names `--contenders` accepts."""
    return [info.name for info in pkgutil.iter_modules(contenders_package.__path__)
            if not info.name.startswith("_")]
