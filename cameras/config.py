"""The small JSON file that remembers the default camera and lists configured cameras.

Location: `$XDG_CONFIG_HOME/layers-compositor/cameras.json` (`~/.config/...` without it).
Content: `{"default_camera": "<id>", "cameras": ["test:1280x720@30", "file:/path/clip.mp4", ...]}`
where each entry of "cameras" is a camera spec (see `cameras.spec`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from compositor.errors import LayersValueError

APP_DIR = "layers-compositor"
FILE_NAME = "cameras.json"


def default_config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / APP_DIR / FILE_NAME


@dataclass
class CameraConfig:
    default_camera: str | None = None
    cameras: list[str] = field(default_factory=list)


def load_config(path: str | os.PathLike | None = None) -> CameraConfig:
    """The saved configuration; an absent file is an empty one, a broken one is an error naming it."""
    path = Path(path) if path is not None else default_config_path()
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return CameraConfig()
    except (OSError, ValueError) as error:
        raise LayersValueError(f"cannot read camera config {str(path)!r}: {error}") from error
    if not isinstance(data, dict):
        raise LayersValueError(f"camera config {str(path)!r} must hold a JSON object, got {type(data).__name__}")
    default, cameras = data.get("default_camera"), data.get("cameras", [])
    if default is not None and not isinstance(default, str):
        raise LayersValueError(f"'default_camera' in {str(path)!r} must be a string, got {default!r}")
    if not isinstance(cameras, list) or not all(isinstance(c, str) for c in cameras):
        raise LayersValueError(f"'cameras' in {str(path)!r} must be a list of camera specs, got {cameras!r}")
    return CameraConfig(default, cameras)


def save_default_camera(camera_id: str, path: str | os.PathLike | None = None) -> Path:
    """Remember `camera_id` for the next run; keeps the rest of the file; atomic (write, then rename)."""
    path = Path(path) if path is not None else default_config_path()
    try:
        data = json.loads(path.read_text())
        data = data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        data = {}
    data["default_camera"] = camera_id
    return _write(path, data)


def add_configured_camera(spec: str, path: str | os.PathLike | None = None) -> Path:
    """Append camera `spec` to the configured cameras (once); keeps the rest of the file."""
    path = Path(path) if path is not None else default_config_path()
    config = load_config(path)
    data = json.loads(path.read_text()) if path.exists() else {}
    if spec not in config.cameras:
        data["cameras"] = config.cameras + [spec]
    return _write(path, data)


def _write(path: Path, data: dict) -> Path:
    """Write, then rename: a crash never leaves a half-written config."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(temporary, path)
    return path
