"""Person-segmentation cost per 720p frame, on one core: what `layers bench` reports for issue 6.

Stages, each timed on its own for every frame: `inference` (stretch to the model input, run the
model), `refinement` (guided-filter edge refinement and threshold ramp up to a frame-size uint8
mask), `total` (`Segmenter.segment`: both plus temporal smoothing), and `blur` (`blur_background`,
the other per-frame cost of a blurred virtual background).

Run alone: `python -m benchmarks.segmentation_bench [frames] [model]`.
"""

from __future__ import annotations

import json
import os
import sys
import time
from contextlib import contextmanager
from typing import Iterator

import cv2
import numpy as np

from compositor.segmentation import Segmenter, blur_background

SEED = 620611
WARMUP_FRAMES = 10
DISTINCT_FRAMES = 4  # frames cycled through, so no stage can reuse the previous frame's work


def camera_frames(width: int = 1280, height: int = 720, count: int = DISTINCT_FRAMES) -> list[np.ndarray]:
    """Webcam-like RGB frames from a fixed seed: a lit wall, a head-and-shoulders blob, sensor noise.

    The model and the refinement do the same work whatever the pixels are; the content only keeps
    the mask from being trivially empty.
    """
    rng = np.random.default_rng(SEED)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    wall = 90 + 80 * xx / width + 30 * yy / height
    head = ((xx - width / 2) / (0.11 * width)) ** 2 + ((yy - 0.38 * height) / (0.2 * height)) ** 2 < 1
    body = ((xx - width / 2) / (0.3 * width)) ** 2 + ((yy - 1.05 * height) / (0.45 * height)) ** 2 < 1
    base = np.repeat(wall[..., None], 3, axis=2)
    base[head] = (205, 160, 130)
    base[body] = (40, 60, 120)
    frames = []
    for _ in range(count):
        noisy = base + rng.normal(0, 3, base.shape)
        frames.append(np.clip(noisy, 0, 255).astype(np.uint8))
    return frames


@contextmanager
def one_core() -> Iterator[None]:
    """Pin this process to one CPU and OpenCV to one thread, restoring both afterwards."""
    threads = cv2.getNumThreads()
    affinity = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    cv2.setNumThreads(1)
    if affinity:
        os.sched_setaffinity(0, {min(affinity)})
    try:
        yield
    finally:
        cv2.setNumThreads(threads)
        if affinity:
            os.sched_setaffinity(0, affinity)


def _stats(seconds: list[float]) -> dict[str, float]:
    ms = np.asarray(seconds) * 1e3
    return {"median": round(float(np.median(ms)), 3), "p99": round(float(np.percentile(ms, 99)), 3)}


def run(frames: int = 200, model: str = "landscape", width: int = 1280, height: int = 720) -> dict:
    """Time each stage over `frames` frames (after a warm-up) on one core; milliseconds per frame.

    Returns {"model", "backend", "frame", "frames", "threads", "inference_ms", "refinement_ms",
    "total_ms", "blur_ms"}, each *_ms a {"median", "p99"} dict.
    """
    images = camera_frames(width, height)
    timings: dict[str, list[float]] = {"inference": [], "refinement": [], "total": [], "blur": []}
    blurred = np.empty_like(images[0])
    with one_core():
        seg = Segmenter(model, num_threads=1)
        for i in range(WARMUP_FRAMES + frames):
            rgb = images[i % len(images)]
            t0 = time.perf_counter()
            prob = seg.infer(rgb)
            t1 = time.perf_counter()
            seg.refine(prob, rgb)
            t2 = time.perf_counter()
            seg.segment(rgb)
            t3 = time.perf_counter()
            blur_background(rgb, blurred)
            t4 = time.perf_counter()
            if i >= WARMUP_FRAMES:
                for stage, seconds in zip(timings, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
                    timings[stage].append(seconds)
    return {
        "model": model, "backend": seg.backend, "frame": f"{width}x{height}", "frames": frames,
        "threads": 1, **{f"{stage}_ms": _stats(values) for stage, values in timings.items()},
    }


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    print(json.dumps(run(count, *sys.argv[2:3]), indent=2))
