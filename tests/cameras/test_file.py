"""FileCamera: pacing to the file's timestamps, looping, one-shot play, disappearing files."""

import shutil
import time

import pytest

from cameras import FileCamera
from compositor.errors import CameraNotFound
from tests.cameras.conftest import camera_threads, open_fds, wait_for, write_clip


def grey(frame) -> int:
    """The clip's frame k is flat grey 8 * (k % 30) + 8; recover k from a decoded frame."""
    return round((int(frame.rgb[40:56, 70:90].mean()) - 8) / 8)


def test_plays_in_real_time(tmp_path):
    """~2 s of a looping 30 fps file publishes ~60 frames: paced, never free-running (it decodes at 1000+ fps)."""
    clip = write_clip(tmp_path / "clip.mp4", 30)
    with FileCamera(clip) as camera:
        wait_for(camera.latest)
        start_frames, start_drops, start = camera.stats.frames, camera.stats.drops, time.monotonic()
        time.sleep(2.0)
        frames, drops = camera.stats.frames - start_frames, camera.stats.drops - start_drops
        elapsed = time.monotonic() - start
    expected = elapsed * 30
    assert frames <= expected + 3, f"{frames} frames in {elapsed:.2f} s: not paced"
    assert frames + drops >= expected * 0.75, f"{frames} shown + {drops} dropped in {elapsed:.2f} s: fell behind"
    assert frames >= expected * 0.5
    assert camera.info()["fps"] == 30 and camera.info()["backend"] == "pyav"


def test_loops_back_to_the_first_frame(tmp_path):
    clip = write_clip(tmp_path / "short.mp4", 6)  # 0.2 s
    seen = []
    with FileCamera(clip) as camera:
        def wrapped():
            frame = camera.latest()
            if frame is not None and (not seen or seen[-1][0] != frame.seq):
                seen.append((frame.seq, grey(frame)))
            return len(seen) >= 9 and any(b < a for (_, a), (_, b) in zip(seen, seen[1:]))
        wait_for(wrapped, timeout=10, interval=0.005)
    indices = [k for _, k in seen]
    assert 0 in indices[1:] or indices[0] == 0
    assert max(indices) <= 5 and camera.stats.errors == 0


def test_one_shot_file_holds_its_last_frame(tmp_path):
    clip = write_clip(tmp_path / "once.mp4", 4)
    with FileCamera(clip, loop=False) as camera:
        wait_for(lambda: (f := camera.latest()) is not None and grey(f) == 3, timeout=5)
        count = camera.stats.frames
        time.sleep(0.3)
        assert camera.stats.frames == count and camera.error is None


def test_missing_file_is_camera_not_found(tmp_path):
    camera = FileCamera(tmp_path / "absent.mp4")
    with pytest.raises(CameraNotFound, match="absent.mp4"):
        camera.open()
    assert not camera.is_open and camera.id == f"file:{tmp_path / 'absent.mp4'}"


def test_a_file_that_disappears_is_reported_then_recovers(tmp_path):
    clip = write_clip(tmp_path / "clip.mp4", 6)
    backup = shutil.copy(clip, tmp_path / "backup.mp4")
    camera = FileCamera(clip)
    camera.retry_interval = 0.05
    with camera:
        wait_for(camera.latest)
        clip.unlink()  # noticed at the next loop, when the file is reopened
        wait_for(lambda: camera.error is not None, timeout=5)
        assert "clip.mp4" in camera.error and camera.stats.errors >= 1
        held = camera.latest()
        time.sleep(0.2)
        assert camera.latest() is held  # nothing new while the file is gone; the last frame stays
        shutil.copy(backup, clip)
        wait_for(lambda: camera.error is None and camera.latest() is not held, timeout=5)


def test_close_releases_threads_and_files(clip):
    fds, threads = open_fds(), set(camera_threads())
    camera = FileCamera(clip)
    for _ in range(2):
        with camera:
            wait_for(camera.latest)
    assert set(camera_threads()) == threads
    assert open_fds() <= fds


def test_url_ids_and_names():
    camera = FileCamera("rtsp://127.0.0.1:1/none")
    assert camera.is_url and camera.id == "rtsp://127.0.0.1:1/none" and camera.name.startswith("Stream")


def test_urls_play_like_files(clip):
    """A URL goes through the same PyAV path; a local HTTP server stands in for a stream."""
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(clip.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with FileCamera(f"http://127.0.0.1:{server.server_address[1]}/{clip.name}") as camera:
            frame = wait_for(camera.latest)
            assert camera.info()["fps"] == 30 and frame.rgb.shape == (96, 160, 3)
    finally:
        server.shutdown()
        server.server_close()
