"""`layers cameras`: list camera devices and configured cameras with the formats they negotiate."""

from __future__ import annotations

import argparse
import json
import time

from cameras import DeviceCamera, camera_from_spec, list_devices
from cameras.base import Camera
from cameras.config import add_configured_camera, default_config_path, load_config, save_default_camera
from cameras.discovery import SYSFS_CLASS
from compositor.errors import CameraNotFound, LayersError

PROBE_TIMEOUT = 3.0  # seconds to wait for a camera's first frame when probing its format

HINT = """No camera found. Add one:
  layers cameras --add test                 # a moving test pattern, 1280x720 @ 30 fps
  layers cameras --add test:640x360@15      # ... of another size and rate
  layers cameras --add file:/path/clip.mp4  # a video file, played in real time, looping
  layers cameras --add still:/path/me.png   # a still image
(or try one without saving it: layers cameras --camera test)"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "cameras", help="list cameras and their negotiated formats",
        description="List V4L2 camera devices and configured cameras (test pattern, file, URL, still image). "
                    "Each camera is opened briefly to report the size, frame rate and pixel format it actually "
                    f"delivers. Configured cameras and the default camera live in {default_config_path()}.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--camera", "-c", action="append", default=[], metavar="SPEC",
                        help="also list this camera (not saved): test[:WxH[@FPS]], file:PATH, still:PATH, a URL, "
                             "or /dev/videoN; repeatable")
    parser.add_argument("--add", action="append", default=[], metavar="SPEC",
                        help="save this camera in the config so every run lists it; repeatable")
    parser.add_argument("--set-default", metavar="ID", help="make camera ID the default (as setCamera({id, save: true}))")
    parser.add_argument("--no-probe", action="store_true", help="do not open cameras; list ids and names only")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    for spec in args.add:
        camera_from_spec(spec)  # validate before saving
        add_configured_camera(spec)
    config = load_config()
    devices = [DeviceCamera(d.path, camera_id=d.id, name=d.name) for d in list_devices()]
    configured = _unique([camera_from_spec(spec) for spec in args.camera + config.cameras])
    if args.set_default:
        known = {camera.id for camera in devices + configured}
        if args.set_default not in known:
            raise CameraNotFound(f"no camera with id {args.set_default!r}; available: {sorted(known) or 'none'}")
        save_default_camera(args.set_default)
        config = load_config()
    report = {
        "devices": [_describe(camera, probe=not args.no_probe) for camera in devices],
        "configured": [_describe(camera, probe=not args.no_probe) for camera in configured],
        "default_camera": config.default_camera,
        "config_path": str(default_config_path()),
    }
    print(json.dumps(report, indent=2) if args.json else _format(report))
    return 0


def _unique(cameras: list[Camera]) -> list[Camera]:
    return list({camera.id: camera for camera in reversed(cameras)}.values())[::-1]


def _describe(camera: Camera, probe: bool) -> dict:
    """id and name, plus (when probing) what the camera negotiated, or why it could not open."""
    entry = {"id": camera.id, "name": camera.name}
    if not probe:
        return entry
    try:
        with camera:
            deadline = time.monotonic() + PROBE_TIMEOUT
            while camera.latest() is None and camera.error is None and time.monotonic() < deadline:
                time.sleep(0.01)
            info = camera.info()
    except LayersError as error:
        return {**entry, "error": str(error)}
    keys = ("backend", "width", "height", "fps", "pixel_format")
    entry.update({key: info[key] for key in keys if info.get(key) is not None})
    if info.get("error"):
        entry["error"] = info["error"]
    return entry


def _format(report: dict) -> str:
    lines = ["Camera devices:"]
    if not report["devices"]:
        lines.append(f"  none found (no V4L2 capture device under /{SYSFS_CLASS})")
    lines += [_format_entry(entry) for entry in report["devices"]]
    lines.append("Configured cameras:")
    if not report["configured"]:
        lines.append("  none")
    lines += [_format_entry(entry) for entry in report["configured"]]
    lines.append(f"Default camera: {report['default_camera'] or 'not set (the first one that opens)'}")
    lines.append(f"Config file: {report['config_path']}")
    if not report["devices"] and not report["configured"]:
        lines += ["", HINT]
    return "\n".join(lines)


def _format_entry(entry: dict) -> str:
    line = f"  {entry['id']}  \"{entry['name']}\""
    if "width" in entry:
        fps = f" @ {entry['fps']:g} fps" if isinstance(entry.get("fps"), (int, float)) else ""
        line += f"  {entry['width']}x{entry['height']}{fps} {entry.get('pixel_format', '?')} via {entry.get('backend', '?')}"
    if "error" in entry:
        line += f"  (cannot open: {entry['error']})"
    return line
