"""CameraManager: `listCameras` / `setCamera`, the active camera, and what the renderer shows.

The renderer calls `latest()` once per output frame and never waits. It gets the newest frame
of the active camera; across a switch it keeps getting the previous camera's last frame until
the new one delivers; when the active camera fails or stalls it keeps the last frame for
`no_video_timeout` seconds and then gets a clear "no video" frame until the camera recovers.

A small watchdog thread turns those transitions into the SDK's `onMyMediaChange` payloads:
`{"video": {"state": True, "width": w, "height": h}}` when video starts, switches camera or
changes size, and `{"video": {"state": False}}` when it fails, stalls or stops.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Callable

import cv2
import numpy as np

from cameras.base import Camera
from cameras.config import load_config, save_default_camera
from cameras.device import DeviceCamera
from cameras.discovery import list_devices
from cameras.frame import Frame
from cameras.spec import camera_from_spec
from compositor.errors import CameraNotFound, LayersError, LayersValueError

log = logging.getLogger(__name__)

WATCH_INTERVAL = 0.05  # seconds between watchdog checks: events arrive within one renderer frame or two
NO_VIDEO_SIZE = (1280, 720)  # size of the "no video" frame before any camera delivered
NO_VIDEO_GREY = 40

MediaListener = Callable[[dict], None]


class CameraManager:
    """Cameras by id: discovered V4L2 devices, then configured ones (passed in, or from the config file)."""

    def __init__(self, cameras=(), *, discover_devices: bool = True, config_path: str | os.PathLike | None = None,
                 no_video_timeout: float = 2.0, device_root: str | os.PathLike = "/"):
        if not no_video_timeout > 0:
            raise LayersValueError(f"no_video_timeout must be a positive number of seconds, got {no_video_timeout!r}")
        self.no_video_timeout = no_video_timeout
        self.discover_devices = discover_devices
        self.device_root = device_root
        self.config_path = config_path
        config = load_config(config_path)
        self._configured: dict[str, Camera] = {}
        for camera in list(cameras) + [camera_from_spec(spec) for spec in config.cameras]:
            self._configured.setdefault(camera.id, camera)
        self._devices: dict[str, Camera] = {}  # DeviceCamera objects made on first use, by id
        self._listeners: list[MediaListener] = []
        self._switch_lock = threading.Lock()  # one switch at a time
        self._state_lock = threading.Lock()  # held frame / no-video bookkeeping
        self._active: Camera | None = None
        self._held: Frame | None = None
        self._switched_at = time.monotonic()
        self._no_video: Frame | None = None
        self._reported: tuple | None = None  # (camera id, width, height) last announced as live
        self._stalled_before = False  # the last "no video" was a stall (no frames, no error)
        self._closed = threading.Event()
        self._start_default(config.default_camera, [c.id for c in cameras])
        self._watchdog = threading.Thread(target=self._watch, name="camera-manager watchdog", daemon=True)
        self._watchdog.start()

    # ------------------------------------------------------------ SDK surface

    def list_cameras(self) -> dict:
        """`{"cameras": [{"id": str, "name": str}, ...]}`: devices first, then configured cameras."""
        entries = [{"id": d.id, "name": d.name} for d in self._discover()]
        entries += [{"id": c.id, "name": c.name} for c in self._configured.values()]
        return {"cameras": entries}

    def set_camera(self, camera_id: str | int, save: bool = False) -> None:
        """Make `camera_id` the live source without stopping the renderer; `save` makes it the default.

        The SDK types the id as a number while `listCameras` returns strings: both are accepted.
        Unknown ids raise `CameraNotFound`; a camera that cannot be opened raises `CameraError`
        and the current camera stays live.
        """
        key = str(camera_id)
        camera = self._lookup(key)
        with self._switch_lock:
            if camera is not self._active:
                camera.open()
                with self._state_lock:
                    previous, self._active = self._active, camera
                    self._switched_at = time.monotonic()
                if previous is not None:
                    previous.close()
                log.info("camera switched to %s", camera.id)
        if save:
            save_default_camera(camera.id, self.config_path)

    @property
    def active(self) -> Camera | None:
        return self._active

    def latest(self) -> Frame | None:
        """What the output shows now: the held frame, or "no video" once it is older than the timeout."""
        now = time.monotonic()
        with self._state_lock:
            camera = self._active
            frame = camera.latest() if camera is not None else None
            if frame is not None:  # a camera's frames start after its open(), so always newer than the held one
                self._held = frame
            alive_at = self._switched_at if frame is None else max(frame.timestamp, self._switched_at)
            if now - alive_at <= self.no_video_timeout:
                self._no_video = None
                return self._held
            return self._no_video_frame(camera)

    def add_listener(self, callback: MediaListener) -> None:
        """Call `callback(media)` with each `onMyMediaChange` payload (on the watchdog thread)."""
        self._listeners.append(callback)

    def remove_listener(self, callback: MediaListener) -> None:
        self._listeners.remove(callback)

    def close(self) -> None:
        """Stop the watchdog and release every camera; announces `{"video": {"state": False}}` if live."""
        if self._closed.is_set():
            return
        self._closed.set()
        self._watchdog.join()
        with self._switch_lock:
            camera, self._active = self._active, None
            if camera is not None:
                camera.close()
            for other in list(self._configured.values()) + list(self._devices.values()):
                other.close()
        if self._reported is not None:
            self._reported = None
            self._emit({"video": {"state": False}})

    def __enter__(self) -> CameraManager:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # ------------------------------------------------------------ internals

    def _discover(self):
        return list_devices(self.device_root) if self.discover_devices else []

    def _lookup(self, key: str) -> Camera:
        if key in self._configured:
            return self._configured[key]
        if key in self._devices:
            return self._devices[key]
        for device in self._discover():
            if device.id == key:
                camera = DeviceCamera(device.path, camera_id=device.id, name=device.name)
                self._devices[key] = camera
                return camera
        known = [entry["id"] for entry in self.list_cameras()["cameras"]]
        raise CameraNotFound(f"no camera with id {key!r}; available: {known or 'none'}")

    def _start_default(self, saved: str | None, passed: list[str]) -> None:
        """Open the saved default camera, else the first passed, device or configured one that opens."""
        if saved and saved not in self._configured and not saved.startswith("/dev/"):
            try:  # ids of synthetic and file cameras are specs: a default saved from the CLI recreates itself
                self._configured[saved] = camera_from_spec(saved)
            except LayersError as error:
                log.info("saved default camera %r ignored: %s", saved, error)
        candidates = ([saved] if saved else []) + passed + [d.id for d in self._discover()] + list(self._configured)
        for key in dict.fromkeys(candidates):
            try:
                self.set_camera(key)
                return
            except LayersError as error:  # unplugged default, missing file: try the next one
                log.info("camera %s not started: %s", key, error)

    def _no_video_frame(self, camera: Camera | None) -> Frame:
        if self._no_video is None:
            width, height = (self._held.width, self._held.height) if self._held is not None else NO_VIDEO_SIZE
            reason = camera.error if camera is not None and camera.error else "no camera" if camera is None else "no frames"
            self._no_video = Frame(_render_no_video(width, height, reason), time.monotonic(), 0)
        return self._no_video

    def _watch(self) -> None:
        while not self._closed.wait(WATCH_INTERVAL):
            try:
                self._check()
            except Exception:  # a listener bug must not kill the watchdog
                log.exception("camera watchdog")

    def _check(self) -> None:
        """Announce a change of what the output shows: live video (which camera, what size) or none."""
        camera = self._active
        frame = self.latest()
        live = (camera is not None and camera.error is None and frame is not None
                and frame is not self._no_video and frame is camera.latest())
        state = (camera.id, frame.width, frame.height) if live else None
        if state == self._reported:
            return
        if state is None and (self._reported is not None and camera is not None and camera.error is None
                              and frame is not self._no_video):
            return  # switching: the old frame is still held and the new camera has not failed yet
        self._log_transition(camera, state)
        self._reported = state
        self._emit({"video": {"state": True, "width": state[1], "height": state[2]}} if state else {"video": {"state": False}})

    def _log_transition(self, camera: Camera | None, state: tuple | None) -> None:
        """Say once why video stopped or that it is back. A failing camera logs its own error; a
        stalled one raises nothing, so the manager is the only one who can tell (issue 8)."""
        if state is None and self._reported is not None and camera is not None and camera.error is None:
            log.warning("camera %s delivered no frame for %.1f s; showing NO VIDEO until it does",
                        camera.id, self.no_video_timeout)
        elif state is not None and self._reported is None and self._stalled_before:
            log.info("camera %s delivers again", state[0])
        self._stalled_before = state is None and camera is not None and camera.error is None

    def _emit(self, media: dict) -> None:
        for callback in list(self._listeners):
            try:
                callback(media)
            except Exception:
                log.exception("onMyMediaChange listener %r failed", callback)


def _render_no_video(width: int, height: int, reason: str) -> np.ndarray:
    """A dark frame saying NO VIDEO (and why), so a failure is obvious in any output."""
    image = np.full((height, width, 3), NO_VIDEO_GREY, np.uint8)
    scale = max(0.5, height / 360)
    font = cv2.FONT_HERSHEY_SIMPLEX
    (text_w, text_h), _ = cv2.getTextSize("NO VIDEO", font, scale, max(1, int(2 * scale)))
    cv2.putText(image, "NO VIDEO", ((width - text_w) // 2, (height + text_h) // 2), font, scale,
                (230, 230, 230), max(1, int(2 * scale)), cv2.LINE_AA)
    cv2.putText(image, reason[:90], (int(10 * scale), height - int(12 * scale)), font, 0.35 * scale,
                (160, 160, 160), 1, cv2.LINE_AA)
    image.flags.writeable = False
    return image
