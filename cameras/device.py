"""Real V4L2 cameras, read through OpenCV (CAP_V4L2) or PyAV (FFmpeg's v4l2 input).

Each backend negotiates a pixel format (MJPEG or YUYV), size and frame rate, and reports what
the driver actually gave, which is often not what was asked. YUYV frames are converted to RGB
by our own kernel (`native.convert.yuyv_to_rgb`, BT.601 limited range as UVC cameras send);
MJPEG frames are decoded by the backend. The opener tries the backends in order and, if all
fail, raises one error listing each backend's reason (as pyvirtualcam does).
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Protocol

import av
import cv2
import numpy as np

from cameras.base import Camera
from compositor.errors import CameraError, CameraNotFound, DeviceBusy, LayersValueError
from native.convert import ColorRange, Matrix, yuyv_to_rgb

PIXEL_FORMATS = {"mjpeg": ("MJPG", "mjpeg"), "yuyv": ("YUYV", "yuyv422")}  # ours -> (fourcc, FFmpeg name)
DEFAULT_PIXEL_FORMAT = "mjpeg"  # MJPEG reaches 720p30 over USB 2 where YUYV often manages only 10 fps
UVC_MATRIX, UVC_RANGE = Matrix.BT601, ColorRange.LIMITED  # what UVC cameras put in YUYV


def yuyv_buffer_to_rgb(buffer: np.ndarray, width: int, height: int) -> np.ndarray:
    """A raw YUYV capture buffer (any shape holding width*height*2 bytes) -> HxWx3 RGB."""
    if buffer.size != width * height * 2:
        raise CameraError(f"YUYV buffer has {buffer.size} bytes, expected {width}x{height}x2 = {width * height * 2}")
    packed = np.ascontiguousarray(buffer).reshape(height, width, 2)
    return yuyv_to_rgb(packed, matrix=UVC_MATRIX, color_range=UVC_RANGE, parallel=False)


def fourcc_text(code: float) -> str:
    code = int(code)
    return "".join(chr((code >> (8 * i)) & 0xFF) for i in range(4)).strip("\0")


@contextmanager
def _quiet_opencv():
    previous = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    try:
        yield
    finally:
        cv2.utils.logging.setLogLevel(previous)


class Capture(Protocol):
    """An open device: read() blocks for the next frame and returns RGB; `details` is what was negotiated."""

    details: dict

    def read(self) -> np.ndarray: ...

    def close(self) -> None: ...


class OpenCVCapture:
    """cv2.VideoCapture with CAP_V4L2; YUYV is fetched raw (CONVERT_RGB off) and converted by our kernel."""

    name = "opencv"

    def __init__(self, path: str, width: int, height: int, fps: float, pixel_format: str):
        with _quiet_opencv():  # its WARN lines would repeat what our aggregated error says
            cap = cv2.VideoCapture(path, cv2.CAP_V4L2)
        if not cap.isOpened():
            cap.release()
            raise CameraError("cv2.VideoCapture could not open the device")
        cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*PIXEL_FORMATS[pixel_format][0]))
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        cap.set(cv2.CAP_PROP_FPS, fps)
        self._cap = cap
        self._fourcc = fourcc_text(cap.get(cv2.CAP_PROP_FOURCC))
        self._size = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        if self._fourcc == "YUYV":
            cap.set(cv2.CAP_PROP_CONVERT_RGB, 0)  # hand us the packed bytes, not OpenCV's BGR
        self.details = {"backend": self.name, "width": self._size[0], "height": self._size[1],
                        "fps": cap.get(cv2.CAP_PROP_FPS), "pixel_format": self._fourcc.lower() or "unknown"}

    def read(self) -> np.ndarray:
        ok, image = self._cap.read()
        if not ok or image is None:
            raise CameraError("the device returned no frame (unplugged or stalled?)")
        if self._fourcc == "YUYV":
            return yuyv_buffer_to_rgb(image, *self._size)
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)

    def close(self) -> None:
        self._cap.release()


class PyAVCapture:
    """FFmpeg's v4l2 demuxer; MJPEG is decoded by FFmpeg, yuyv422 by our kernel."""

    name = "pyav"

    def __init__(self, path: str, width: int, height: int, fps: float, pixel_format: str):
        options = {"video_size": f"{width}x{height}", "framerate": f"{fps:g}",
                   "input_format": PIXEL_FORMATS[pixel_format][1]}
        try:
            self._container = av.open(path, format="v4l2", options=options)
        except av.error.FFmpegError as error:
            raise CameraError(str(error)) from error
        stream = self._container.streams.video[0]
        self._frames = self._container.decode(stream)
        rate = stream.average_rate or stream.guessed_rate
        self.details = {"backend": self.name, "width": stream.codec_context.width,
                        "height": stream.codec_context.height, "fps": float(rate) if rate else None,
                        "pixel_format": stream.codec_context.pix_fmt or stream.codec_context.name}

    def read(self) -> np.ndarray:
        frame = next(self._frames, None)
        if frame is None:
            raise CameraError("the device stream ended (unplugged?)")
        if frame.format.name == "yuyv422":
            return yuyv_buffer_to_rgb(frame.to_ndarray(), frame.width, frame.height)
        return frame.to_ndarray(format="rgb24")

    def close(self) -> None:
        self._container.close()


BACKENDS: dict[str, type] = {"opencv": OpenCVCapture, "pyav": PyAVCapture}


def open_capture(path: str, width: int, height: int, fps: float, pixel_format: str,
                 backends: tuple[str, ...]) -> Capture:
    """The first backend that opens `path` and delivers a frame; else one error naming every reason."""
    if not os.path.exists(path):
        raise CameraNotFound(f"camera device {path!r} does not exist (unplugged? see `layers cameras`)")
    if not os.access(path, os.R_OK | os.W_OK):
        raise CameraError(f"no permission to open {path!r}: add yourself to the 'video' group")
    reasons = []
    for name in backends:
        try:
            return BACKENDS[name](path, width, height, fps, pixel_format)
        except CameraError as error:
            reasons.append(f"'{name}' backend: {error}")
        except OSError as error:
            if error.errno == 16:  # EBUSY
                raise DeviceBusy(f"camera {path!r} is in use by another program") from error
            reasons.append(f"'{name}' backend: {error}")
    raise CameraError(f"could not open camera {path!r}: " + "; ".join(reasons))


class DeviceCamera(Camera):
    """A V4L2 camera. `device` is a path (/dev/video0, /dev/v4l/by-id/...) or an index (0 = /dev/video0).

    `backend` picks "opencv" or "pyav"; None tries both, OpenCV first (its V4L2 reader is the
    most widely used). `info()` reports the negotiated size, fps, pixel format and backend.
    """

    def __init__(self, device: str | int, *, width: int = 1280, height: int = 720, fps: float = 30.0,
                 pixel_format: str = DEFAULT_PIXEL_FORMAT, backend: str | None = None,
                 camera_id: str | None = None, name: str | None = None):
        if pixel_format not in PIXEL_FORMATS:
            raise LayersValueError(f"pixel_format must be one of {sorted(PIXEL_FORMATS)}, got {pixel_format!r}")
        if backend is not None and backend not in BACKENDS:
            raise LayersValueError(f"backend must be one of {sorted(BACKENDS)} or None, got {backend!r}")
        self.path = f"/dev/video{device}" if isinstance(device, int) else str(device)
        self.width, self.height, self.fps, self.pixel_format = width, height, fps, pixel_format
        self.backends = (backend,) if backend else tuple(BACKENDS)
        super().__init__(camera_id or self.path, name or f"Camera {self.path}")
        self._capture: Capture | None = None

    def _open_source(self) -> None:
        self._capture = open_capture(self.path, self.width, self.height, self.fps, self.pixel_format, self.backends)
        self._details = {**self._capture.details, "device": self.path,
                         "requested": f"{self.width}x{self.height}@{self.fps:g} {self.pixel_format}"}
        if self._details.get("pixel_format") in ("yuyv", "yuyv422"):
            yuyv_buffer_to_rgb(np.zeros(8, np.uint8), 2, 2)  # compile/load the kernel now, not on frame 1

    def _read(self) -> np.ndarray:
        rgb = self._capture.read()
        if rgb.shape[1] != self._details.get("width") or rgb.shape[0] != self._details.get("height"):
            self._details.update(width=rgb.shape[1], height=rgb.shape[0])  # the driver changed its mind
        return rgb

    def _close_source(self) -> None:
        capture, self._capture = self._capture, None
        if capture is not None:
            capture.close()
