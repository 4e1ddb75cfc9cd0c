"""Output options shared by the `demo` and `run` commands, and opening what they ask for.

    parser = subparsers.add_parser("run", ...)
    add_output_arguments(parser)
    ...
    sinks = open_outputs(args, size=(1280, 720), fps=30, default="demo.mp4")
    with RenderLoop(compose, (1280, 720), 30, sinks) as loop:
        stats = loop.run(seconds=args.seconds)
    save_stats(args, stats)
    print(stats.format_table(), file=sys.stderr if uses_stdout(args) else sys.stdout)
"""

from __future__ import annotations

import argparse
import json
import os

from compositor.errors import LayersError, SinkError
from compositor.sinks import Sink, open_sink
from compositor.sinks.file import CONTAINERS, DEFAULT_CODEC, DEFAULT_PRESET
from compositor.sinks.pipe import PIPE_FORMATS
from compositor.sinks.preview import DEFAULT_PORT
from compositor.stats import RenderStats


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("outputs (any number at once)")
    group.add_argument(
        "--out", action="append", default=[], metavar="FILE",
        help="write to FILE: .mp4 .mkv .webm .ts .mov (video, playable even if killed), "
             ".y4m (raw), .png/.jpg (the last frame), or 'null' (discard, for benchmarks); repeatable")
    group.add_argument("--codec", help=f"video encoder for --out video files (default {DEFAULT_CODEC})")
    group.add_argument("--crf", type=int, help="quality for libx264/libx265/libvpx-vp9, lower is better "
                                               "(default 23 for x264)")
    group.add_argument("--preset", help=f"x264/x265 speed preset (default {DEFAULT_PRESET})")
    group.add_argument(
        "--virtual-camera", nargs="?", const="", default=None, metavar="DEVICE",
        help="send the stream to a virtual camera (Linux: a v4l2loopback device, e.g. /dev/video4; "
             "default: the first one found)")
    group.add_argument(
        "--pipe", nargs="?", const="raw", default=None, choices=PIPE_FORMATS,
        help="write frames to stdout: raw rgb24 (default) or y4m, for ffmpeg or another program")
    group.add_argument(
        "--preview", nargs="?", const=DEFAULT_PORT, default=None, type=int, metavar="PORT",
        help=f"live self-view in a browser at http://127.0.0.1:PORT/ (default port {DEFAULT_PORT})")
    group.add_argument("--stats", metavar="FILE.json",
                       help="write frame rate, drops and latency percentiles to FILE.json at the end")


def output_specs(args: argparse.Namespace) -> list[str]:
    """The sink specs the options name, in a stable order."""
    specs = list(args.out)
    if args.virtual_camera is not None:
        specs.append(f"virtualcam:{args.virtual_camera}" if args.virtual_camera else "virtualcam")
    if args.pipe is not None:
        specs.append(f"pipe:{args.pipe}")
    if args.preview is not None:
        specs.append(f"preview:{args.preview}")
    return specs


def uses_stdout(args: argparse.Namespace) -> bool:
    """True when video goes to stdout: progress and tables must then go to stderr."""
    return args.pipe is not None


def open_outputs(args: argparse.Namespace, size: tuple[int, int], fps: float,
                 default: str | None = None) -> list[Sink]:
    """Open every output the options name (or `default` when they name none).

    All or nothing: when one fails, those already opened are closed and the error raised, so a
    typo in the second output does not leave a half-started recording behind.
    """
    specs = output_specs(args) or ([default] if default else [])
    _check_stats_path(args.stats)
    encoder = {"codec": args.codec, "crf": args.crf, "preset": args.preset}
    sinks: list[Sink] = []
    try:
        for spec in specs:
            options = encoder if _is_video_file(spec) else {}
            sinks.append(open_sink(spec, size, fps, **options))
    except BaseException:
        for sink in sinks:
            sink.close()
        raise
    return sinks


def save_stats(args: argparse.Namespace, stats: RenderStats) -> None:
    """Write `--stats FILE.json` if it was asked for."""
    if not args.stats:
        return
    try:
        with open(args.stats, "w") as file:
            json.dump(stats.to_dict(), file, indent=2)
            file.write("\n")
    except OSError as error:
        raise SinkError(f"cannot write stats to {args.stats}: {error.strerror or error}") from error


def _is_video_file(spec: str) -> bool:
    return os.path.splitext(spec)[1].lower() in CONTAINERS


def _check_stats_path(path: str | None) -> None:
    """Fail before an hour-long run, not after it, when the stats file cannot be written."""
    if path and not os.path.isdir(os.path.dirname(os.path.abspath(path))):
        raise LayersError(f"cannot write stats to {path}: its directory does not exist")
