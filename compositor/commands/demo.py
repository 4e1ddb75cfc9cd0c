"""`layers demo`: the built-in showcase, no arguments needed.

A test-pattern camera drives a camera-mode scene made with the same SDK calls an app would
make: the user's video with a cutout that changes shape over time, mirrored, two images with
transparency, and a virtual foreground. It is written to demo.mp4 (or any --out) with a progress
bar, and the render statistics are printed at the end.

    layers demo                       # 10 s of 1280x720 at 30 fps into demo.mp4
    layers demo --seconds 3 --out demo.mkv --stats stats.json
"""

from __future__ import annotations

import argparse
import sys

import cv2
import numpy as np

from compositor.errors import LayersValueError

DEFAULT_OUT = "demo.mp4"
DEFAULT_SECONDS = 10.0
DEFAULT_FPS = 30.0
CANVAS = (1280, 720)


def register(subparsers) -> None:
    from compositor.commands.background import add_virtual_background_argument
    from compositor.outputs import add_output_arguments

    parser = subparsers.add_parser("demo", help="render the built-in demo scene to demo.mp4",
                                   description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=DEFAULT_SECONDS,
                        help=f"length of the demo (default {DEFAULT_SECONDS:g})")
    parser.add_argument("--fps", type=float, default=DEFAULT_FPS, help=f"frame rate (default {DEFAULT_FPS:g})")
    parser.add_argument("--camera", default="test:1280x720@30",
                        help="the local camera (default: a 1280x720 test pattern)")
    add_virtual_background_argument(parser)
    add_output_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from compositor.commands.background import apply_virtual_background, make_segmenter
    from compositor.commands.run import record
    from compositor.outputs import open_outputs, output_specs, save_stats, uses_stdout
    from compositor.sdk.script import build_sdk, parse_script

    if args.seconds <= 0:
        raise LayersValueError(f"--seconds must be positive, got {args.seconds}")
    report = sys.stderr if uses_stdout(args) else sys.stdout
    frames = max(1, round(args.seconds * args.fps))
    script = parse_script(demo_script(args.seconds))
    segmenter = make_segmenter() if args.virtual_background else None
    sdk = build_sdk(script, camera=args.camera, segmenter=segmenter, live_segmentation=True)
    apply_virtual_background(sdk, args.virtual_background)
    try:
        sinks = open_outputs(args, CANVAS, args.fps, default=DEFAULT_OUT)
        print(f"layers demo: {frames} frames of {CANVAS[0]}x{CANVAS[1]} at {args.fps:g} fps -> "
              f"{', '.join(output_specs(args) or [DEFAULT_OUT])}", file=report)
        with tqdm(total=frames, unit="frame", file=sys.stderr, disable=None) as progress:
            stats = record(sdk, script, sinks, CANVAS, args.fps, frames,
                           on_frame=lambda index: progress.update(1))
    finally:
        sdk.close()
    save_stats(args, stats)
    print(stats.format_table(), file=report)
    return 0


def demo_script(seconds: float) -> dict:
    """The demo's SDK calls; the cutout changes four times over the run."""
    shape_times = [seconds * k / 4 for k in range(1, 4)]
    me = "$me"
    steps = [
        {"method": "config", "params": {"capabilities": [
            "runRenderingContext", "drawParticipant", "drawImage", "clearImage",
            "setVirtualForeground", "setVideoMirrorEffect"]}},
        {"method": "runRenderingContext", "params": {"view": "camera"}},
        {"method": "drawParticipant", "params": {
            "participantUUID": me, "x": 40, "y": 40, "width": 1200, "height": 640, "zIndex": 1,
            "cutout": "rectangle", "cameraModeMirroring": True}},
        {"method": "drawImage", "params": {"imageData": badge("layers-compositor demo"),
                                           "x": 64, "y": 590, "zIndex": 3}},
        {"method": "drawImage", "params": {"imageData": glow(150), "x": 1080, "y": 50, "zIndex": 3},
         "as": "glow"},
        {"method": "setVirtualForeground", "params": {"imageData": vignette(*CANVAS)}},
        {"method": "drawParticipant", "at": shape_times[0], "params": {
            "participantUUID": me, "x": 290, "y": 40, "width": 700, "height": 640, "zIndex": 2,
            "cutout": "circle", "cameraModeMirroring": True}},
        {"method": "drawParticipant", "at": shape_times[1], "params": {
            "participantUUID": me, "x": 40, "y": 40, "width": 1200, "height": 640, "zIndex": 2,
            "cutout": "verticalRectangle"}},
        {"method": "clearImage", "at": shape_times[2], "params": {"imageId": "$glow"}},
        {"method": "drawParticipant", "at": shape_times[2], "params": {
            "participantUUID": me, "x": 40, "y": 120, "width": 800, "height": 450, "zIndex": 2,
            "cutout": "square"}},
    ]
    return {"user": {"screenName": "Demo", "role": "host"}, "steps": steps}


def badge(text: str) -> np.ndarray:
    """A half-transparent dark label with white text (straight RGBA)."""
    (width, height), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 1.1, 2)
    image = np.zeros((height + 36, width + 48, 4), np.uint8)
    cv2.rectangle(image, (0, 0), (image.shape[1] - 1, image.shape[0] - 1), (20, 24, 32, 170), -1)
    cv2.putText(image, text, (24, height + 16), cv2.FONT_HERSHEY_SIMPLEX, 1.1, (255, 255, 255, 255), 2,
                cv2.LINE_AA)
    return image


def glow(size: int) -> np.ndarray:
    """A soft coloured disc whose alpha falls off to zero at the edge."""
    y, x = np.mgrid[0:size, 0:size]
    falloff = np.clip(1 - np.hypot(x - size / 2 + 0.5, y - size / 2 + 0.5) / (size / 2), 0, 1)
    image = np.zeros((size, size, 4), np.uint8)
    image[..., 0] = 255
    image[..., 1] = 200 * falloff
    image[..., 2] = 80
    image[..., 3] = 255 * falloff ** 1.5
    return image


def vignette(width: int, height: int) -> np.ndarray:
    """A foreground: dark translucent corners, fully transparent in the middle."""
    y, x = np.mgrid[0:height, 0:width]
    distance = np.hypot((x - width / 2) / (width / 2), (y - height / 2) / (height / 2))
    image = np.zeros((height, width, 4), np.uint8)
    image[..., 3] = np.clip((distance - 1.0) * 400, 0, 200).astype(np.uint8)
    return image
