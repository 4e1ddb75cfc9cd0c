"""`layers app` end to end, and the web view benchmark `layers bench` calls."""

from __future__ import annotations

import argparse

import numpy as np
import pytest
from PIL import Image

from compositor.commands import app as app_command
from compositor.errors import LayersValueError
from tests.webview.conftest import EXAMPLE, need_example


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="layers")
    app_command.register(parser.add_subparsers())
    return parser.parse_args(["app", *argv])


def test_layers_app_records_what_camera_mode_composes(tmp_path, capsys):
    need_example()
    out = tmp_path / "last.png"
    args = parse(str(EXAMPLE), "--camera", "test:1280x720@30", "--seconds", "3", "--out", str(out))
    assert args.func(args) == 0
    frame = np.asarray(Image.open(out).convert("RGB"))
    assert frame.shape == (720, 1280, 3)
    assert tuple(frame[640, 900]) == (20, 60, 200)           # the app's lower third, from its own page
    assert tuple(frame[580, 1100]) == (220, 30, 30)          # the image the app drew
    report = capsys.readouterr().out
    assert "web view:" in report and "0 restarts" in report


def test_layers_app_names_a_bad_app_or_length(tmp_path):
    args = parse(str(tmp_path / "missing"), "--seconds", "1", "--out", "null")
    with pytest.raises(LayersValueError, match="missing"):
        args.func(args)
    args = parse(str(EXAMPLE), "--seconds", "-1")
    with pytest.raises(LayersValueError, match="--seconds"):
        args.func(args)


def test_webview_bench_reports_delivered_fps_and_render_cost():
    need_example()
    from benchmarks.webview_bench import format_report, run

    result = run(seconds=0.6)
    table = format_report(result).splitlines()
    assert len(table) == 5 and table[2].split()[0] == "static" and table[4].split()[-1] == "-"
    for phase in ("static", "animated", "no_browser"):
        assert result[phase]["fps"] > 0 and result[phase]["compose_ms_p50"] >= 0
    assert result["animated"]["webview_new_frame_fps"] > 0      # a moving box is damage on every tick
    assert result["no_browser"]["browser_cpu_percent"] is None
    assert result["browser"].startswith("HeadlessChrome/")
