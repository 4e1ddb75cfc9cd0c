"""Frame timing and the statistics of a render run: what a person running for an hour wants to know.

Every composed frame carries a `FrameMeta` (its capture timestamp, when composing started and
ended); every sink reports when it finished writing it. `StatsRecorder` turns those timestamps
into counters and latency distributions, and `RenderStats` is the immutable snapshot the API,
`--stats FILE.json` and the end-of-run table read.

All timestamps are `time.monotonic()` seconds, the clock cameras stamp their frames with.
Latency percentiles come from a fixed-size uniform reservoir per stage, so an hour-long run
stays a few hundred kilobytes while p50/p95/p99 still describe the whole run; count, mean and
max are exact.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

import numpy as np

# Samples kept per latency stage. 4096 uniform samples put p99 within about +-0.3 percentile
# points of the true value, whatever the run length.
RESERVOIR_SIZE = 4096

# Weight of the newest frame interval in the smoothed fps (pyvirtualcam's FPSCounter uses 0.2).
FPS_EMA_ALPHA = 0.2

# Stage names, in pipeline order. Per-sink stages live under each sink.
CAPTURE_TO_COMPOSE_START = "capture_to_compose_start"
COMPOSE = "compose"
CAPTURE_TO_COMPOSED = "capture_to_composed"
COMPOSE_TO_WRITTEN = "compose_to_written"
CAPTURE_TO_WRITTEN = "capture_to_written"


@dataclass(frozen=True)
class FrameMeta:
    """Timing of one composed view of one frame, handed to every sink with the pixels.

    `index` counts composed frames from 0; `due` is when the schedule wanted the frame (file sinks
    derive timestamps from it, so skipped or dropped frames keep real-time spacing); `capture` is
    the camera frame's timestamp, None when the frame shows no camera.
    """

    index: int
    view: str
    due: float
    compose_start: float
    compose_end: float
    capture: float | None = None


@dataclass(frozen=True)
class Distribution:
    """Latency of one stage, in milliseconds."""

    count: int
    mean: float
    p50: float
    p95: float
    p99: float
    max: float

    def to_dict(self) -> dict:
        """JSON-ready; a stage with no samples has None values (strict JSON has no NaN)."""
        values = (self.mean, self.p50, self.p95, self.p99, self.max) if self.count else (None,) * 5
        return {"count": self.count, **dict(zip(("mean", "p50", "p95", "p99", "max"), values))}


EMPTY = Distribution(0, float("nan"), float("nan"), float("nan"), float("nan"), float("nan"))


class LatencyReservoir:
    """Exact count/mean/max plus a uniform sample (Vitter's algorithm R) for percentiles."""

    def __init__(self, size: int = RESERVOIR_SIZE, seed: int = 0):
        self._samples = np.empty(size, dtype=np.float64)
        self._random = random.Random(seed)
        self.count = 0
        self._total = 0.0
        self._max = float("-inf")

    def add(self, seconds: float) -> None:
        size = len(self._samples)
        if self.count < size:
            self._samples[self.count] = seconds
        else:
            slot = self._random.randrange(self.count + 1)
            if slot < size:
                self._samples[slot] = seconds
        self.count += 1
        self._total += seconds
        self._max = max(self._max, seconds)

    def distribution(self) -> Distribution:
        if not self.count:
            return EMPTY
        kept = self._samples[: min(self.count, len(self._samples))]
        p50, p95, p99 = np.percentile(kept, (50, 95, 99)) * 1000.0
        return Distribution(self.count, self._total / self.count * 1000.0, float(p50), float(p95),
                            float(p99), self._max * 1000.0)


@dataclass(frozen=True)
class SinkStats:
    """Counters and latencies of one output."""

    description: str
    written: int
    dropped: int
    errors: int
    error: str | None
    latency: dict[str, Distribution]

    def to_dict(self) -> dict:
        return {"description": self.description, "written": self.written, "dropped": self.dropped,
                "errors": self.errors, "error": self.error,
                "latency_ms": {stage: d.to_dict() for stage, d in self.latency.items()}}


@dataclass(frozen=True)
class RenderStats:
    """A consistent snapshot of a render run.

    `busy_ratio` is compose time over frame budget (0.25 = the render thread composes for a
    quarter of each frame interval); `cpu_percent` is the whole process, 100 = one core.
    """

    frames: int
    late_frames: int
    elapsed_s: float
    fps: float
    fps_ema: float
    target_fps: float
    busy_ratio: float
    cpu_percent: float
    latency: dict[str, Distribution]
    sinks: dict[str, SinkStats] = field(default_factory=dict)

    @property
    def dropped(self) -> int:
        return sum(s.dropped for s in self.sinks.values())

    def to_dict(self) -> dict:
        """Plain JSON-ready data, what `--stats FILE.json` holds."""
        return {"frames": self.frames, "late_frames": self.late_frames, "dropped": self.dropped,
                "elapsed_s": self.elapsed_s, "fps": self.fps, "fps_ema": self.fps_ema,
                "target_fps": self.target_fps, "busy_ratio": self.busy_ratio,
                "cpu_percent": self.cpu_percent,
                "latency_ms": {stage: d.to_dict() for stage, d in self.latency.items()},
                "sinks": {name: s.to_dict() for name, s in self.sinks.items()}}

    def format_table(self) -> str:
        """The human summary printed at the end of a run."""
        lines = [
            f"frames {self.frames} in {self.elapsed_s:.1f} s: {self.fps:.1f} fps "
            f"(target {self.target_fps:g}), late {self.late_frames}, dropped {self.dropped}",
            f"render thread busy {self.busy_ratio:.0%} of the frame budget, "
            f"process CPU {self.cpu_percent:.0f}% of one core",
            f"{'latency (ms)':<40}{'count':>7}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}",
        ]
        rows = list(self.latency.items())
        for name, sink in self.sinks.items():
            rows += [(f"{name}: {stage}", d) for stage, d in sink.latency.items()]
        for label, d in rows:
            lines.append(f"{label:<40}{d.count:>7}{d.p50:>8.1f}{d.p95:>8.1f}{d.p99:>8.1f}{d.max:>8.1f}")
        for name, sink in self.sinks.items():
            status = f"FAILED: {sink.error}" if sink.error else "ok"
            lines.append(f"output {name} ({sink.description}): written {sink.written}, "
                         f"dropped {sink.dropped}, {status}")
        return "\n".join(lines)


class _SinkCounters:
    def __init__(self, description: str):
        self.description = description
        self.written = self.dropped = self.errors = 0
        self.error: str | None = None
        self.latency = {COMPOSE_TO_WRITTEN: LatencyReservoir(), CAPTURE_TO_WRITTEN: LatencyReservoir()}


class StatsRecorder:
    """Collects timings from the render thread and the sink threads; `snapshot()` reads them.

    One lock guards everything: each record is a handful of additions, far below the cost of
    contention at 30 frames per second.
    """

    def __init__(self, target_fps: float, clock=time.monotonic, cpu_clock=time.process_time):
        self._lock = threading.Lock()
        self._clock, self._cpu_clock = clock, cpu_clock
        self._target_fps = target_fps
        self._frames = self._late = 0
        self._compose_total = self._budget_total = 0.0
        self._last_start: float | None = None
        self._ema_interval: float | None = None
        self._latency = {stage: LatencyReservoir()
                         for stage in (CAPTURE_TO_COMPOSE_START, COMPOSE, CAPTURE_TO_COMPOSED)}
        self._sinks: dict[str, _SinkCounters] = {}
        self._started = self._stopped = None
        self._cpu_started = self._cpu_stopped = None

    def start(self) -> None:
        """Mark the start of rendering (again after a stop: elapsed time and CPU add up)."""
        with self._lock:
            now, cpu = self._clock(), self._cpu_clock()
            if self._started is None:
                self._started, self._cpu_started = now, cpu
            else:  # resume: shift the origin so the paused time does not count
                self._started += now - self._stopped
                self._cpu_started += cpu - self._cpu_stopped
            self._stopped = self._cpu_stopped = None
            self._last_start = None

    def stop(self) -> None:
        with self._lock:
            if self._started is not None and self._stopped is None:
                self._stopped, self._cpu_stopped = self._clock(), self._cpu_clock()

    def set_target_fps(self, fps: float) -> None:
        with self._lock:
            self._target_fps = fps

    def add_sink(self, name: str, description: str) -> None:
        with self._lock:
            self._sinks.setdefault(name, _SinkCounters(description))

    def record_frame(self, metas: list[FrameMeta], late: int = 0) -> None:
        """One frame: the views composed for it (compose time is their sum) and slots skipped."""
        with self._lock:
            start = metas[0].compose_start
            if self._last_start is not None:
                interval = start - self._last_start
                self._ema_interval = interval if self._ema_interval is None else (
                    (1 - FPS_EMA_ALPHA) * self._ema_interval + FPS_EMA_ALPHA * interval)
            self._last_start = start
            compose = sum(m.compose_end - m.compose_start for m in metas)
            self._frames += 1
            self._late += late
            self._compose_total += compose
            self._budget_total += 1.0 / self._target_fps
            self._latency[COMPOSE].add(compose)
            for meta in metas:
                if meta.capture is not None:
                    self._latency[CAPTURE_TO_COMPOSE_START].add(meta.compose_start - meta.capture)
                    self._latency[CAPTURE_TO_COMPOSED].add(meta.compose_end - meta.capture)

    def record_written(self, sink: str, meta: FrameMeta, written: float) -> None:
        with self._lock:
            counters = self._sinks[sink]
            counters.written += 1
            counters.latency[COMPOSE_TO_WRITTEN].add(written - meta.compose_end)
            if meta.capture is not None:
                counters.latency[CAPTURE_TO_WRITTEN].add(written - meta.capture)

    def record_dropped(self, sink: str) -> None:
        with self._lock:
            self._sinks[sink].dropped += 1

    def record_error(self, sink: str, message: str) -> None:
        with self._lock:
            counters = self._sinks[sink]
            counters.errors += 1
            counters.error = counters.error or message

    def snapshot(self) -> RenderStats:
        with self._lock:
            now = self._stopped if self._stopped is not None else self._clock()
            cpu_now = self._cpu_stopped if self._cpu_stopped is not None else self._cpu_clock()
            elapsed = now - self._started if self._started is not None else 0.0
            cpu = cpu_now - self._cpu_started if self._cpu_started is not None else 0.0
            return RenderStats(
                frames=self._frames,
                late_frames=self._late,
                elapsed_s=elapsed,
                fps=self._frames / elapsed if elapsed > 0 else 0.0,
                fps_ema=1.0 / self._ema_interval if self._ema_interval else 0.0,
                target_fps=self._target_fps,
                busy_ratio=self._compose_total / self._budget_total if self._budget_total else 0.0,
                cpu_percent=100.0 * cpu / elapsed if elapsed > 0 else 0.0,
                latency={stage: r.distribution() for stage, r in self._latency.items()},
                sinks={name: SinkStats(c.description, c.written, c.dropped, c.errors, c.error,
                                       {stage: r.distribution() for stage, r in c.latency.items()})
                       for name, c in self._sinks.items()},
            )
