"""pytest-benchmark suite: every available contender on every reference scene, 1 thread and all cores.

    .venv/bin/pytest benchmarks --benchmark-enable

Not part of the normal test run (pytest's testpaths is `tests/`, and pyproject disables the
benchmark fixture unless `--benchmark-enable` is given). Scenes come from fixed seeds
(`benchmarks/scenes.py`), so numbers compare across machines and commits.
"""

from __future__ import annotations

import functools
import itertools

import pytest

from benchmarks.harness import discover
from benchmarks.scenes import SCENES, BenchScene

CONTENDERS = discover()
GRID = [pytest.param(scene, contender, threads, id=f"{scene}-{contender.key}-{threads}t")
        for scene in SCENES for contender in CONTENDERS for threads in contender.thread_counts()]


@functools.cache
def scene(name: str) -> BenchScene:
    return SCENES[name]()


@pytest.mark.parametrize(("scene_name", "contender", "threads"), GRID)
def test_compose(benchmark, scene_name, contender, threads):
    if contender.skipped:
        pytest.skip(contender.skipped)
    compose = contender.module.prepare(scene(scene_name), threads)
    frames = itertools.count()
    try:
        compose(next(frames))  # first call (compilation, preroll) stays out of the statistics
        out = benchmark(lambda: compose(next(frames)))
    finally:
        close = getattr(compose, "close", None)
        if close is not None:
            close()
    assert out.shape == (scene(scene_name).height, scene(scene_name).width, 3)
