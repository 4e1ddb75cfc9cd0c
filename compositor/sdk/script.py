"""JSON call scripts: SDK call sequences replayed against a `ZoomSdk` (`layers run`).

A script is a JSON list of steps, or an object with the steps and the session they run in:

    {
      "user": {"screenName": "Presenter P", "role": "host", "participantUUID": "5CD7..."},
      "camera": "test:1280x720@30",          # the local camera (--camera overrides it)
      "webview": "lower-third.png",          # a still web-view frame for drawWebView
      "window": [1920, 1080], "dpr": 1.0, "renderTarget": [1280, 720],
      "steps": [
        {"method": "config", "params": {"capabilities": ["runRenderingContext", "drawParticipant"]}},
        {"method": "runRenderingContext", "params": {"view": "camera"}},
        {"method": "drawParticipant", "params": {"participantUUID": "$me", "zIndex": 1}},
        {"method": "drawImage", "params": {"imageData": {"src": "logo.png"}, "x": 40, "y": 40}, "as": "logo"},
        {"method": "clearImage", "params": {"imageId": "$logo"}, "at": 2.0}
      ]
    }

Step fields: `method` (an SDK method, or `meeting.join` / `meeting.leave` / `meeting.setActiveSpeaker` /
`meeting.setRole`), `params`, optional `at` (seconds from the start: the step waits until then),
`instance` (`sidebar`/`main`, or `camera`/`immersive`/`rendered` for the rendered app instance),
and `as` (store the result under a name; a one-field result such as `{"imageId": ...}` stores the
field). A string parameter `"$name"` is replaced by a stored value; `$me` is the local user's
participantUUID. ImageData may be `{"src": "file.png"}` (relative to the script) or
`{"fill": [r, g, b, a], "width": w, "height": h}` besides the SDK forms. A trace file from
`reference/traces/` (`{"calls": [...]}`) also runs: only its `"kind": "call"` entries are replayed.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable

import numpy as np
from PIL import Image

from compositor.errors import LayersError, LayersValueError, ZoomApiError
from compositor.sdk.imagedata import MAX_SIDE

MAIN_NAMES = {"main", "sidebar"}
RENDERED_NAMES = {"rendered", "camera", "immersive"}
MAX_DPR = 8.0            # no display is denser; bounds the canvas a script can ask for
MEETING_METHODS = ("meeting.join", "meeting.leave", "meeting.setActiveSpeaker", "meeting.setRole")


@dataclass(frozen=True)
class Step:
    index: int                 # 1-based, as reported
    method: str
    params: Any = None
    at: float | None = None
    instance: str = "main"     # "main" | "rendered"
    store_as: str | None = None


@dataclass
class Script:
    steps: list[Step]
    base_dir: Path
    user: dict = field(default_factory=dict)
    camera: str | None = None
    webview: str | None = None
    window: tuple[int, int] = (1920, 1080)
    dpr: float = 1.0
    render_target: tuple[int, int] = (1280, 720)

    def mentions(self, predicate: Callable[[Step], bool]) -> bool:
        return any(predicate(step) for step in self.steps)


class ScriptError(LayersError):
    """A step failed: says which (1-based index), the method, and the ZoomApiError code if any."""

    def __init__(self, step: Step, error: Exception):
        code = getattr(error, "code", None)
        reason = getattr(error, "message", None) or str(error)
        detail = f"{reason} (code {code})" if code is not None else reason
        super().__init__(f"step {step.index} ({step.method}): {detail}")
        self.step, self.error, self.code = step, error, code


def load_script(path: str | Path) -> Script:
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except OSError as error:
        raise LayersValueError(f"cannot read script {str(path)!r}: {error.strerror or error}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise LayersValueError(f"script {str(path)!r} is not valid JSON: {error}") from None
    except RecursionError:
        raise LayersValueError(f"script {str(path)!r} is nested too deeply") from None
    return parse_script(data, path.parent)


def parse_script(data, base_dir: str | Path = ".") -> Script:
    """Validate a script's JSON (list of steps, script object or trace) into a `Script`."""
    if isinstance(data, list):
        data = {"steps": data}
    if not isinstance(data, dict):
        raise LayersValueError(f"a script is a JSON list of steps or an object, got {type(data).__name__}")
    entries = data.get("steps", data.get("calls"))
    if not isinstance(entries, list):
        raise LayersValueError("a script object needs a 'steps' list")
    entries = [entry for entry in entries if not (isinstance(entry, dict) and entry.get("kind", "call") != "call")]
    steps = [_parse_step(number, entry) for number, entry in enumerate(entries, start=1)]
    user = data.get("user", {})
    if not isinstance(user, dict):
        raise LayersValueError(f"script 'user' must be an object, got {user!r}")
    dpr = data.get("dpr", 1.0)
    if isinstance(dpr, bool) or not isinstance(dpr, (int, float)) or not 0 < dpr <= MAX_DPR:
        raise LayersValueError(f"script 'dpr' must be a number in (0, {MAX_DPR}], got {dpr!r:.60}")
    return Script(steps, Path(base_dir), user, data.get("camera"), data.get("webview"),
                  _pair(data.get("window", (1920, 1080)), "window"), float(dpr),
                  _pair(data.get("renderTarget", (1280, 720)), "renderTarget"))


def _parse_step(number: int, entry) -> Step:
    if not isinstance(entry, dict) or not isinstance(entry.get("method"), str):
        raise LayersValueError(f"step {number}: expected an object with a 'method' string, got {entry!r}")
    at = entry.get("at")
    if at is not None and (isinstance(at, bool) or not isinstance(at, (int, float)) or at < 0):
        raise LayersValueError(f"step {number} ({entry['method']}): 'at' must be seconds >= 0, got {at!r}")
    instance = entry.get("instance", "main")
    if not isinstance(instance, str) or instance not in MAIN_NAMES | RENDERED_NAMES:
        raise LayersValueError(f"step {number}: instance must be one of "
                               f"{', '.join(sorted(MAIN_NAMES | RENDERED_NAMES))}, got {instance!r}")
    store_as = entry.get("as")
    if store_as is not None and not isinstance(store_as, str):
        raise LayersValueError(f"step {number}: 'as' must be a name (string), got {store_as!r:.60}")
    return Step(number, entry["method"], entry.get("params"), at,
                "main" if instance in MAIN_NAMES else "rendered", store_as)


def _pair(value, name: str) -> tuple[int, int]:
    if (not isinstance(value, (list, tuple)) or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and 0 < v <= MAX_SIDE for v in value)):
        raise LayersValueError(f"script {name!r} must be [width, height] in positive integers, got {value!r}")
    return int(value[0]), int(value[1])


async def run_script(sdk, script: Script, *, on_step: Callable[[Step, Any], None] | None = None,
                     clock: Callable[[], float] = time.monotonic,
                     sleep: Callable[[float], Awaitable] = asyncio.sleep) -> dict[str, Any]:
    """Run every step in order (waiting for `at` times); returns the stored values.

    The first failing step raises `ScriptError` naming its index, method and error code.
    """
    values: dict[str, Any] = {"me": sdk.participant_uuid}
    start = clock()
    for step in script.steps:
        if step.at is not None and start + step.at > clock():
            await sleep(start + step.at - clock())
        try:
            result = await _run_step(sdk, script, step, values)
        except (ZoomApiError, LayersError) as error:
            raise ScriptError(step, error) from error
        if step.store_as:
            values[step.store_as] = _stored(result)
        if on_step is not None:
            on_step(step, result)
    return values


async def _run_step(sdk, script: Script, step: Step, values: dict) -> Any:
    if step.method in MEETING_METHODS:
        params = _resolve(step.params, values, script.base_dir, images=False)
        return _meeting_step(sdk, step.method, params or {}, script)
    params = _resolve(step.params, values, script.base_dir)
    target = sdk.main if step.instance == "main" else sdk.rendered
    if target is None:
        raise LayersValueError("no rendered app instance: runRenderingContext has not run (or was closed)")
    return await target.call(step.method, params)


def _meeting_step(sdk, method: str, params, script: Script) -> Any:
    if not isinstance(params, dict):
        raise LayersValueError(f"{method} takes an object of parameters, got {type(params).__name__}")
    for key in ("name", "screenName", "role", "participantUUID"):
        if params.get(key) is not None and not isinstance(params[key], str):
            raise LayersValueError(f"{method}: {key} must be a string, got {params[key]!r:.60}")
    speakers = params.get("participantUUIDs", [])
    if not isinstance(speakers, list) or not all(isinstance(uuid, str) for uuid in speakers):
        raise LayersValueError(f"{method}: participantUUIDs must be a list of strings, got {speakers!r:.60}")
    meeting = sdk.meeting
    if method == "meeting.join":
        camera = params.get("camera")
        return meeting.join(params.get("name", params.get("screenName")),
                            camera=camera_from(camera, script.base_dir) if camera is not None else None,
                            role=params.get("role", "attendee"), participant_uuid=params.get("participantUUID"))
    if method == "meeting.leave":
        return meeting.leave(params.get("participantUUID"))
    if method == "meeting.setActiveSpeaker":
        return meeting.set_active_speaker(*speakers)
    return meeting.set_role(params.get("participantUUID"), params.get("role"))


def camera_from(spec, base_dir: Path):
    """A camera from a script: a spec string (see cameras.spec) or {"fill": [r,g,b], "width", "height"}."""
    from cameras.spec import camera_from_spec
    from cameras.synthetic import StillCamera

    if isinstance(spec, dict) and "fill" in spec:
        width, height = _side(spec.get("width", 640), "width"), _side(spec.get("height", 360), "height")
        rgb = np.full((height, width, 3), _colour(spec["fill"], 3), np.uint8)
        return StillCamera(rgb, name=spec.get("name", "Solid"))
    if isinstance(spec, str):
        candidate = base_dir / spec.split(":", 1)[-1]
        if ":" not in spec and candidate.exists():
            spec = str(candidate)
        return camera_from_spec(spec)
    raise LayersValueError(f"camera must be a spec string or {{'fill': [r, g, b]}}, got {type(spec).__name__}")


def _resolve(value, values: dict, base_dir: Path, images: bool = True):
    """Substitute "$name" strings and (with `images`) load {"src"} / {"fill"} image data, recursively."""
    if isinstance(value, str) and value.startswith("$") and value[1:] in values:
        return values[value[1:]]
    if isinstance(value, list):
        return [_resolve(item, values, base_dir, images) for item in value]
    if not isinstance(value, dict):
        return value
    if not images:
        return {key: _resolve(item, values, base_dir, images) for key, item in value.items()}
    if "src" in value and len(value) == 1:
        if not isinstance(value["src"], str):
            raise LayersValueError(f"image 'src' must be a path (string), got {value['src']!r:.60}")
        return _load_image(base_dir / value["src"])
    if "fill" in value and "width" in value and "height" in value:
        width, height = _side(value["width"], "width"), _side(value["height"], "height")
        return np.full((height, width, 4), _colour(value["fill"], 4), np.uint8)
    return {key: _resolve(item, values, base_dir) for key, item in value.items()}


def _load_image(path: Path) -> np.ndarray:
    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGBA")).copy()
    except OSError as error:
        raise LayersValueError(f"cannot load image {str(path)!r}: {error}") from None


def _side(value, name: str) -> int:
    """A fill image's width or height: a whole number of pixels within the ImageData limit."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_SIDE:
        raise LayersValueError(f"fill {name} must be a whole number from 1 to {MAX_SIDE}, got {value!r:.60}")
    return value


def _colour(fill, channels: int) -> list[int]:
    if not isinstance(fill, list) or len(fill) not in (3, 4) or not all(
            isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255 for v in fill):
        raise LayersValueError(f"fill must be [r, g, b] or [r, g, b, a] in 0..255, got {fill!r}")
    return (list(fill) + [255])[:channels] if len(fill) == 3 else list(fill)[:channels]


def _stored(result):
    if isinstance(result, dict) and len(result) == 1:
        return next(iter(result.values()))
    return result


def build_sdk(script: Script, camera: str | None = None, segmenter=None, **options):
    """The ZoomSdk a script runs against: its user, camera (`camera` overrides), web view and sizes."""
    from compositor.sdk.facade import ZoomSdk
    from compositor.sdk.webview import StillWebView

    local_camera = camera_from(camera or script.camera or "test", script.base_dir)
    webview = StillWebView(script.base_dir / script.webview) if script.webview else None
    user = script.user
    return ZoomSdk([local_camera], role=user.get("role", "host"), screen_name=user.get("screenName", "Me"),
                   participant_uuid=user.get("participantUUID"), webview=webview, segmenter=segmenter,
                   render_target=script.render_target, window=script.window, dpr=script.dpr,
                   base_dir=str(script.base_dir), **options)


def needs_segmenter(script: Script) -> bool:
    """Whether any step sets a virtual background or asks for the 'person' cutout."""
    def uses(step: Step) -> bool:
        params = step.params if isinstance(step.params, dict) else {}
        return (step.method == "setVirtualBackground"
                or "person" in (params.get("cutout"), params.get("defaultCutout")))
    return script.mentions(uses)


def first_canvas(sdk, script: Script) -> tuple[int, int]:
    """The canvas of the script's first rendering context (what the outputs are opened at)."""
    for step in script.steps:
        if step.method == "runRenderingContext" and isinstance(step.params, dict):
            try:
                return sdk.canvas_for(step.params.get("view"), step.params.get("resolutionMode"))
            except LayersError:
                break
    return sdk.canvas_size
