"""Outputs of the render loop: one small protocol (`Sink`), one registry (`SINKS`, `open_sink`).

A spec string names an output, as the CLI writes it:

    demo.mp4 | x.mkv | x.webm | x.ts | x.mov    encoded video (FileSink)
    frame.png | frame.jpg                       one still, the last frame (ImageSink)
    x.y4m                                       raw YUV4MPEG2 (Y4MSink)
    pipe | pipe:raw | pipe:y4m                  frames to stdout (PipeSink)
    virtualcam | virtualcam:/dev/video4         a virtual camera (VirtualCameraSink)
    preview | preview:8080                      MJPEG in the browser (PreviewSink)
    null                                        discards frames, for benchmarks (NullSink)
"""

from __future__ import annotations

import os

from compositor.errors import LayersValueError
from compositor.sinks.base import VIEWS, NullSink, Sink
from compositor.sinks.file import CONTAINERS, FileSink
from compositor.sinks.image import IMAGE_EXTENSIONS, ImageSink
from compositor.sinks.pipe import PipeSink
from compositor.sinks.preview import PreviewSink
from compositor.sinks.virtualcam import VirtualCameraSink
from compositor.sinks.y4m import Y4MSink

SINKS: dict[str, type[Sink]] = {
    "file": FileSink,
    "image": ImageSink,
    "y4m": Y4MSink,
    "pipe": PipeSink,
    "virtualcam": VirtualCameraSink,
    "preview": PreviewSink,
    "null": NullSink,
}

__all__ = ["SINKS", "VIEWS", "Sink", "NullSink", "FileSink", "ImageSink", "Y4MSink", "PipeSink",
           "VirtualCameraSink", "PreviewSink", "make_sink", "open_sink"]


def make_sink(spec: str, *, view: str | None = None, codec: str | None = None, crf: int | None = None,
              preset: str | None = None) -> Sink:
    """The (unopened) sink a spec names; `view` overrides the sink's default view."""
    kind, _, argument = spec.partition(":")
    views = {"view": view} if view else {}
    if kind == "null" and not argument:
        return NullSink(**views)
    if kind == "pipe":
        return PipeSink(argument or "raw", **views)
    if kind == "virtualcam":
        return VirtualCameraSink(argument or None, **views)
    if kind == "preview":
        return PreviewSink(_port(argument), **views) if argument else PreviewSink(**views)
    extension = os.path.splitext(spec)[1].lower()
    if extension in CONTAINERS:
        options = {name: value for name, value in (("codec", codec), ("crf", crf), ("preset", preset))
                   if value is not None}
        return FileSink(spec, **options, **views)
    if extension in IMAGE_EXTENSIONS:
        return ImageSink(spec, **views)
    if extension == ".y4m":
        return Y4MSink(spec, **views)
    known = ", ".join([*CONTAINERS, *IMAGE_EXTENSIONS, ".y4m"])
    raise LayersValueError(f"unknown output {spec!r}: expected a file ending in {known}, "
                           "or null, pipe[:raw|y4m], virtualcam[:DEVICE], preview[:PORT]")


def open_sink(spec: str, size: tuple[int, int], fps: float, **options) -> Sink:
    """Make the sink a spec names and open it, so a bad output fails before rendering starts."""
    sink = make_sink(spec, **options)
    sink.open(size, fps)
    return sink


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise LayersValueError(f"bad preview port {text!r}: expected a number from 0 to 65535")
    return int(text)
