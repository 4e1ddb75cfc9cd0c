"""`--virtual-camera [DEVICE]`: a camera any meeting app or browser can pick, via pyvirtualcam.

pyvirtualcam chooses the OS backend (v4l2loopback on Linux, OBS on Windows and macOS),
checks every frame's shape and converts to the device's native format in C++. The render loop
already paces frames, so this sink sends each one as it comes instead of sleeping again.

On Linux the device comes from the v4l2loopback kernel module; without it this sink fails once,
at open, with the command that creates one (`NO_DEVICE_HINT`).
"""

from __future__ import annotations

import sys

import cv2
import numpy as np
import pyvirtualcam

from compositor.errors import LayersValueError, SinkError
from compositor.sinks.base import Sink
from compositor.sinks.yuv import rgb_to_i420
from compositor.stats import FrameMeta

# Frame formats this sink can hand to pyvirtualcam; the backend converts further if it must.
FORMATS = ("RGB", "BGR", "I420")

NO_DEVICE_HINT = {
    "linux": ('create one with: sudo modprobe v4l2loopback exclusive_caps=1 card_label="Layers" '
              "(package v4l2loopback-dkms; exclusive_caps=1 is needed for Chrome and other "
              "browsers to list the camera)"),
    "darwin": "install OBS Studio and start its virtual camera once, so its system extension is installed",
    "win32": "install OBS Studio (its virtual camera driver) or Unity Capture",
}


class VirtualCameraSink(Sink):
    def __init__(self, device: str | None = None, fmt: str = "RGB", backend: str | None = None,
                 view: str = "stream"):
        super().__init__(view)
        if fmt not in FORMATS:
            raise LayersValueError(f"unknown virtual camera format {fmt!r}: expected one of {', '.join(FORMATS)}")
        self.requested_device, self.fmt, self.backend = device, fmt, backend
        self.name = f"virtual camera {device}" if device else "virtual camera"
        self._camera: pyvirtualcam.Camera | None = None
        self._planes: np.ndarray | None = None

    def format(self) -> str:
        if self._camera is None:
            return "not open"
        camera = self._camera
        native = camera.native_fmt.name if camera.native_fmt else "unknown"
        return (f"{camera.device} via {camera.backend}, {self.fmt} -> native {native}, "
                f"{camera.width}x{camera.height}@{camera.fps:g}")

    def _open(self, size: tuple[int, int], fps: float) -> None:
        width, height = size
        try:
            self._camera = pyvirtualcam.Camera(width, height, fps, fmt=pyvirtualcam.PixelFormat[self.fmt],
                                               device=self.requested_device, backend=self.backend)
        except RuntimeError as error:
            hint = NO_DEVICE_HINT.get(sys.platform, "see pyvirtualcam's documentation for your OS")
            where = f" {self.requested_device}" if self.requested_device else ""
            reason = str(error).replace("\n", "; ")
            raise SinkError(f"no virtual camera device{where} ({reason}); {hint}") from error
        self.name = f"virtual camera {self._camera.device}"
        if self.fmt == "I420":
            self._planes = np.empty((height * 3 // 2, width), np.uint8)

    def _write(self, frame: np.ndarray, meta: FrameMeta) -> None:
        if self.fmt == "BGR":
            frame = cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)
        elif self.fmt == "I420":
            frame = rgb_to_i420(frame, out=self._planes)
        try:
            self._camera.send(frame)
        except (RuntimeError, OSError) as error:  # device removed or its reader misbehaved
            raise SinkError(f"{self.name}: sending a frame failed: {error}") from error

    def _close(self) -> None:
        self._camera.close()
