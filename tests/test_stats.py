import json
import math

import numpy as np
import pytest

from compositor.stats import (CAPTURE_TO_COMPOSE_START, CAPTURE_TO_COMPOSED, CAPTURE_TO_WRITTEN, COMPOSE,
                              COMPOSE_TO_WRITTEN, FrameMeta, LatencyReservoir, StatsRecorder)


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_reservoir_percentiles_of_a_known_distribution():
    reservoir = LatencyReservoir()
    for ms in range(1, 1001):  # 1..1000 ms
        reservoir.add(ms / 1000)
    d = reservoir.distribution()
    assert d.count == 1000
    assert d.p50 == pytest.approx(500.5, abs=0.01)
    assert d.p95 == pytest.approx(950.05, abs=0.01)
    assert d.p99 == pytest.approx(990.01, abs=0.01)
    assert d.max == pytest.approx(1000.0)
    assert d.mean == pytest.approx(500.5)


def test_reservoir_stays_bounded_and_representative_over_a_long_run():
    reservoir = LatencyReservoir(size=4096)
    values = np.random.default_rng(7).uniform(0.0, 0.1, 108_000)  # an hour at 30 fps
    for value in values:
        reservoir.add(float(value))
    d = reservoir.distribution()
    assert reservoir._samples.size == 4096
    assert d.count == 108_000
    assert d.p50 == pytest.approx(50.0, abs=2.5)
    assert d.p99 == pytest.approx(99.0, abs=0.5)
    assert d.max == pytest.approx(values.max() * 1000)


def test_empty_stage_is_nan_in_the_api_and_null_in_json():
    d = LatencyReservoir().distribution()
    assert d.count == 0 and math.isnan(d.p50)
    assert d.to_dict() == {"count": 0, "mean": None, "p50": None, "p95": None, "p99": None, "max": None}


def make_recorder():
    clock, cpu = FakeClock(), FakeClock()
    recorder = StatsRecorder(target_fps=10.0, clock=clock, cpu_clock=cpu)
    return recorder, clock, cpu


def test_recorder_counts_latencies_fps_busy_and_cpu():
    recorder, clock, cpu = make_recorder()
    recorder.add_sink("out.mp4", "out.mp4: stream view")
    recorder.start()
    for i in range(10):
        start = 100.0 + i * 0.1
        meta = FrameMeta(i, "stream", due=start, compose_start=start, compose_end=start + 0.02,
                         capture=start - 0.01)
        recorder.record_frame([meta], late=1 if i == 5 else 0)
        recorder.record_written("out.mp4", meta, start + 0.05)
    recorder.record_dropped("out.mp4")
    clock.now, cpu.now = 101.0, 100.5
    recorder.stop()
    clock.now = 500.0  # after stop, elapsed time is frozen
    stats = recorder.snapshot()
    assert stats.frames == 10 and stats.late_frames == 1 and stats.dropped == 1
    assert stats.elapsed_s == pytest.approx(1.0)
    assert stats.fps == pytest.approx(10.0)
    assert stats.fps_ema == pytest.approx(10.0)
    assert stats.busy_ratio == pytest.approx(0.2)  # 20 ms of compose per 100 ms budget
    assert stats.cpu_percent == pytest.approx(50.0)
    assert stats.latency[CAPTURE_TO_COMPOSE_START].p50 == pytest.approx(10.0)
    assert stats.latency[COMPOSE].p99 == pytest.approx(20.0)
    assert stats.latency[CAPTURE_TO_COMPOSED].max == pytest.approx(30.0)
    sink = stats.sinks["out.mp4"]
    assert sink.written == 10 and sink.dropped == 1 and sink.error is None
    assert sink.latency[COMPOSE_TO_WRITTEN].p50 == pytest.approx(30.0)
    assert sink.latency[CAPTURE_TO_WRITTEN].p95 == pytest.approx(60.0)


def test_frame_without_camera_has_no_capture_latency():
    recorder, clock, _ = make_recorder()
    recorder.start()
    recorder.record_frame([FrameMeta(0, "stream", 100.0, 100.0, 100.01)])
    stats = recorder.snapshot()
    assert stats.latency[COMPOSE].count == 1
    assert stats.latency[CAPTURE_TO_COMPOSE_START].count == 0


def test_error_is_kept_once_and_reported_in_dict_and_table():
    recorder, clock, _ = make_recorder()
    recorder.add_sink("pipe:raw", "pipe:raw: stream view")
    recorder.start()
    recorder.record_error("pipe:raw", "the reading program closed the pipe")
    recorder.record_error("pipe:raw", "a later error")
    clock.now += 1
    stats = recorder.snapshot()
    data = json.loads(json.dumps(stats.to_dict()))  # strictly JSON-serialisable
    assert data["sinks"]["pipe:raw"]["errors"] == 2
    assert data["sinks"]["pipe:raw"]["error"] == "the reading program closed the pipe"
    table = stats.format_table()
    assert "FAILED: the reading program closed the pipe" in table
    assert "capture_to_compose_start" in table


def test_pause_does_not_count_towards_elapsed_time():
    recorder, clock, _ = make_recorder()
    recorder.start()
    clock.now += 2
    recorder.stop()
    clock.now += 50
    recorder.start()
    clock.now += 1
    assert recorder.snapshot().elapsed_s == pytest.approx(3.0)
