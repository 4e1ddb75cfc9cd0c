import argparse
import json

import pytest

from compositor import outputs
from compositor.errors import LayersError, LayersValueError
from compositor.outputs import add_output_arguments, open_outputs, output_specs, save_stats, uses_stdout
from compositor.sinks import FileSink, NullSink
from compositor.stats import StatsRecorder


def parse(*argv):
    parser = argparse.ArgumentParser()
    add_output_arguments(parser)
    return parser.parse_args(argv)


def test_options_become_sink_specs():
    args = parse("--out", "a.mp4", "--out", "b.png", "--virtual-camera", "--pipe", "--preview")
    assert output_specs(args) == ["a.mp4", "b.png", "virtualcam", "pipe:raw", "preview:8765"]
    args = parse("--virtual-camera", "/dev/video4", "--pipe", "y4m", "--preview", "9000")
    assert output_specs(args) == ["virtualcam:/dev/video4", "pipe:y4m", "preview:9000"]
    assert uses_stdout(args) and not uses_stdout(parse("--out", "a.mp4"))


def test_bad_pipe_format_is_a_usage_error(capsys):
    with pytest.raises(SystemExit):
        parse("--pipe", "png")
    assert "invalid choice: 'png'" in capsys.readouterr().err


def test_default_output_and_encoder_options(tmp_path):
    sinks = open_outputs(parse("--crf", "30", "--preset", "ultrafast"), (64, 48), 30,
                         default=str(tmp_path / "demo.mp4"))
    try:
        assert [type(s) for s in sinks] == [FileSink]
        assert (sinks[0]._crf, sinks[0]._preset) == (30, "ultrafast") and sinks[0].is_open
    finally:
        for sink in sinks:
            sink.close()
    assert open_outputs(parse(), (64, 48), 30) == []


def test_all_or_nothing_when_one_output_fails(monkeypatch):
    opened = []

    def fake_open(spec, size, fps, **options):
        if spec == "broken.xyz":
            raise LayersValueError("unknown output 'broken.xyz'")
        sink = NullSink()
        sink.open(size, fps)
        opened.append(sink)
        return sink

    monkeypatch.setattr(outputs, "open_sink", fake_open)
    with pytest.raises(LayersValueError, match="broken.xyz"):
        open_outputs(parse("--out", "null", "--out", "broken.xyz"), (64, 48), 30)
    assert len(opened) == 1 and not opened[0].is_open


def test_stats_file_is_written_and_checked_early(tmp_path):
    path = tmp_path / "stats.json"
    recorder = StatsRecorder(30)
    recorder.start()
    save_stats(parse("--stats", str(path)), recorder.snapshot())
    data = json.loads(path.read_text())
    assert data["frames"] == 0 and data["target_fps"] == 30
    with pytest.raises(LayersError, match="does not exist"):
        open_outputs(parse("--stats", str(tmp_path / "no" / "s.json")), (64, 48), 30)
