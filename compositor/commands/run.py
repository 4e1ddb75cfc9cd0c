"""`layers run`: replay a JSON script of zoomSdk calls and record what it composes.

    layers run examples/camera-mode.json --out last.png
    layers run examples/immersive.json --camera test:1280x720@30 --out immersive.mp4 --frames 150
    layers run my-script.json --camera /dev/video0 --virtual-camera

The script format is described in `compositor/sdk/script.py` (a list of {"method", "params"}
steps, optional "at" seconds). Steps run in order while the render loop records the outputs; a
step that fails stops the run and reports its index, method and ZoomApiError code. With no
output option the steps run and their results are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from compositor.errors import LayersError, LayersValueError
from compositor.layout import RESOLUTIONS

log = logging.getLogger(__name__)

DEFAULT_FPS = 30.0


def register(subparsers) -> None:
    from compositor.commands.background import add_virtual_background_argument
    from compositor.outputs import add_output_arguments

    parser = subparsers.add_parser("run", help="replay a JSON script of zoomSdk calls", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("script", type=Path, help="the JSON script (see examples/)")
    parser.add_argument("--camera", metavar="ID|PATH",
                        help="the local camera: an id from `layers cameras`, an image or video path, "
                             "or a spec such as test:1280x720@30 (default: the script's, else 'test')")
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--frames", type=int, metavar="N",
                        help="render N frames (default: until the last step has run)")
    length.add_argument("--seconds", type=float, metavar="S", help="render S seconds (frames = S x fps)")
    parser.add_argument("--resolution", choices=sorted(RESOLUTIONS),
                        help="the canvas: camera mode's renderTarget and the immersive window "
                             "(default: the script's, else 1280x720 camera / 1920x1080 immersive)")
    parser.add_argument("--fps", type=float, default=DEFAULT_FPS, help=f"output frame rate (default {DEFAULT_FPS:g})")
    add_virtual_background_argument(parser)
    add_output_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from compositor.commands.background import apply_virtual_background, make_segmenter
    from compositor.outputs import open_outputs, uses_stdout
    from compositor.sdk.script import build_sdk, first_canvas, load_script, needs_segmenter

    if args.seconds is not None:
        if not args.seconds > 0:
            raise LayersValueError(f"--seconds must be positive, got {args.seconds}")
        args.frames = max(1, round(args.seconds * args.fps))
    if args.frames is not None and args.frames < 1:
        raise LayersValueError(f"--frames must be at least 1, got {args.frames}")
    script = load_script(args.script)
    if args.resolution:
        width, height = RESOLUTIONS[args.resolution]
        script.render_target = (width, height)
        script.window = (round(width / script.dpr), round(height / script.dpr))
    report = sys.stderr if uses_stdout(args) else sys.stdout
    if args.virtual_background:
        segmenter = make_segmenter()          # the user asked for it: its absence is an error
    else:
        segmenter = _segmenter() if needs_segmenter(script) else None
    sdk = build_sdk(script, camera=args.camera, segmenter=segmenter, live_segmentation=True)
    apply_virtual_background(sdk, args.virtual_background)
    try:
        size = first_canvas(sdk, script)
        sinks = open_outputs(args, size, args.fps)
        if not sinks:
            asyncio.run(_steps(sdk, script, report))
            return 0
        return _record(sdk, script, sinks, size, args, report)
    finally:
        sdk.close()


def _record(sdk, script, sinks, size, args, report) -> int:
    """Run the steps while the render loop composes into the outputs, then report."""
    from compositor.outputs import save_stats

    stats = record(sdk, script, sinks, size, args.fps, args.frames, on_step=_show_steps(report))
    save_stats(args, stats)
    print(stats.format_table(), file=report)
    return 0


def record(sdk, script, sinks, size, fps: float, frames: int | None, *, on_step=None, on_frame=None):
    """Run a script's steps while a render loop composes `sdk` into `sinks`: the loop's stats.

    The kernels are warmed up first, so the first frame never stalls. With `frames` None the loop
    stops shortly after the last step; otherwise after that many frames.
    """
    from compositor.render import warm_up
    from compositor.renderer import RenderLoop
    from compositor.sdk.script import run_script

    warm_up()
    with RenderLoop(make_compose(sdk), size, fps, sinks, on_frame=on_frame) as loop:
        loop.start(frames=frames)
        try:
            asyncio.run(run_script(sdk, script, on_step=on_step))
            if frames is None:
                time.sleep(2.0 / fps)            # let the last step reach at least one frame
            else:
                while loop.running:
                    time.sleep(0.05)
        finally:
            loop.stop()
        return loop.stats


def make_compose(sdk):
    """The render loop's compose(out, view): the SDK's frame, scaled if the canvas changed size."""
    def compose(out: np.ndarray, view: str) -> float | None:
        width, height = sdk.canvas_size
        if (height, width) == out.shape[:2]:
            sdk.render(view, out=out)
        else:                                          # e.g. the context closed: show the plain video
            cv2.resize(sdk.render(view), (out.shape[1], out.shape[0]), dst=out, interpolation=cv2.INTER_AREA)
        return sdk.last_capture_time
    return compose


async def _steps(sdk, script, report) -> None:
    from compositor.sdk.script import run_script

    await run_script(sdk, script, on_step=_show_steps(report))


def _show_steps(report):
    def show(step, result) -> None:
        print(f"step {step.index} {step.method}: {_short(result)}", file=report, flush=True)
    return show


def _short(result) -> str:
    text = json.dumps(result, default=lambda value: f"<{type(value).__name__}>")
    return text if len(text) <= 200 else text[:197] + "..."


def _segmenter():
    """The person segmenter, or None (the SDK then answers 10045, as Zoom does without the package)."""
    try:
        from compositor.segmentation import Segmenter
        return Segmenter()
    except (ImportError, LayersError) as error:
        log.warning("no person segmentation available: %s", error)
        return None
