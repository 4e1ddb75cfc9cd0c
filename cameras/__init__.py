"""Cameras: discovery (`listCameras`), capture backends, synthetic cameras and hot switching.

    from cameras import CameraManager, TestPatternCamera
    with CameraManager([TestPatternCamera(1280, 720, 30)]) as manager:
        print(manager.list_cameras())          # {"cameras": [{"id": "test:1280x720@30", "name": ...}]}
        frame = manager.latest()               # Frame(rgb, timestamp, seq) or None; never blocks

Every camera shares one protocol (`Camera`): open(), latest(), info(), stats, close(),
and works as a context manager.
"""

from cameras.base import Camera, CameraStats
from cameras.device import DeviceCamera
from cameras.discovery import DeviceInfo, list_devices
from cameras.file import FileCamera
from cameras.frame import Frame
from cameras.manager import CameraManager
from cameras.spec import camera_from_spec
from cameras.synthetic import StillCamera, TestPattern, TestPatternCamera

__all__ = [
    "Camera", "CameraManager", "CameraStats", "DeviceCamera", "DeviceInfo", "FileCamera", "Frame",
    "StillCamera", "TestPattern", "TestPatternCamera", "camera_from_spec", "list_devices",
]
