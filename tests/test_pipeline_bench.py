"""The whole-pipeline benchmark (issue 5): a short real run, checking what it reports, not how fast."""

from __future__ import annotations

import argparse

import pytest

from benchmarks import pipeline_bench
from compositor.commands.bench import _wants_pipeline


@pytest.mark.slow
def test_pipeline_run_reports_every_figure_and_writes_frames():
    result = pipeline_bench.run(frames=20)

    assert result["frames"] == 20
    assert set(result) >= {"fps", "target_fps", "late_frames", "dropped", "compose_ms",
                           "capture_to_composed_ms", "busy_ratio", "cpu_percent", "sinks", "targets"}
    assert set(result["capture_to_composed_ms"]) == {"p50", "p99"}
    assert len(result["sinks"]) == 2                      # the null sink and the H.264 file
    for sink in result["sinks"].values():
        assert sink["written"] + sink["dropped"] == 20
        assert sink["written"] > 0
        assert set(sink["capture_to_written_ms"]) == {"p50", "p99"}
    assert len(result["targets"]) == 4 and all(isinstance(ok, bool) for ok in result["targets"].values())
    report = pipeline_bench.format_report(result)
    assert "capture -> composed" in report and ("PASS" in report or "FAIL" in report)


@pytest.mark.parametrize("scene, contenders, flag, expected", [
    (None, None, None, True),
    ("camera-720p", None, None, False),
    (None, "kernel", None, False),
    ("camera-720p", None, True, True),
    (None, None, False, False),
])
def test_pipeline_runs_by_default_only_for_the_full_bench(scene, contenders, flag, expected):
    args = argparse.Namespace(scene=scene, contenders=contenders, pipeline=flag)
    assert _wants_pipeline(args) is expected
