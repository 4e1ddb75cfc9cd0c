"""`ZoomSdk`: the zoomSdk Layers and camera API in Python, over the scene model.

Every method is a coroutine named exactly as in `@zoom/appssdk`, takes the same options dict and
returns the SDK's result shape. A call is checked in the order the real stack checks it
(`config` first, then capabilities, role, running context, then its arguments), and only then
publishes a new `Scene` snapshot; a rejection raises `ZoomApiError` and leaves the scene as it
was. The facade never touches pixels except to decode ImageData once, at call time.

Two app instances, as in the Zoom client (layers-behaviour.md §1): the object you construct is
the app's main instance (`inMeeting`, the sidebar). `runRenderingContext` opens the second
instance (`inCamera` / `inImmersive`), reachable as `sdk.rendered`, a `ZoomSdk` sharing the same
meeting, cameras and scene but with its own running context, `config` and event handlers; the
main instance gets `onRenderedAppOpened`. Draws from either instance land in the one rendering
context, so a Python script may drive everything through the main object (the JS bridge keeps
the two apart).
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import math
import os
import threading
import time
import uuid as uuidlib
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from compositor.errors import CameraNotFound, LayersValueError, ZoomApiError
from compositor.layout import RESOLUTIONS, Rect, device_rect, parse_z_index, to_device_px
from compositor.scene import (Cutout, ImageLayer, ParticipantLayer, RenderingContext, Scene, SceneStore,
                              View, VirtualBackground, WebViewLayer)
from compositor.sdk import imagedata
from compositor.sdk.errors import Code, api_error
from compositor.sdk.events import EVENTS, EventHub
from compositor.sdk.masks import PersonMasks
from compositor.sdk.meeting import HOST_ROLES, Meeting

log = logging.getLogger(__name__)

CLIENT_VERSION = "6.0.0.99999"       # high enough for every API implemented here (setVideoFilter: 5.14.5)
MAX_FRAME_RATE = 60.0                # CEF caps windowless rendering at 60 fps
DEFAULT_FRAME_RATE = 30.0            # CEF's default
POST_MESSAGE_LIMIT = 512 * 1024      # "Payload limit is <512KB"
MAX_CANVAS_MULTIPLE = 4              # positions and sizes past 4 canvases are refused (see `_px`)
VB_CONTEXTS = frozenset({"inMeeting", "inWebinar", "inImmersive", "inCamera", "inMainClient", "inCollaborate"})
VIDEO_SETTINGS_CONTEXTS = VB_CONTEXTS
FILTER_CONTEXTS = frozenset({"inMeeting", "inWebinar"})
SIDEBAR_CONTEXTS = frozenset({"inMeeting", "inWebinar"})
RENDERED_CONTEXTS = {View.CAMERA: "inCamera", View.IMMERSIVE: "inImmersive"}
VIDEO_SETTING_KEYS = ("hdVideo", "displayParticipantNames", "hideNonVideoParticipants", "mirrorMyVideo",
                      "originalRatio", "cameraDeviceId")


@dataclass(frozen=True)
class ApiSpec:
    name: str
    roles: frozenset[str] | None = None        # None: every role
    contexts: frozenset[str] | None = None     # None: every running context


APIS: dict[str, ApiSpec] = {}


def api(roles: frozenset[str] | None = None, contexts: frozenset[str] | None = None):
    """Register an SDK method: checks config, capabilities, role and running context first."""
    def decorate(method):
        spec = ApiSpec(method.__name__, roles, contexts)
        APIS[spec.name] = spec

        @functools.wraps(method)
        async def wrapper(self: "ZoomSdk", options: dict | None = None):
            self._admit(spec)
            try:
                return await method(self, _options(options, spec.name))
            except RecursionError:        # options nested past the interpreter's limit (even repr fails)
                raise _too_deep(spec.name) from None
        return wrapper
    return decorate


def _too_deep(name: str) -> ZoomApiError:
    return api_error(Code.INVALID_ARGUMENT, f"{name}: options are nested too deeply")


def _options(options, name: str) -> dict:
    if options is None:
        return {}
    if not isinstance(options, dict):
        raise api_error(Code.INVALID_ARGUMENT, f"{name} takes an options object, got {type(options).__name__}")
    return options


def _short_repr(value, limit: int = 200) -> str:
    """repr for an error message: cut at `limit` characters, and safe on values nested too deep."""
    try:
        text = repr(value)
    except RecursionError:
        return f"a {type(value).__name__} nested too deeply"
    return text if len(text) <= limit else text[:limit] + "..."


def _success() -> dict:
    return {"message": "Success"}


def _now() -> int:
    return int(time.time())


@dataclass
class _Instance:
    """What belongs to one app instance: its running context, config and event handlers."""
    running_context: str
    capabilities: frozenset[str] | None = None      # None until config
    events: EventHub = field(default_factory=EventHub)
    connected: bool = False


class _Client:
    """What both app instances share: the user's client (meeting, cameras, scene, effects)."""

    def __init__(self, **settings):
        self.__dict__.update(settings)
        self.store = SceneStore()
        self.main: ZoomSdk | None = None
        self.rendered: ZoomSdk | None = None
        self.video_settings = {"hdVideo": False, "displayParticipantNames": True,
                               "hideNonVideoParticipants": False, "originalRatio": False}
        self.foreground_persistence: str | None = None
        self.video_filter_all_meetings = False
        self.compositor = None
        self.last_capture_time: float | None = None     # capture time of the last frame composed
        self.masks = PersonMasks(settings.get("segmenter"))     # person masks, per participant and frame
        self.lock = threading.Lock()
        self.closed = False

    def instances(self) -> list["ZoomSdk"]:
        return [sdk for sdk in (self.main, self.rendered) if sdk is not None]


class ZoomSdk:
    """The Zoom Apps SDK facade (main instance). See the module docstring and the README.

    cameras: camera objects for the local user, or a ready `CameraManager`.
    role / screen_name / participant_uuid: the local user (uuid generated if not given).
    webview: a frame source with `latest() -> premultiplied RGBA | None` for drawWebView.
    segmenter: an object with `segment(rgb) -> HxW uint8 mask` (virtual background, 'person').
    render_target: the camera-mode canvas (config().media.renderTarget).
    window, dpr: the app window in CSS px and its devicePixelRatio (immersive canvas = window*dpr;
        PixelValue "N%" is relative to the canvas in CSS px).
    require_capabilities / enforce_roles: switch off the capabilities or role checks.
    reuse_image_ids: drawImage with identical geometry replaces and returns the same imageId (True)
        or a new one (False); layers-behaviour.md §9.2.
    meeting: share a `Meeting` between several SDK objects (several apps or users).
    base_dir: the app's directory; setVirtualBackground's local fileUrl paths must lie inside it
        (default: the working directory).
    allow_private_urls: let fileUrl fetch from loopback and private addresses (refused by default:
        an app must not make this machine probe its own network; tests serving 127.0.0.1 need it).
    """

    def __init__(self, cameras=(), *, role: str = "host", screen_name: str = "Me",
                 participant_uuid: str | None = None, webview=None, segmenter=None,
                 discover_devices: bool = False, render_target: tuple[int, int] = (1280, 720),
                 window: tuple[int, int] = (1920, 1080), dpr: float = 1.0,
                 running_context: str = "inMeeting", require_capabilities: bool = True,
                 enforce_roles: bool = True, reuse_image_ids: bool = True, meeting: Meeting | None = None,
                 file_url_timeout: float = imagedata.FILE_URL_TIMEOUT_S, base_dir: str | None = None,
                 live_segmentation: bool = False, allow_private_urls: bool = False):
        _check_size(render_target, "render_target")
        _check_size(window, "window")
        if not (isinstance(dpr, (int, float)) and math.isfinite(dpr) and dpr > 0):
            raise LayersValueError(f"dpr must be a positive number, got {dpr!r}")
        manager = cameras if hasattr(cameras, "list_cameras") else _camera_manager(cameras, discover_devices)
        meeting = meeting or Meeting()
        local = meeting.add_local(screen_name, role, participant_uuid, camera=manager)
        self._client = client = _Client(cameras=manager, meeting=meeting, webview=webview, segmenter=segmenter,
                               render_target=tuple(render_target), window=tuple(window), dpr=float(dpr),
                               local_uuid=local.participant_uuid, require_capabilities=require_capabilities,
                               enforce_roles=enforce_roles, reuse_image_ids=reuse_image_ids,
                               file_url_timeout=file_url_timeout, base_dir=base_dir,
                               allow_private_urls=bool(allow_private_urls))
        client.masks.live = bool(live_segmentation)
        self._instance = _Instance(running_context)
        self._client.main = self
        meeting.subscribe(self._on_meeting_event)
        if callable(getattr(manager, "add_listener", None)):
            manager.add_listener(self._on_media_change)

    @classmethod
    def _attach(cls, client: _Client, running_context: str) -> "ZoomSdk":
        """A second app instance over the same client (the rendered app)."""
        sdk = cls.__new__(cls)
        sdk._client = client
        sdk._instance = _Instance(running_context)
        return sdk

    # -- plain attributes ---------------------------------------------------------------------
    @property
    def scene(self) -> Scene:
        return self._client.store.scene

    @property
    def store(self) -> SceneStore:
        return self._client.store

    @property
    def meeting(self) -> Meeting:
        return self._client.meeting

    @property
    def cameras(self):
        return self._client.cameras

    @property
    def rendered(self) -> "ZoomSdk | None":
        """The rendered app instance (inCamera / inImmersive) while a rendering context runs."""
        return self._client.rendered

    @property
    def main(self) -> "ZoomSdk":
        return self._client.main

    @property
    def running_context(self) -> str:
        return self._instance.running_context

    @property
    def participant_uuid(self) -> str:
        return self._client.local_uuid

    @property
    def role(self) -> str:
        return self._local().role

    def _local(self):
        return self.meeting.get(self._client.local_uuid)

    @property
    def base_dir(self) -> str | None:
        """The directory local fileUrl paths resolve in and may not leave (None: the working
        directory). `layers app` sets it to the app's directory unless it was given."""
        return self._client.base_dir

    @base_dir.setter
    def base_dir(self, path: str | os.PathLike | None) -> None:
        self._client.base_dir = None if path is None else str(path)

    @property
    def last_capture_time(self) -> float | None:
        """Capture timestamp (time.monotonic) of the local camera frame the last render() used."""
        return self._client.last_capture_time

    @property
    def canvas_size(self) -> tuple[int, int]:
        """What render() returns now: the context's canvas, else the camera (or render target)."""
        context = self.scene.context
        if context is not None:
            return context.width, context.height
        frame = self._local_frame()
        if frame is not None:
            return frame.rgb.shape[1], frame.rgb.shape[0]
        return self._client.render_target

    # -- the checks every call goes through ---------------------------------------------------
    def _admit(self, spec: ApiSpec) -> None:
        client, instance = self._client, self._instance
        if client.closed:
            raise api_error(Code.NOT_CONFIGURED, f"{spec.name}: this SDK instance is closed")
        if instance.capabilities is None:
            raise api_error(Code.NOT_CONFIGURED, "must call zoomSdk.config before using other API methods "
                                                 f"(called {spec.name})")
        if client.require_capabilities and spec.name not in instance.capabilities:
            raise api_error(Code.NOT_IN_CAPABILITIES, f"{spec.name} is not in the capabilities passed to config")
        if spec.roles is not None and client.enforce_roles and self.role not in spec.roles:
            raise api_error(Code.ROLE_NOT_ALLOWED, f"{spec.name} is for {' and '.join(sorted(spec.roles))} only; "
                                                  f"this user's role is {self.role!r}")
        if spec.contexts is not None and instance.running_context not in spec.contexts:
            raise api_error(Code.WRONG_RUNNING_CONTEXT,
                            f"{spec.name} is not available in running context {instance.running_context!r} "
                            f"(only {', '.join(sorted(spec.contexts))})")

    # -- core ---------------------------------------------------------------------------------
    async def config(self, options: dict | None = None) -> dict:
        """Declare the APIs and events the app uses; returns the ConfigResponse."""
        options = _options(options, "config")
        capabilities = options.get("capabilities")
        if not isinstance(capabilities, (list, tuple)) or not all(isinstance(c, str) for c in capabilities):
            raise api_error(Code.INVALID_ARGUMENT, f"config.capabilities must be a list of API names, "
                                                   f"got {_short_repr(capabilities)}")
        supported = supported_apis()
        self._instance.capabilities = frozenset(capabilities)
        return {"runningContext": self.running_context,
                "unsupportedApis": sorted({c for c in capabilities if c not in supported}),
                "clientVersion": CLIENT_VERSION, "browserVersion": "layers-compositor/0.1",
                "auth": {"status": "authorized", "upgradable": False},
                "media": self._media(), "userAgent": "layers-compositor", "product": "desktop",
                "launchContext": {"origin": "App Launcher", "openBy": "user"}}

    def _media(self) -> dict:
        context = self.scene.context
        width, height = (context.width, context.height) if context else self._client.render_target
        media: dict[str, Any] = {"renderTarget": {"width": width, "height": height},
                                 "video": self._video_media(), "audio": {"state": False}}
        if context is not None:
            media["defaultCutout"] = context.default_cutout.value
        return media

    def _video_media(self) -> dict:
        frame = self._local_frame()
        if frame is None:
            return {"state": False}
        return {"state": True, "width": int(frame.rgb.shape[1]), "height": int(frame.rgb.shape[0])}

    @api()
    async def getSupportedJsApis(self, options: dict) -> dict:
        return {"supportedApis": sorted(supported_apis())}

    @api()
    async def getRunningContext(self, options: dict) -> dict:
        return {"context": self.running_context}

    @api()
    async def getUserContext(self, options: dict) -> dict:
        local = self._local()
        return {"status": "authorized", "screenName": local.screen_name, "participantId": str(local.participant_id),
                "participantUUID": local.participant_uuid, "role": local.role}

    @api(roles=HOST_ROLES)
    async def getMeetingContext(self, options: dict) -> dict:
        return {"meetingTopic": self.meeting.topic, "meetingID": self.meeting.meeting_id}

    @api()
    async def getMeetingUUID(self, options: dict) -> dict:
        return {"meetingUUID": self.meeting.meeting_uuid}

    @api(roles=HOST_ROLES)
    async def getMeetingParticipants(self, options: dict) -> dict:
        return {"participants": [participant.info() for participant in self.meeting.participants]}

    # -- rendering context --------------------------------------------------------------------
    @api(contexts=SIDEBAR_CONTEXTS)
    async def runRenderingContext(self, options: dict) -> dict:
        """Open a camera or immersive rendering context and the rendered app instance."""
        view = _choice(options.get("view"), View, "view")
        default_cutout = _choice(options.get("defaultCutout", Cutout.STANDARD.value), Cutout, "defaultCutout")
        resolution = options.get("resolutionMode")
        if resolution is not None and resolution not in RESOLUTIONS:
            raise api_error(Code.INVALID_ARGUMENT, f"resolutionMode must be one of {', '.join(RESOLUTIONS)}, "
                                                   f"got {resolution!r}")
        frame_rate = options.get("frameRate", DEFAULT_FRAME_RATE)
        if (isinstance(frame_rate, bool) or not isinstance(frame_rate, (int, float))
                or not 0 < frame_rate <= MAX_FRAME_RATE):
            raise api_error(Code.INVALID_ARGUMENT, f"frameRate must be a number in (0, {MAX_FRAME_RATE:g}], "
                                                   f"got {frame_rate!r}")
        client = self._client
        if client.rendered is not None:
            raise api_error(Code.CONTEXT_ALREADY_RUNNING,
                            f"a {self.scene.context.view.value} rendering context is already running; "
                            "call closeRenderingContext first")
        if view is View.IMMERSIVE:
            if client.enforce_roles and self.role != "host":
                raise api_error(Code.HOST_ONLY, "Only the host can perform this action. "
                                                f"(immersive runRenderingContext; this user is {self.role!r})")
            if self.meeting.immersive_holder not in (None, client):
                raise api_error(Code.IMMERSIVE_IN_USE, "another app instance already holds this meeting's "
                                                       "immersive rendering context")
        width, height, dpr = self._canvas(view, resolution)
        context = RenderingContext(view, width, height, default_cutout, float(frame_rate), dpr)
        client.store.update(lambda scene: scene.with_context(context))
        if view is View.IMMERSIVE:
            self.meeting.immersive_holder = client
        client.rendered = ZoomSdk._attach(client, RENDERED_CONTEXTS[view])
        main = client.main
        main._emit("onRenderedAppOpened", {"timestamp": _now(), "view": view.value,
                                           "defaultCutout": default_cutout.value, "byInvitation": False})
        main._emit("onRunningContextChange", {"runningContext": RENDERED_CONTEXTS[view], "timestamp": _now()})
        return _success()

    def canvas_for(self, view: str, resolution: str | None = None) -> tuple[int, int]:
        """The canvas (device px) runRenderingContext({view, resolutionMode}) would open."""
        if resolution is not None and resolution not in RESOLUTIONS:
            raise api_error(Code.INVALID_ARGUMENT, f"resolutionMode must be one of {', '.join(RESOLUTIONS)}, "
                                                   f"got {resolution!r}")
        return self._canvas(_choice(view, View, "view"), resolution)[:2]

    def _canvas(self, view: View, resolution: str | None) -> tuple[int, int, float]:
        """Canvas in device px and the drawing page's dpr (camera mode: renderTarget pixels, dpr 1)."""
        client = self._client
        if view is View.CAMERA:
            width, height = RESOLUTIONS[resolution] if resolution else client.render_target
            return width, height, 1.0
        if resolution:
            return (*RESOLUTIONS[resolution], client.dpr)
        return (math.trunc(client.window[0] * client.dpr), math.trunc(client.window[1] * client.dpr), client.dpr)

    @api()
    async def closeRenderingContext(self, options: dict) -> dict:
        """Close the rendering context: its layers go with it and the rendered instance ends."""
        client = self._client
        if client.rendered is None:
            raise api_error(Code.NO_RENDERING_CONTEXT, "closeRenderingContext: no rendering context is running")
        client.store.update(lambda scene: scene.with_context(None))
        self._end_rendered()
        client.main._emit("onRunningContextChange", {"runningContext": client.main.running_context,
                                                     "timestamp": _now()})
        return _success()

    def _end_rendered(self) -> None:
        client = self._client
        if client.rendered is not None:
            client.rendered._instance.events.clear()
            client.rendered._instance.capabilities = frozenset()
            client.rendered = None
        if self.meeting.immersive_holder is client:
            self.meeting.immersive_holder = None

    def _context(self, name: str) -> RenderingContext:
        context = self.scene.context
        if context is None:
            raise api_error(Code.NO_RENDERING_CONTEXT, f"{name}: no rendering context; call runRenderingContext "
                                                       "first")
        return context

    # -- layers -------------------------------------------------------------------------------
    @api(roles=HOST_ROLES)
    async def drawParticipant(self, options: dict) -> dict:
        """Draw (or move / restack) a participant's video, fitted in the box, with a cutout."""
        context = self._context("drawParticipant")
        participant = self._participant(options, "drawParticipant")
        if context.view is View.CAMERA and participant.participant_uuid != self._client.local_uuid:
            raise api_error(Code.CAMERA_MODE_SELF_ONLY, "drawParticipant: in camera mode only the user's own video "
                                                        f"may be drawn, not {participant.participant_uuid!r}")
        box = self._rect(options, context, "drawParticipant", defaults=("0px", "0px", "100%", "100%"))
        z_index = _z_index(options)
        cutout = _choice(options.get("cutout", context.default_cutout.value), Cutout, "cutout")
        mirroring = options.get("cameraModeMirroring", False)
        if not isinstance(mirroring, bool):
            raise api_error(Code.INVALID_ARGUMENT, f"cameraModeMirroring must be true or false, got {mirroring!r}")
        if cutout is Cutout.PERSON and self._client.segmenter is None:
            raise api_error(Code.NO_SMART_VB_PACKAGE)
        mirrored = mirroring and context.view is View.CAMERA    # "only available in camera mode"
        uuid = participant.participant_uuid
        self._client.store.update(lambda scene: scene.with_layer(
            ParticipantLayer(uuid, box, z_index, scene.next_order, cutout, mirrored)))
        return _success()

    @api(roles=HOST_ROLES)
    async def clearParticipant(self, options: dict) -> dict:
        """Remove a participant's layer (a participant who is not drawn is left as is)."""
        self._context("clearParticipant")
        participant = self._participant(options, "clearParticipant")
        self._client.store.update(lambda scene: scene.without(("participant", participant.participant_uuid)))
        return _success()

    @api()
    async def drawImage(self, options: dict) -> dict:
        """Draw ImageData at its own size at (x, y); identical geometry replaces (same imageId)."""
        context = self._context("drawImage")
        if "imageData" not in options:
            raise api_error(Code.INVALID_ARGUMENT, "drawImage needs imageData")
        x = self._px(options, "x", "0px", context.width, context)
        y = self._px(options, "y", "0px", context.height, context)
        z_index = _z_index(options)
        rgba = await asyncio.to_thread(imagedata.decode_image_data, options["imageData"])
        pixels = imagedata.scene_pixels(rgba)
        rect = Rect(math.trunc(x), math.trunc(y), pixels.shape[1], pixels.shape[0])
        new_id = str(uuidlib.uuid4())
        chosen: list[str] = []

        def change(scene: Scene) -> Scene:
            same = next((layer for layer in scene.layers if isinstance(layer, ImageLayer)
                         and layer.rect == rect and layer.z_index == z_index), None)
            image_id = same.image_id if same is not None and self._client.reuse_image_ids else new_id
            if same is not None:
                scene = scene.without(same.key)
            chosen.append(image_id)
            return scene.with_layer(ImageLayer(image_id, rect, z_index, scene.next_order, pixels))

        self._client.store.update(change)
        return {"imageId": chosen[-1]}

    @api()
    async def clearImage(self, options: dict) -> dict:
        self._context("clearImage")
        image_id = options.get("imageId")

        def change(scene: Scene) -> Scene:
            if not isinstance(image_id, str) or scene.find(("image", image_id)) is None:
                raise api_error(Code.UNKNOWN_IMAGE, f"clearImage: no image with imageId {image_id!r} is drawn")
            return scene.without(("image", image_id))

        self._client.store.update(change)
        return _success()

    @api()
    async def drawWebView(self, options: dict) -> dict:
        """Place the app's off-screen page (camera mode); webviewId is ignored, as the SDK forces ''."""
        context = self._context("drawWebView")
        if context.view is not View.CAMERA:
            raise api_error(Code.WRONG_RUNNING_CONTEXT, "drawWebView is a camera-mode call; the rendering "
                                                        f"context is {context.view.value!r}")
        if self._client.webview is None:
            raise api_error(Code.NO_WEBVIEW_SOURCE, "drawWebView: this session has no web view (pass "
                                                    "ZoomSdk(webview=...) or a script's \"webview\")")
        rect = self._rect(options, context, "drawWebView", defaults=(0, 0, "100%", "100%"))
        z_index = _z_index(options)
        self._client.store.update(lambda scene: scene.with_layer(WebViewLayer(rect, z_index, scene.next_order)))
        return _success()

    @api()
    async def clearWebView(self, options: dict) -> dict:
        self._context("clearWebView")
        self._client.store.update(lambda scene: scene.without(("webview", "")))
        return _success()

    def _participant(self, options: dict, name: str):
        uuid, pid = options.get("participantUUID"), options.get("participantId")
        if uuid is None and pid is None:
            raise api_error(Code.INVALID_ARGUMENT, f"{name} needs participantUUID (or the deprecated participantId)")
        participant = self.meeting.find(uuid, pid)
        if participant is None:
            raise api_error(Code.UNKNOWN_PARTICIPANT, f"{name}: no participant {uuid if uuid is not None else pid!r} "
                                                      "in the meeting")
        return participant

    def _px(self, options: dict, key: str, default, canvas_px: int, context: RenderingContext) -> float:
        """One PixelValue in device px; "N%" is relative to the canvas in CSS px (canvas / dpr).

        Values beyond MAX_CANVAS_MULTIPLE canvases are refused: nothing out there is visible, and a
        cutout mask is rasterised at the box size, so a 1e5 px circle would stall rendering (issue 8).
        """
        value = options.get(key, default)
        try:
            px = to_device_px(value, canvas_px / context.dpr, context.dpr, key)
        except LayersValueError as error:
            raise api_error(Code.INVALID_ARGUMENT, str(error)) from None
        except OverflowError:             # "1e308%" times the canvas, or an int past float range
            raise api_error(Code.INVALID_ARGUMENT, f"{key} {value!r:.60} is out of range") from None
        if abs(px) > MAX_CANVAS_MULTIPLE * canvas_px:
            raise api_error(Code.INVALID_ARGUMENT, f"{key} {value!r:.60} is {px:.6g} device px, beyond "
                                                   f"{MAX_CANVAS_MULTIPLE} times the {canvas_px} px canvas")
        return px

    def _rect(self, options: dict, context: RenderingContext, name: str, defaults: tuple) -> Rect:
        x = self._px(options, "x", defaults[0], context.width, context)
        y = self._px(options, "y", defaults[1], context.height, context)
        width = self._px(options, "width", defaults[2], context.width, context)
        height = self._px(options, "height", defaults[3], context.height, context)
        try:
            return device_rect(x, y, width, height, name)
        except LayersValueError as error:
            raise api_error(Code.INVALID_ARGUMENT, str(error)) from None

    # -- "my video" effects -------------------------------------------------------------------
    @api(contexts=VB_CONTEXTS)
    async def setVirtualBackground(self, options: dict) -> dict:
        """An image (imageData or fileUrl) or a blur behind the person; needs the segmenter."""
        blur = options.get("blur", False)
        if not isinstance(blur, bool):
            raise api_error(Code.INVALID_ARGUMENT, f"setVirtualBackground.blur must be true or false, got {blur!r}")
        if not blur and options.get("imageData") is None and options.get("fileUrl") is None:
            raise api_error(Code.INVALID_ARGUMENT, "setVirtualBackground needs imageData, fileUrl or blur: true")
        if self._client.segmenter is None:
            raise api_error(Code.NO_SMART_VB_PACKAGE)
        if blur:                                                  # "blur: true supersedes imageData or fileUrl"
            background = VirtualBackground(blur=True)
        else:
            rgba = await asyncio.to_thread(self._background_rgba, options)
            background = VirtualBackground(pixels=imagedata.scene_pixels(rgba))
        self._client.store.update(lambda scene: scene.with_my_video(background=background))
        return _success()

    def _background_rgba(self, options: dict) -> np.ndarray:
        if options.get("imageData") is not None:
            return imagedata.decode_image_data(options["imageData"], limit=imagedata.LIMIT_15MB)
        return imagedata.load_file_url(options["fileUrl"], base_dir=self._client.base_dir,
                                       timeout=self._client.file_url_timeout,
                                       allow_private=self._client.allow_private_urls)

    @api(contexts=VB_CONTEXTS)
    async def removeVirtualBackground(self, options: dict) -> dict:
        self._client.store.update(lambda scene: scene.with_my_video(background=None))
        return _success()

    @api()
    async def setVirtualForeground(self, options: dict) -> dict:
        """An RGBA overlay on the user's video, stretched to the camera frame."""
        persistence = options.get("persistence", "meeting")
        if persistence not in ("meeting", "save", "app"):
            raise api_error(Code.INVALID_ARGUMENT, "setVirtualForeground.persistence must be 'meeting', 'save' or "
                                                   f"'app', got {persistence!r}")
        if options.get("imageData") is None:
            raise api_error(Code.INVALID_ARGUMENT, "setVirtualForeground needs imageData")
        rgba = await asyncio.to_thread(imagedata.decode_image_data, options["imageData"], imagedata.LIMIT_15MB)
        pixels = imagedata.scene_pixels(rgba)
        self._client.store.update(lambda scene: scene.with_my_video(foreground=pixels))
        self._client.foreground_persistence = persistence
        return _success()

    @api()
    async def removeVirtualForeground(self, options: dict) -> dict:
        def change(scene: Scene) -> Scene:
            if scene.my_video.foreground is None:
                raise api_error(Code.IMAGE_SET_REMOVE_FAILED, "Failed to set or remove the image. "
                                                              "(no virtual foreground is set)")
            return scene.with_my_video(foreground=None)

        self._client.store.update(change)
        self._client.foreground_persistence = None
        return _success()

    @api(contexts=FILTER_CONTEXTS)
    async def setVideoFilter(self, options: dict) -> dict:
        """A static RGBA image over the user's video; replaces any filter set before."""
        apply_all = options.get("applyToAllFutureMeetings", False)
        if not isinstance(apply_all, bool):
            raise api_error(Code.INVALID_ARGUMENT, f"applyToAllFutureMeetings must be true or false, got {apply_all!r}")
        if options.get("imageData") is None:
            raise api_error(Code.INVALID_ARGUMENT, "setVideoFilter needs imageData")
        rgba = await asyncio.to_thread(imagedata.decode_image_data, options["imageData"], imagedata.LIMIT_20MB)
        pixels = imagedata.scene_pixels(rgba)
        self._client.store.update(lambda scene: scene.with_my_video(video_filter=pixels))
        self._client.video_filter_all_meetings = apply_all
        return _success()

    @api(contexts=FILTER_CONTEXTS)
    async def deleteVideoFilter(self, options: dict) -> dict:
        def change(scene: Scene) -> Scene:
            if scene.my_video.video_filter is None:
                raise api_error(Code.NO_VIDEO_FILTER)
            return scene.with_my_video(video_filter=None)

        self._client.store.update(change)
        return _success()

    @api()
    async def setVideoMirrorEffect(self, options: dict) -> dict:
        """Mirror the local self-view only (what others receive is unchanged)."""
        mirror = options.get("mirrorMyVideo")
        if not isinstance(mirror, bool):
            raise api_error(Code.INVALID_ARGUMENT, f"setVideoMirrorEffect.mirrorMyVideo must be true or false, "
                                                   f"got {mirror!r}")
        self._client.store.update(lambda scene: scene.with_my_video(mirror_self_view=mirror))
        return _success()

    @api(contexts=VIDEO_SETTINGS_CONTEXTS)
    async def getVideoSettings(self, options: dict) -> dict:
        listed = self.cameras.list_cameras()["cameras"]
        active = getattr(self.cameras, "active", None)
        active_id = getattr(active, "id", None)
        devices = [{"cameraDeviceId": camera["id"], "cameraDeviceName": camera["name"],
                    "isSelected": camera["id"] == active_id} for camera in listed]
        return {**self._client.video_settings, "mirrorMyVideo": self.scene.my_video.mirror_self_view,
                "cameraDevices": devices}

    @api(contexts=VIDEO_SETTINGS_CONTEXTS)
    async def setVideoSettings(self, options: dict) -> dict:
        """Change only the settings passed (at least one); mirrorMyVideo and cameraDeviceId act now."""
        given = {key: options[key] for key in VIDEO_SETTING_KEYS if key in options}
        if not given:
            raise api_error(Code.INVALID_ARGUMENT, f"setVideoSettings needs at least one of {', '.join(VIDEO_SETTING_KEYS)}")
        for key, value in given.items():
            if key != "cameraDeviceId" and not isinstance(value, bool):
                raise api_error(Code.INVALID_ARGUMENT, f"setVideoSettings.{key} must be true or false, got {value!r}")
        if "cameraDeviceId" in given:
            self._set_camera(given["cameraDeviceId"], save=False)
        if "mirrorMyVideo" in given:
            self._client.store.update(lambda scene: scene.with_my_video(mirror_self_view=given["mirrorMyVideo"]))
        self._client.video_settings.update({k: v for k, v in given.items() if k not in ("mirrorMyVideo",
                                                                                       "cameraDeviceId")})
        return _success()

    # -- cameras ------------------------------------------------------------------------------
    @api()
    async def listCameras(self, options: dict) -> dict:
        return self.cameras.list_cameras()

    @api()
    async def setCamera(self, options: dict) -> dict:
        """Switch the camera (ids are strings from listCameras; numbers are accepted too)."""
        save = options.get("save", False)
        if not isinstance(save, bool):
            raise api_error(Code.INVALID_ARGUMENT, f"setCamera.save must be true or false, got {save!r}")
        if "id" not in options:
            raise api_error(Code.INVALID_ARGUMENT, "setCamera needs id (from listCameras)")
        self._set_camera(options["id"], save)
        return _success()

    def _set_camera(self, camera_id, save: bool) -> None:
        if isinstance(camera_id, bool) or not isinstance(camera_id, (str, int)):
            raise api_error(Code.INVALID_ARGUMENT, f"camera id must be a string or number, got {camera_id!r}")
        try:
            self.cameras.set_camera(camera_id, save=save)
        except CameraNotFound as error:
            raise api_error(Code.CAMERA_NOT_FOUND, f"no camera with id {camera_id!r}: {error}") from None

    # -- app instances talking ----------------------------------------------------------------
    @api()
    async def connect(self, options: dict) -> dict:
        """Connect this instance for postMessage; onConnect reports success."""
        self._instance.connected = True
        self._emit("onConnect", {"timestamp": _now(), "action": "success"})
        return _success()

    @api()
    async def postMessage(self, options: dict) -> dict:
        """Send a JSON payload to the other app instance, delivered as onMessage there.

        The payload arrives as a JSON *string*, as Zoom's own camera-mode sample observed
        (it does `JSON.parse(evt.payload)`), although sdk.d.ts types it as an object.
        """
        try:
            payload = json.dumps(options, separators=(",", ":"))
        except (TypeError, ValueError, RecursionError) as error:     # RecursionError: nested too deep
            raise api_error(Code.POST_MESSAGE_FAILED, f"Failed to post message to connect app. "
                                                      f"(payload is not JSON: {error})") from None
        if len(payload.encode()) >= POST_MESSAGE_LIMIT:
            raise api_error(Code.POST_MESSAGE_FAILED, "Failed to post message to connect app. "
                                                      f"(payload of {len(payload.encode())} bytes; the limit is 512 KB)")
        client = self._client
        other = client.rendered if self is client.main else client.main
        if other is None and not self._instance.connected:
            raise api_error(Code.NOT_CONNECTED)
        if other is not None:
            other._emit("onMessage", {"timestamp": _now(), "payload": payload})
        return _success()

    # -- events -------------------------------------------------------------------------------
    def addEventListener(self, event: str, handler: Callable[[dict], object]) -> None:
        """Register `handler(payload)` for an SDK event name such as 'onMessage'."""
        self._instance.events.add(event, handler)

    def removeEventListener(self, event: str, handler: Callable[[dict], object]) -> None:
        self._instance.events.remove(event, handler)

    def _emit(self, name: str, payload: dict) -> None:
        """Deliver an event to this instance, if it configured it (as the client does)."""
        instance, client = self._instance, self._client
        if instance.capabilities is None:
            return
        if client.require_capabilities and name not in instance.capabilities:
            return
        if name in ("onParticipantChange", "onActiveSpeakerChange") and client.enforce_roles \
                and self.role not in HOST_ROLES:
            return                                   # documented for Host and Co-Host only
        instance.events.emit(name, payload)

    def _broadcast(self, name: str, payload: dict) -> None:
        for sdk in self._client.instances():
            sdk._emit(name, payload)

    def _on_meeting_event(self, name: str, payload: dict, subject: str | None = None) -> None:
        if subject is not None and subject != self._client.local_uuid:
            return                                    # another app user's personal event
        if name == "onParticipantChange":
            for entry in payload["participants"]:
                if entry["status"] == "leave":        # a participant who leaves disappears from the canvas
                    key = ("participant", entry["participantUUID"])
                    self._client.store.update(lambda scene: scene.without(key))
                    self._client.masks.forget(entry["participantUUID"])   # its thread ends with it
        self._broadcast(name, payload)

    def _on_media_change(self, media: dict) -> None:
        self._broadcast("onMyMediaChange", {"media": media, "timestamp": _now()})

    # -- JS-bridge entry point ----------------------------------------------------------------
    async def call(self, api_name: str, data: dict | None = None) -> dict:
        """Dispatch by SDK name (what the JS bridge receives as apiName)."""
        if api_name == "config":
            return await self.config(data)
        if api_name not in APIS:
            raise api_error(Code.UNSUPPORTED_API, f"unknown or unsupported API {api_name!r}")
        return await getattr(self, api_name)(data)

    # -- frames -------------------------------------------------------------------------------
    def _local_frame(self):
        latest = getattr(self.cameras, "latest", None)
        return latest() if callable(latest) else None

    def render(self, view: str = "stream", out: np.ndarray | None = None) -> np.ndarray:
        """Compose a frame now from the latest camera frames: HxWx3 uint8 RGB.

        view="stream" is what other participants receive; view="self" is the local preview
        (mirrorMyVideo applies there only).
        """
        from compositor.render import Compositor      # the renderer is optional for scene-only use

        if view not in ("stream", "self"):
            raise LayersValueError(f"view must be 'stream' or 'self', got {view!r}")
        client = self._client
        with client.lock:
            if client.compositor is None:
                client.compositor = Compositor()
        scene = self.scene
        return client.compositor.render(scene, self.sources(scene), view=view, out=out)

    def sources(self, scene: Scene | None = None):
        """What one frame draws from: latest camera frames, person masks, the web-view frame."""
        from compositor.render import Sources

        scene = scene or self.scene
        client = self._client
        local = client.local_uuid
        frames, seqs, names = {}, {}, {}
        wanted = {layer.participant_uuid for layer in scene.layers if isinstance(layer, ParticipantLayer)}
        for uuid in wanted | {local}:
            participant = self.meeting.get(uuid)
            frame = participant.latest_frame() if participant is not None else None
            if frame is not None:
                frames[uuid], seqs[uuid] = frame.rgb, getattr(frame, "seq", None)
                if uuid == local:
                    client.last_capture_time = getattr(frame, "timestamp", None)
            elif participant is not None:
                names[uuid] = participant.screen_name      # no video: drawn as a name card
        masks = {uuid: client.masks.mask(uuid, frames[uuid], seqs[uuid])
                 for uuid in self._needs_mask(scene) if uuid in frames}
        webview = None
        if client.webview is not None and any(isinstance(layer, WebViewLayer) for layer in scene.layers):
            webview = client.webview.latest()
        blurred = None
        background = scene.my_video.background
        if background is not None and background.blur and local in frames:
            blurred = client.masks.blurred(frames[local], seqs[local])
        return Sources(local_uuid=local, frames=frames, masks=masks, webview=webview, blurred_background=blurred,
                       unsegmented=frozenset(client.masks.errors), names=names)

    def _needs_mask(self, scene: Scene) -> set[str]:
        if self._client.segmenter is None:
            return set()
        needs = {layer.participant_uuid for layer in scene.layers
                 if isinstance(layer, ParticipantLayer) and layer.cutout is Cutout.PERSON}
        if scene.my_video.background is not None:
            needs.add(self._client.local_uuid)
        return needs

    @property
    def segmentation_errors(self) -> dict[str, str]:
        """participantUUID -> why person segmentation fails for them now (empty while all is well)."""
        return self._client.masks.errors

    # -- life cycle ---------------------------------------------------------------------------
    def close(self) -> None:
        """End the session: cameras (local and joined) closed, the immersive context released."""
        client = self._client
        if client.closed:
            return
        client.closed = True
        client.masks.close()
        self._end_rendered()
        client.meeting.unsubscribe(client.main._on_meeting_event)
        client.meeting.close()
        close = getattr(client.cameras, "close", None)
        if callable(close):
            close()

    def __enter__(self) -> "ZoomSdk":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _make_on(event: str):
    def on(self: ZoomSdk, handler: Callable[[dict], object]) -> None:
        self.addEventListener(event, handler)
    on.__name__ = event
    on.__doc__ = f"Register a handler for {event} (same as addEventListener('{event}', handler))."
    return on


for _event in EVENTS:
    setattr(ZoomSdk, _event, _make_on(_event))


def supported_apis() -> set[str]:
    """Every method and event this runtime implements (getSupportedJsApis)."""
    return {"config", *APIS, *EVENTS}


def _choice(value, enum, field_name: str):
    try:
        return enum(value)
    except ValueError:
        choices = ", ".join(repr(member.value) for member in enum)
        raise api_error(Code.INVALID_ARGUMENT, f"{field_name} must be one of {choices}, got {value!r}") from None


def _z_index(options: dict):
    try:
        return parse_z_index(options.get("zIndex", 1))
    except LayersValueError as error:
        raise api_error(Code.INVALID_ARGUMENT, str(error)) from None
    except OverflowError:                 # an int past float range: layout's isfinite check overflows
        raise api_error(Code.INVALID_ARGUMENT, f"zIndex {options.get('zIndex')!r:.60} is out of range") from None


def _check_size(size, name: str) -> None:
    if (not isinstance(size, (tuple, list)) or len(size) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in size)):
        raise LayersValueError(f"{name} must be (width, height) in positive integers, got {size!r}")


def _camera_manager(cameras, discover_devices: bool):
    from cameras import CameraManager     # imported here: the facade works with any manager-like object

    return CameraManager(list(cameras), discover_devices=discover_devices)
