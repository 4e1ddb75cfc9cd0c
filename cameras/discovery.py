"""Find V4L2 capture devices (the real cameras behind `listCameras`).

Linux lists video nodes in sysfs (`/sys/class/video4linux/videoN/name`); one USB camera often
has several (video capture, metadata), and `/dev/videoN` numbers change when devices are
replugged. So we keep only nodes that can capture video (asked with VIDIOC_QUERYCAP when the
node can be opened, else sysfs's `index == 0`), list each physical device once, and name it by
its udev `by-id` (else `by-path`) link, which stays the same across runs and replugging.

Everything is read under `root` so tests can build a fake tree; nothing here logs or prints,
and on a machine without video4linux it returns [] in well under a millisecond.
"""

from __future__ import annotations

import fcntl
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

SYSFS_CLASS = "sys/class/video4linux"
STABLE_LINK_DIRS = ("dev/v4l/by-id", "dev/v4l/by-path")  # preferred first

# struct v4l2_capability: driver[16], card[32], bus_info[32], version, capabilities, device_caps, reserved[3]
_CAPABILITY = struct.Struct("16s32s32sIII12x")
VIDIOC_QUERYCAP = 0x80000000 | (_CAPABILITY.size << 16) | (ord("V") << 8) | 0  # _IOR('V', 0, struct v4l2_capability)
V4L2_CAP_VIDEO_CAPTURE = 0x00000001
V4L2_CAP_VIDEO_CAPTURE_MPLANE = 0x00001000
V4L2_CAP_DEVICE_CAPS = 0x80000000  # device_caps is valid and describes this node (not the whole device)


@dataclass(frozen=True)
class DeviceInfo:
    """One capture device: `id` is stable (its by-id/by-path link), `path` is what to open."""

    id: str
    name: str
    path: str
    node: str  # the /dev/videoN it currently maps to
    bus_info: str = ""


@dataclass(frozen=True)
class Capability:
    driver: str
    card: str
    bus_info: str
    can_capture: bool


def query_capability(path: str) -> Capability | None:
    """VIDIOC_QUERYCAP on `path`; None when the node cannot be opened or is not V4L2."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        raw = fcntl.ioctl(fd, VIDIOC_QUERYCAP, bytes(_CAPABILITY.size))
    except OSError:
        return None
    finally:
        os.close(fd)
    driver, card, bus_info, _version, caps, device_caps = _CAPABILITY.unpack(raw)
    node_caps = device_caps if caps & V4L2_CAP_DEVICE_CAPS else caps
    text = lambda b: b.split(b"\0", 1)[0].decode("utf-8", "replace")  # noqa: E731
    return Capability(text(driver), text(card), text(bus_info),
                      bool(node_caps & (V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_VIDEO_CAPTURE_MPLANE)))


def list_devices(root: str | os.PathLike = "/",
                 query: Callable[[str], Capability | None] = query_capability) -> list[DeviceInfo]:
    """Capture devices under `root`, each once, in /dev/videoN order."""
    root = Path(root)
    class_dir = root / SYSFS_CLASS
    if not class_dir.is_dir():
        return []
    links = _stable_links(root)
    devices, seen = [], set()
    for entry in sorted(class_dir.glob("video*"), key=_node_number):
        node = root / "dev" / entry.name
        capability = query(str(node))
        if capability is not None:
            capture = capability.can_capture
        else:  # cannot ask the driver (permissions, fake tree): the main node of a device has index 0
            capture = _read(entry / "index") in (None, "0")
        if not capture:
            continue
        identity = _physical_device(entry) or (capability.bus_info if capability else "") or entry.name
        if identity in seen:
            continue
        seen.add(identity)
        path = links.get(entry.name, node)
        name = _read(entry / "name") or (capability.card if capability else "") or entry.name
        devices.append(DeviceInfo(id="/" + str(path.relative_to(root)), name=name, path=str(path),
                                  node=str(node), bus_info=capability.bus_info if capability else ""))
    return devices


def _stable_links(root: Path) -> dict[str, Path]:
    """videoN -> its preferred stable link (by-id before by-path)."""
    links: dict[str, Path] = {}
    for directory in reversed(STABLE_LINK_DIRS):  # later assignments win: by-id overrides by-path
        folder = root / directory
        if not folder.is_dir():
            continue
        for link in sorted(folder.iterdir()):
            if link.is_symlink():
                links[Path(os.readlink(link)).name] = link
    return links


def _physical_device(entry: Path) -> str | None:
    """The sysfs device a node belongs to (shared by a camera's capture and metadata nodes)."""
    device = entry / "device"
    return os.path.realpath(device) if device.exists() else None


def _node_number(entry: Path) -> int:
    digits = entry.name[len("video"):]
    return int(digits) if digits.isdigit() else 1 << 30


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None
