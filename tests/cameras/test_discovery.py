"""V4L2 enumeration against fake sysfs/dev trees, and against this machine (which has no cameras)."""

import os
import time

from cameras import list_devices
from cameras.discovery import VIDIOC_QUERYCAP, Capability, query_capability


def make_node(root, n, name, index, device_dir):
    node = root / "sys/class/video4linux" / f"video{n}"
    node.mkdir(parents=True)
    (node / "name").write_text(name + "\n")
    (node / "index").write_text(f"{index}\n")
    device = root / "sys/devices" / device_dir
    device.mkdir(parents=True, exist_ok=True)
    os.symlink(device, node / "device")
    (root / "dev").mkdir(exist_ok=True)
    (root / "dev" / f"video{n}").touch()


def link(root, kind, name, n):
    folder = root / "dev/v4l" / kind
    folder.mkdir(parents=True, exist_ok=True)
    os.symlink(f"../../video{n}", folder / name)


def fake_tree(root):
    """A UVC webcam (capture node + metadata node), and a second camera with only a by-path link."""
    make_node(root, 0, "HD Pro Webcam C920", 0, "usb1/1-1/1-1:1.0")
    make_node(root, 1, "HD Pro Webcam C920", 1, "usb1/1-1/1-1:1.0")
    make_node(root, 2, "Integrated Camera", 0, "usb1/1-2/1-2:1.0")
    link(root, "by-id", "usb-046d_HD_Pro_Webcam_C920-video-index0", 0)
    link(root, "by-id", "usb-046d_HD_Pro_Webcam_C920-video-index1", 1)
    link(root, "by-path", "pci-0000:00:14.0-usb-0:1:1.0-video-index0", 0)
    link(root, "by-path", "pci-0000:00:14.0-usb-0:2:1.0-video-index0", 2)


def test_each_capture_device_once_with_a_stable_id(tmp_path):
    fake_tree(tmp_path)
    devices = list_devices(tmp_path)
    assert [d.name for d in devices] == ["HD Pro Webcam C920", "Integrated Camera"]
    assert devices[0].id == "/dev/v4l/by-id/usb-046d_HD_Pro_Webcam_C920-video-index0"  # by-id beats by-path
    assert devices[1].id == "/dev/v4l/by-path/pci-0000:00:14.0-usb-0:2:1.0-video-index0"
    assert devices[0].path == str(tmp_path / devices[0].id.lstrip("/"))
    assert devices[0].node == str(tmp_path / "dev/video0")


def test_ids_survive_renumbering(tmp_path):
    """Replugged, the webcam comes back as video4; its id does not change."""
    make_node(tmp_path, 4, "HD Pro Webcam C920", 0, "usb1/1-3/1-3:1.0")
    link(tmp_path, "by-id", "usb-046d_HD_Pro_Webcam_C920-video-index0", 4)
    (device,) = list_devices(tmp_path)
    assert device.id == "/dev/v4l/by-id/usb-046d_HD_Pro_Webcam_C920-video-index0"
    assert device.node.endswith("video4")


def test_driver_capabilities_decide_when_available(tmp_path):
    """With VIDIOC_QUERYCAP answering, an output-only node (a loopback sink) is not a camera."""
    fake_tree(tmp_path)
    answers = {"video0": Capability("uvcvideo", "C920", "usb-1", True),
               "video2": Capability("v4l2 loopback", "Dummy", "platform:v4l2loopback-000", False)}
    devices = list_devices(tmp_path, query=lambda path: answers.get(os.path.basename(path)))
    assert [d.name for d in devices] == ["HD Pro Webcam C920"]
    assert devices[0].bus_info == "usb-1"


def test_no_video4linux_means_no_devices_fast_and_silent(tmp_path, capfd):
    start = time.perf_counter()
    assert list_devices(tmp_path) == []
    assert list_devices() == [] or os.path.isdir("/sys/class/video4linux")  # this machine has none
    assert time.perf_counter() - start < 0.1
    assert capfd.readouterr() == ("", "")


def test_query_capability_on_things_that_are_not_v4l2(tmp_path):
    (tmp_path / "plain").touch()
    assert query_capability(str(tmp_path / "plain")) is None  # ENOTTY
    assert query_capability(str(tmp_path / "missing")) is None
    assert VIDIOC_QUERYCAP == 0x80685600  # the value in <linux/videodev2.h>
