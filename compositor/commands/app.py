"""`layers app`: run a real Zoom App (unmodified, with @zoom/appssdk) and record what camera mode composes.

    layers app examples/camera-app --out app.mp4 --seconds 10
    layers app ./my-app/index.html --camera /dev/video0 --virtual-camera
    layers app https://my-app.example.com/ --preview

The app's page opens in headless Chromium as the sidebar instance (inMeeting); when it calls
runRenderingContext({view: "camera"}) its page opens again off-screen at the canvas size as the
camera instance (inCamera), whose pixels, with transparency, are the web view layer. A local
directory (or HTML file) is served on 127.0.0.1 only. Needs chromium-headless-shell
(scripts/setup-browser.sh installs it).
"""

from __future__ import annotations

import argparse
import sys

from compositor.errors import LayersValueError
from compositor.layout import RESOLUTIONS

DEFAULT_FPS = 30.0
DEFAULT_CAMERA = "test:1280x720@30"


def register(subparsers) -> None:
    from compositor.commands.background import add_virtual_background_argument
    from compositor.outputs import add_output_arguments

    parser = subparsers.add_parser("app", help="run a real Zoom App (camera mode) in headless Chromium",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("app", help="the app: an http(s) URL, a directory with index.html, or an HTML file")
    parser.add_argument("--camera", default=DEFAULT_CAMERA, metavar="ID|PATH",
                        help="the local camera: an id from `layers cameras`, an image or video path, "
                             f"or a spec (default {DEFAULT_CAMERA})")
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--seconds", type=float, metavar="S", help="run S seconds (default: until Ctrl-C)")
    length.add_argument("--frames", type=int, metavar="N", help="render N frames")
    parser.add_argument("--resolution", choices=sorted(RESOLUTIONS), default="720p",
                        help="camera mode's renderTarget (default 720p)")
    parser.add_argument("--fps", type=float, default=DEFAULT_FPS, help=f"output frame rate (default {DEFAULT_FPS:g})")
    parser.add_argument("--segmentation", action="store_true",
                        help="load the person segmenter (the 'person' cutout, virtual backgrounds)")
    parser.add_argument("--browser", metavar="PATH", help="the chromium-headless-shell executable")
    add_virtual_background_argument(parser)
    add_output_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from compositor.commands.background import apply_virtual_background
    from compositor.outputs import open_outputs, output_specs, save_stats, uses_stdout

    if args.seconds is not None and not args.seconds > 0:
        raise LayersValueError(f"--seconds must be positive, got {args.seconds}")
    if args.frames is not None and args.frames < 1:
        raise LayersValueError(f"--frames must be at least 1, got {args.frames}")
    report = sys.stderr if uses_stdout(args) else sys.stdout
    size = RESOLUTIONS[args.resolution]
    sdk, frames = make_sdk(args.camera, size, segmentation=args.segmentation or bool(args.virtual_background))
    try:
        apply_virtual_background(sdk, args.virtual_background)
        sinks = open_outputs(args, size, args.fps, default="null")
        print(f"layers app: {args.app} at {size[0]}x{size[1]}, {args.fps:g} fps -> "
              f"{', '.join(output_specs(args) or ['null'])} (Ctrl-C ends)", file=report, flush=True)
        stats, app_report = run_app(sdk, frames, args.app, sinks, size, args.fps, frames_limit=args.frames,
                                    seconds=args.seconds, browser=args.browser)
    finally:
        sdk.close()
    save_stats(args, stats)
    print(stats.format_table(), file=report)
    print(app_report, file=report)
    return 0


def make_sdk(camera: str, size: tuple[int, int], segmentation: bool = False):
    """The main ZoomSdk instance with a web view frame source: (sdk, frames)."""
    from pathlib import Path

    from compositor.sdk import ZoomSdk
    from compositor.sdk.script import camera_from
    from compositor.webview import WebViewFrames

    segmenter = None
    if segmentation:
        from compositor.commands.background import make_segmenter
        segmenter = make_segmenter()
    frames = WebViewFrames()
    sdk = ZoomSdk([camera_from(camera, Path.cwd())], webview=frames, render_target=size, segmenter=segmenter,
                  live_segmentation=segmenter is not None)
    return sdk, frames


def run_app(sdk, frames, app: str, sinks, size, fps: float, frames_limit: int | None = None,
            seconds: float | None = None, browser: str | None = None):
    """Run the app's pages while the render loop composes into `sinks`: (RenderStats, report line)."""
    from compositor.commands.run import make_compose
    from compositor.render import warm_up
    from compositor.renderer import RenderLoop
    from compositor.webview import WebApp

    warm_up()
    with WebApp(sdk, app, frames, executable=browser) as web, \
            RenderLoop(make_compose(sdk), size, fps, sinks) as loop:
        stats = loop.run(frames=frames_limit, seconds=seconds)
        errors = list(web.errors)
    return stats, format_report(frames.stats(), errors)


def format_report(stats: dict, errors: list[str]) -> str:
    decode = f", decode {stats['decode_ms']:.1f} ms" if stats["decode_ms"] is not None else ""
    line = (f"web view: {stats['delivered']} new frames ({stats['delivered_fps']:.1f} fps) from "
            f"{stats['ticks']} rendered ({stats['tick_fps']:.1f} fps){decode}, {stats['restarts']} restarts")
    return line + "".join(f"\n  {error}" for error in errors)
