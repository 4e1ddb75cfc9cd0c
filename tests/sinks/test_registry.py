import numpy as np
import pytest

from compositor.errors import LayersValueError, SinkError
from compositor.sinks import (SINKS, FileSink, ImageSink, NullSink, PipeSink, PreviewSink, Sink,
                              VirtualCameraSink, Y4MSink, make_sink, open_sink)
from compositor.stats import FrameMeta


@pytest.mark.parametrize("spec, kind, view", [
    ("demo.mp4", FileSink, "stream"), ("x.MKV", FileSink, "stream"), ("x.ts", FileSink, "stream"),
    ("frame.png", ImageSink, "stream"), ("frame.jpg", ImageSink, "stream"), ("x.y4m", Y4MSink, "stream"),
    ("pipe", PipeSink, "stream"), ("pipe:y4m", PipeSink, "stream"), ("null", NullSink, "stream"),
    ("virtualcam", VirtualCameraSink, "stream"), ("virtualcam:/dev/video4", VirtualCameraSink, "stream"),
    ("preview", PreviewSink, "self"), ("preview:8080", PreviewSink, "self"),
])
def test_specs_name_the_right_sink_and_default_view(spec, kind, view):
    sink = make_sink(spec)
    assert type(sink) is kind and sink.view == view
    assert kind in SINKS.values()


def test_options_reach_the_sink():
    assert make_sink("pipe:y4m").fmt == "y4m"
    assert make_sink("virtualcam:/dev/video4").requested_device == "/dev/video4"
    assert make_sink("preview:8080").requested_port == 8080
    assert make_sink("a.mp4", codec="libx265").codec == "libx265"
    assert make_sink("preview", view="stream").view == "stream"


@pytest.mark.parametrize("spec, fragment", [
    ("movie.avi", "'movie.avi'"), ("preview:http", "'http'"), ("pipe:png", "'png'"),
])
def test_bad_specs_name_the_bad_value(spec, fragment):
    with pytest.raises(LayersValueError, match=fragment):
        make_sink(spec)


def test_bad_view_is_rejected():
    with pytest.raises(LayersValueError, match="'side'"):
        make_sink("null", view="side")


def test_open_sink_opens_and_null_counts(tmp_path):
    sink = open_sink("null", (32, 24), 30)
    assert sink.is_open and sink.describe() == "null: stream view, rgb24 32x24@30"
    sink.write(np.zeros((24, 32, 3), np.uint8), FrameMeta(0, "stream", 0, 0, 0))
    assert sink.frames == 1
    sink.close()
    with pytest.raises(SinkError, match="not open"):
        sink.write(np.zeros((24, 32, 3), np.uint8), FrameMeta(0, "stream", 0, 0, 0))


class Keeping(Sink):
    name = "keeping"

    def _write(self, frame, meta):
        self.last = frame.copy()


def test_frames_of_another_size_are_scaled_to_the_negotiated_one():
    sink = Keeping()
    sink.open((4, 2), 30)
    sink.write(np.full((4, 8, 3), 90, np.uint8), FrameMeta(0, "stream", 0, 0, 0))
    assert sink.last.shape == (2, 4, 3) and (sink.last == 90).all()
