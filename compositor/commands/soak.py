"""`layers soak`: render a churned session for a fixed number of frames and report what it cost.

    layers soak                                   # 300 frames (10 s) at 30 fps, 3 churn threads
    layers soak --frames 108000 --threads 4       # an hour at 30 fps
    layers soak --frames 108000 --immersive       # an hour of 1080p, 9 participants + overlay
    layers soak --segmentation                    # with the real person segmenter
    layers soak --app examples/camera-app         # a real Zoom App in headless Chromium, through the JS bridge

While the render loop composes into a null sink, worker threads call the SDK at random: draw and
clear images and participants, close and reopen the rendering context, switch cameras, virtual
background on and off, guests joining and leaving. The report gives frames, late frames, drops,
p99 latency, resident memory at start and end, threads and file descriptors at start and after
close, and PASS or FAIL (exit status 1 on FAIL). See `compositor/soak.py`.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from compositor.errors import LayersValueError


def register(subparsers) -> None:
    parser = subparsers.add_parser("soak", help="render a churned session for N frames; report leaks and drops",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=300, help="frames to render (default 300)")
    parser.add_argument("--fps", type=float, default=30.0, help="frame rate (default 30)")
    parser.add_argument("--threads", type=int, default=3, help="threads calling the SDK (default 3)")
    parser.add_argument("--immersive", action="store_true",
                        help="1080p immersive, 9 participants and a full-canvas overlay (default: camera 720p)")
    parser.add_argument("--segmentation", action="store_true",
                        help="the real person segmenter (default: a cheap fake mask)")
    parser.add_argument("--app", metavar="APP",
                        help="a Zoom App (directory, HTML file or URL) run in headless Chromium as the web view; "
                             "the churn also calls the SDK from its pages through the JS bridge (camera mode)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the churn's random calls (default 0)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the report as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from compositor.soak import SoakConfig, run_soak

    if args.frames < 1:
        raise LayersValueError(f"--frames must be at least 1, got {args.frames}")
    if not 0 < args.fps <= 240:
        raise LayersValueError(f"--fps must be in (0, 240], got {args.fps}")
    if not 0 <= args.threads <= 64:
        raise LayersValueError(f"--threads must be from 0 to 64, got {args.threads}")
    config = SoakConfig(frames=args.frames, fps=args.fps, threads=args.threads, immersive=args.immersive,
                        segmentation=args.segmentation, seed=args.seed, app=args.app)
    print(f"soak: {args.frames} frames at {args.fps:g} fps after a warm-up ...", file=sys.stderr, flush=True)
    report = run_soak(config)
    print(report.format_table())
    if args.json:
        data = {**asdict(report), "rejected": {str(k): v for k, v in report.rejected.items()},
                "bridge_rejected": dict(report.bridge_rejected),
                "problems": report.problems()}
        args.json.write_text(json.dumps(data, indent=2, default=str))
    return 1 if report.problems() else 0


def main(argv: list[str] | None = None) -> int:
    """`python -m compositor.commands.soak ...`: the same command while `layers` does not list it yet."""
    from compositor.cli import EXIT_USAGE
    from compositor.errors import LayersError

    parser = argparse.ArgumentParser(prog="layers")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["soak", *(sys.argv[1:] if argv is None else argv)])
    try:
        return args.func(args)
    except LayersError as error:
        print(f"layers soak: error: {error}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
