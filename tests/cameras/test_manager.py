"""CameraManager: listing, switching under a running consumer, faults, events, persistence, release."""

import json
import threading
import time

import numpy as np
import pytest

from cameras import Camera, CameraManager, StillCamera, TestPatternCamera
from cameras.config import default_config_path
from compositor.errors import CameraError, CameraNotFound
from tests.cameras.conftest import camera_threads, open_fds, wait_for
from tests.cameras.test_discovery import fake_tree


class ControlledCamera(Camera):
    """Flat frames of one colour at ~100 fps; a test breaks it, delays it or resizes it at will."""

    retry_interval = 0.05

    def __init__(self, camera_id, colour, size=(48, 64), first_frame_delay=0.0):
        super().__init__(camera_id, f"controlled {camera_id}")
        self.colour, self.size, self.first_frame_delay = colour, size, first_frame_delay
        self.broken = threading.Event()  # reads raise, reopening fails: an unplugged device
        self._next = 0.0

    def _open_source(self):
        if self.broken.is_set():
            raise CameraError(f"{self.id} is unplugged")
        self._details = {"backend": "test"}
        self._next = time.monotonic() + self.first_frame_delay

    def _read(self):
        if not self._wait_until(self._next):
            return None
        self._next = time.monotonic() + 0.01
        if self.broken.is_set():
            raise OSError(f"{self.id}: read error")
        return np.full((*self.size, 3), self.colour, np.uint8)


def colour_of(frame):
    return int(frame.rgb[0, 0, 0])


@pytest.fixture
def events():
    return []


def manager_with(cameras, events, **kw):
    manager = CameraManager(cameras, discover_devices=False, **kw)
    manager.add_listener(events.append)
    return manager


def test_listing_has_the_sdk_shape_and_is_fast_and_silent(capfd):
    start = time.perf_counter()
    manager = CameraManager([TestPatternCamera(64, 48, 30), StillCamera(np.zeros((4, 4, 3), np.uint8), name="k")])
    listing = manager.list_cameras()
    elapsed = time.perf_counter() - start
    manager.close()
    assert listing == {"cameras": [{"id": "test:64x48@30", "name": "Test pattern 64x48 @ 30 fps"},
                                   {"id": "still:k", "name": "k"}]}
    assert elapsed < 0.1, f"listing took {elapsed * 1000:.0f} ms"
    assert capfd.readouterr() == ("", "")


def test_first_camera_starts_and_frames_flow(events):
    with manager_with([ControlledCamera("a", 10), ControlledCamera("b", 20)], events) as manager:
        assert manager.active.id == "a"
        frame = wait_for(manager.latest)
        assert colour_of(frame) == 10
        wait_for(lambda: events == [{"video": {"state": True, "width": 64, "height": 48}}])
    assert events[-1] == {"video": {"state": False}}


def test_set_camera_accepts_string_and_number_ids(events):
    with manager_with([ControlledCamera("1", 10), ControlledCamera("2", 20)], events) as manager:
        manager.set_camera(2)
        assert manager.active.id == "2"
        manager.set_camera("1")
        assert manager.active.id == "1"
        with pytest.raises(CameraNotFound, match="'3'.*available.*'1', '2'"):
            manager.set_camera(3)
        assert manager.active.id == "1"


def test_switching_releases_the_previous_camera(events):
    a, b = ControlledCamera("a", 10), ControlledCamera("b", 20)
    with manager_with([a, b], events) as manager:
        manager.set_camera("b")
        assert b.is_open and not a.is_open
        wait_for(lambda: (f := manager.latest()) is not None and colour_of(f) == 20)


def test_hot_switch_under_a_consumer_never_tears_or_loses_a_frame(events):
    cameras = [ControlledCamera(str(i), 40 * (i + 1)) for i in range(3)]
    colours = {40, 80, 120}
    problems, seen, stop = [], set(), threading.Event()

    def consumer():  # a render loop: takes whatever is latest, never waits
        while not stop.is_set():
            frame = manager.latest()
            if frame is None:
                problems.append("lost: None after the first frame")
            else:
                rgb = frame.rgb
                if rgb.min() != rgb.max() or int(rgb.max()) not in colours:
                    problems.append(f"torn or foreign frame (min {rgb.min()}, max {rgb.max()})")
                seen.add(colour_of(frame))
            time.sleep(0.001)

    with manager_with(cameras, events) as manager:
        wait_for(manager.latest)
        thread = threading.Thread(target=consumer)
        thread.start()
        for step in range(24):
            manager.set_camera(str(step % 3))
            time.sleep(0.02)
        stop.set()
        thread.join()
    assert problems == []
    assert seen == colours


def test_old_frame_is_held_until_the_new_camera_delivers(events):
    slow = ControlledCamera("slow", 200, size=(24, 32), first_frame_delay=0.4)
    with manager_with([ControlledCamera("fast", 10), slow], events, no_video_timeout=2.0) as manager:
        wait_for(lambda: len(events) == 1)
        manager.set_camera("slow")
        switched = time.monotonic()
        while time.monotonic() - switched < 0.2:  # the new camera has not delivered yet
            assert colour_of(manager.latest()) == 10
            time.sleep(0.01)
        wait_for(lambda: colour_of(manager.latest()) == 200)
        wait_for(lambda: len(events) == 2)
    assert events[:2] == [{"video": {"state": True, "width": 64, "height": 48}},
                          {"video": {"state": True, "width": 32, "height": 24}}]  # never a False between


def test_a_failing_camera_is_reported_held_then_no_video_then_recovers(events):
    camera = ControlledCamera("flaky", 90)
    with manager_with([camera], events, no_video_timeout=0.3) as manager:
        wait_for(lambda: events == [{"video": {"state": True, "width": 64, "height": 48}}])
        last_good = manager.latest()
        camera.broken.set()
        wait_for(lambda: events[-1] == {"video": {"state": False}})  # reported at once, not after the timeout
        assert "read error" in camera.error or "unplugged" in camera.error
        held = manager.latest()
        assert colour_of(held) == 90 and held.seq >= last_good.seq
        no_video = wait_for(lambda: (f := manager.latest()) is not None and colour_of(f) != 90 and f, timeout=3)
        assert no_video.rgb.shape == held.rgb.shape  # same size as the video it replaces
        assert np.median(no_video.rgb) == 40 and no_video.rgb.max() > 200  # dark grey with "NO VIDEO" text
        assert manager.latest() is no_video  # one frame for the whole outage, not a new one per call
        assert camera.stats.errors >= 2  # the failed read, then failed reopen attempts
        camera.broken.clear()
        wait_for(lambda: colour_of(manager.latest()) == 90)
        wait_for(lambda: events[-1] == {"video": {"state": True, "width": 64, "height": 48}})
    assert [e["video"]["state"] for e in events] == [True, False, True, False]


def test_resolution_change_is_reported(events):
    camera = ControlledCamera("c", 50)
    with manager_with([camera], events):
        wait_for(lambda: len(events) == 1)
        camera.size = (30, 40)
        wait_for(lambda: len(events) == 2)
    assert events[1] == {"video": {"state": True, "width": 40, "height": 30}}


def test_no_camera_at_all_gives_none_then_no_video(events):
    with manager_with([], events, no_video_timeout=0.1) as manager:
        assert manager.active is None and manager.list_cameras() == {"cameras": []}
        assert manager.latest() is None
        frame = wait_for(manager.latest)
        assert frame.rgb.shape == (720, 1280, 3)
    assert events == []


def test_a_camera_that_cannot_open_keeps_the_current_one(events, tmp_path):
    with manager_with([ControlledCamera("ok", 10), StillCamera(tmp_path / "gone.png")], events) as manager:
        wait_for(manager.latest)
        with pytest.raises(CameraNotFound, match="gone.png"):
            manager.set_camera(f"still:{tmp_path / 'gone.png'}")
        assert manager.active.id == "ok"


def test_save_persists_the_default_for_the_next_run(events):
    with manager_with([ControlledCamera("a", 10), ControlledCamera("b", 20)], events) as manager:
        manager.set_camera("b", save=True)
    saved = json.loads(default_config_path().read_text())
    assert saved == {"default_camera": "b"}
    with manager_with([ControlledCamera("a", 10), ControlledCamera("b", 20)], events) as manager:
        assert manager.active.id == "b"


def test_configured_cameras_come_from_the_config_file(tmp_path, events):
    config = tmp_path / "cams.json"
    config.write_text(json.dumps({"cameras": ["test:64x48@15"], "default_camera": "test:64x48@15"}))
    with manager_with([ControlledCamera("a", 10)], events, config_path=config) as manager:
        assert [c["id"] for c in manager.list_cameras()["cameras"]] == ["a", "test:64x48@15"]
        assert manager.active.id == "test:64x48@15"


def test_an_unavailable_saved_default_falls_back(events):
    default_config_path().parent.mkdir(parents=True)
    default_config_path().write_text(json.dumps({"default_camera": "/dev/video7"}))
    with manager_with([ControlledCamera("a", 10)], events) as manager:
        assert manager.active.id == "a"


def test_devices_are_listed_first_and_opened_through_the_device_path(tmp_path, events):
    fake_tree(tmp_path)
    manager = CameraManager([ControlledCamera("a", 10)], device_root=tmp_path)
    try:
        ids = [c["id"] for c in manager.list_cameras()["cameras"]]
        assert ids[0].startswith("/dev/v4l/by-id/") and ids[-1] == "a" and len(ids) == 3
        assert manager.active.id == "a"  # passed cameras come before devices
        with pytest.raises(CameraError, match="backend"):  # the fake node is a plain file, not V4L2
            manager.set_camera(ids[0])
        assert manager.active.id == "a"
    finally:
        manager.close()


def test_close_releases_every_thread_and_file(clip, events):
    from cameras import FileCamera

    fds, threads = open_fds(), set(camera_threads())
    manager = manager_with([FileCamera(clip), ControlledCamera("b", 20)], events)
    wait_for(manager.latest)
    manager.set_camera("b")
    manager.set_camera(f"file:{clip}")
    wait_for(manager.latest)
    manager.close()
    manager.close()
    assert set(camera_threads()) == threads
    assert open_fds() <= fds
    assert manager.active is None


def test_timeout_must_be_positive():
    from compositor.errors import LayersValueError

    with pytest.raises(LayersValueError, match="-1"):
        CameraManager(discover_devices=False, no_video_timeout=-1)
