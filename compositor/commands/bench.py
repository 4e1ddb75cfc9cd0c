"""`layers bench`: compose the reference scenes with every contender and print the comparison.

    layers bench                                  # both scenes, all contenders, 200 frames
    layers bench --scene camera-720p --frames 300 --contenders kernel,pillow,ffmpeg --json out.json
    layers bench --segmentation                   # also the person-segmentation cost (issue 6)
    layers bench --scene camera-720p --contenders kernel --no-pipeline --webview   # the web view layer

Prints per scene median and p99 per frame, the speed-up over Pillow, the distance to the
memory-bandwidth floor and the one-off (first call) cost, then issue 2's targets as PASS/FAIL.
Then the whole pipeline (issue 5): a file camera through the camera-720p scene into a null and an
H.264 file sink for 300 frames at 30 fps, with end-to-end latency, drops, CPU and PASS/FAIL. It
runs by default, unless --no-pipeline, or when --scene/--contenders narrow the run (then only
with --pipeline).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from compositor.errors import LayersValueError

# The benchmarks live next to the packages in the source tree, not in the installed wheel: make
# them importable when `layers` runs from a console script outside the checkout.
_CHECKOUT = Path(__file__).resolve().parents[2]
if (_CHECKOUT / "benchmarks" / "harness.py").exists() and str(_CHECKOUT) not in sys.path:
    sys.path.append(str(_CHECKOUT))


def register(subparsers) -> None:
    parser = subparsers.add_parser("bench", help="race the compositor against Pillow, OpenCV, FFmpeg, ...",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scene", help="camera-720p or immersive-1080p (default: both), or "
                                        "immersive-1080p-person (participants in person cutouts)")
    parser.add_argument("--frames", type=int, default=200, help="timed frames per row (default 200)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed frames before timing (default 10)")
    parser.add_argument("--contenders", help="comma-separated module names, e.g. kernel,pillow (default: all)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="shrink the scenes for a quick smoke run; targets only mean something at 1")
    parser.add_argument("--pipeline", action=argparse.BooleanOptionalAction, default=None,
                        help="run the whole-pipeline latency benchmark (default: on unless --scene or "
                             "--contenders narrow the run)")
    parser.add_argument("--segmentation", action="store_true",
                        help="also time person segmentation and run the pipeline with a virtual background")
    parser.add_argument("--webview", action="store_true",
                        help="also measure the web view layer of `layers app` (needs chromium-headless-shell): "
                             "its delivered fps and its cost on the render loop")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the measurements as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from benchmarks import harness, report
    from benchmarks.scenes import ALL_SCENES, SCENES

    scenes = _scenes(args.scene, SCENES, ALL_SCENES)
    contenders = _contenders(args.contenders, harness.contender_keys())
    if args.frames < 1:
        raise LayersValueError(f"--frames must be at least 1, got {args.frames}")
    if args.warmup < 1:
        raise LayersValueError(f"--warmup must be at least 1 (the first call is timed apart), got {args.warmup}")
    if not 0 < args.scale <= 1:
        raise LayersValueError(f"--scale must be in (0, 1], got {args.scale}")
    results = harness.run(scenes, contenders, args.frames, args.warmup, args.scale,
                          progress=lambda line: print(f"  measuring {line}", file=sys.stderr, flush=True))
    report.print_report(results)
    extra = _pipeline_and_segmentation(args)
    if args.json:
        payload = [{**asdict(result), "floor_ms": result.floor.ms} for result in results]
        args.json.write_text(json.dumps({"scale": args.scale, "scenes": payload,
                                         "targets": report.check_targets(results), **extra}, indent=2))
    return 0


def _wants_pipeline(args: argparse.Namespace) -> bool:
    """On by default for the full run; a run narrowed by --scene/--contenders asks for it."""
    pipeline = getattr(args, "pipeline", None)
    if pipeline is not None:
        return pipeline
    return args.scene is None and args.contenders is None


def _pipeline_and_segmentation(args: argparse.Namespace) -> dict:
    """Issue 5's pipeline run and, with --segmentation, issue 6's segmentation figures; printed and returned."""
    extra: dict = {}
    segmentation = getattr(args, "segmentation", False)
    if segmentation:
        from benchmarks import segmentation_bench

        print("  measuring person segmentation", file=sys.stderr, flush=True)
        extra["segmentation"] = segmentation_bench.run(frames=100)
        print("\nsegmentation per 720p frame, one core (ms, median / p99):")
        for stage in ("inference", "refinement", "total", "blur"):
            ms = extra["segmentation"][f"{stage}_ms"]
            print(f"  {stage:<12}{ms['median']:>8.1f}{ms['p99']:>8.1f}")
    if _wants_pipeline(args):
        from benchmarks import pipeline_bench

        runs = [False, True] if segmentation else [False]
        extra["pipeline"] = []
        for with_segmentation in runs:
            print("  measuring the whole pipeline" + (" with segmentation" if with_segmentation else ""),
                  file=sys.stderr, flush=True)
            result = pipeline_bench.run(segmentation=with_segmentation)
            print("\n" + pipeline_bench.format_report(result))
            extra["pipeline"].append(result)
    if getattr(args, "webview", False):
        from benchmarks import webview_bench

        print("  measuring the web view layer (headless Chromium)", file=sys.stderr, flush=True)
        extra["webview"] = webview_bench.run(seconds=5.0)
        print("\n" + webview_bench.format_report(extra["webview"]))
    return extra


def _scenes(name: str | None, default, known) -> list[str]:
    if name is None:
        return list(default)
    if name not in known:
        raise LayersValueError(f"unknown scene {name!r}: choose from {', '.join(known)}")
    return [name]


def _contenders(spec: str | None, known: list[str]) -> list[str] | None:
    if spec is None:
        return None
    names = [name.strip() for name in spec.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        raise LayersValueError(f"unknown contender(s) {', '.join(unknown) or repr(spec)}: "
                               f"choose from {', '.join(known)}")
    return names
