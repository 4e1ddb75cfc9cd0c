"""Faults injected into a running pipeline (SDK + CameraManager + RenderLoop + sinks), one at a time.

Each: the run goes on (frames keep coming to the healthy output), the fault is reported once with
a clear message, and where the source comes back the pipeline recovers by itself. A recording
killed with SIGKILL is tested where the crash-safe muxing is: tests/sinks/test_file.py
(test_sigkilled_recording_still_decodes_every_flushed_frame).
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import threading
import time

import av
import numpy as np
import pytest

from cameras import CameraManager
from cameras.file import FileCamera
from cameras.synthetic import StillCamera
from compositor.commands.run import make_compose
from compositor.renderer import RenderLoop
from compositor.sdk import ZoomSdk, supported_apis
from compositor.sinks import FileSink, PipeSink
from compositor.sinks.base import Sink
from compositor.sinks import file as file_module
from tests.cameras.conftest import write_clip
from tests.sinks.test_file import FullDisk

SIZE = (320, 180)
FPS = 30.0
NO_VIDEO_GREY = 40


def wait_for(predicate, timeout=8.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (value := predicate()):
            return value
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


class Probe(Sink):
    """A healthy output that remembers how many frames arrived and the centre colour of the last one."""

    name = "probe"

    def __init__(self):
        super().__init__()
        self.frames, self.centre = 0, None

    def _write(self, frame, meta):
        self.frames += 1
        self.centre = frame[SIZE[1] // 2 - 20: SIZE[1] // 2 + 20, :].reshape(-1, 3).mean(axis=0)

    def keeps_running(self, seconds=0.3):
        """Frames still arrive (the fault stalls nothing)."""
        before = self.frames
        time.sleep(seconds)
        return self.frames - before >= seconds * FPS * 0.3      # loose: a loaded 2-core machine


class Pipeline:
    """A configured SDK drawing the local camera full-canvas in camera mode, rendered to sinks."""

    def __init__(self, camera, *sinks, segmenter=None, live_segmentation=False, no_video_timeout=0.3):
        absent = os.path.join(os.path.dirname(__file__), "absent", "cameras.json")
        self.manager = CameraManager([camera], discover_devices=False, config_path=absent,
                                     no_video_timeout=no_video_timeout)
        self.sdk = ZoomSdk(self.manager, render_target=SIZE, segmenter=segmenter,
                           live_segmentation=live_segmentation)
        self.media: list[dict] = []
        self.probe = Probe()
        asyncio.run(self._scene())
        self.loop = RenderLoop(make_compose(self.sdk), SIZE, FPS, [self.probe, *sinks])
        self.loop.start()

    async def _scene(self):
        sdk = self.sdk
        await sdk.config({"capabilities": sorted(supported_apis())})
        sdk.addEventListener("onMyMediaChange", lambda event: self.media.append(event["media"]["video"]))
        await sdk.runRenderingContext({"view": "camera"})
        await sdk.drawParticipant({"participantUUID": sdk.participant_uuid})

    def close(self):
        try:
            self.loop.close()
        finally:
            self.sdk.close()


@pytest.fixture
def pipelines():
    made = []

    def make(*args, **kwargs):
        made.append(Pipeline(*args, **kwargs))
        return made[-1]

    yield make
    for pipeline in made:
        pipeline.close()


def messages(caplog, part):
    return [r.getMessage() for r in caplog.records if part in r.getMessage()]


def test_a_camera_that_disappears_is_reported_once_shows_no_video_and_recovers(pipelines, tmp_path, caplog):
    clip = write_clip(tmp_path / "clip.mp4", 6)                 # loops every 0.2 s: a removal is noticed fast
    backup = shutil.copy(clip, tmp_path / "backup.mp4")
    camera = FileCamera(clip)
    camera.retry_interval = 0.05
    with caplog.at_level(logging.INFO):
        pipe = pipelines(camera)
        wait_for(lambda: pipe.media and pipe.media[-1]["state"], what="video")
        clip.unlink()
        wait_for(lambda: camera.stats.errors >= 3, what="several failed reopen attempts")
        wait_for(lambda: pipe.probe.centre is not None and abs(pipe.probe.centre.mean() - NO_VIDEO_GREY) < 15,
                 what="the NO VIDEO frame in the output")
        assert pipe.probe.keeps_running()
        assert pipe.media[-1] == {"state": False}
        shutil.copy(backup, clip)
        wait_for(lambda: camera.error is None and pipe.media[-1]["state"], what="recovery")
        wait_for(lambda: abs(pipe.probe.centre.mean() - NO_VIDEO_GREY) > 15, what="video in the output again")
    failed = messages(caplog, "failed: CameraNotFound")
    assert len(failed) == 1 and "clip.mp4" in failed[0] and "retrying" in failed[0]
    assert messages(caplog, f"camera {camera.id} recovered")


class StallingCamera(StillCamera):
    """A still camera whose driver can go quiet: no frames and no error while `stalled` is set."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stalled = threading.Event()

    def _read(self):
        if self.stalled.is_set():
            self._stop.wait(0.01)
            return None
        return super()._read()


def test_a_camera_that_stalls_holds_then_shows_no_video_then_recovers(pipelines, caplog):
    camera = StallingCamera(np.full((90, 160, 3), 200, np.uint8), camera_id="stall")
    with caplog.at_level(logging.INFO):
        pipe = pipelines(camera, no_video_timeout=1.0)
        wait_for(lambda: pipe.probe.centre is not None and pipe.probe.centre.mean() > 150, what="video")
        camera.stalled.set()
        time.sleep(0.15)
        assert pipe.probe.centre.mean() > 150 and pipe.media[-1]["state"]        # held at first
        wait_for(lambda: abs(pipe.probe.centre.mean() - NO_VIDEO_GREY) < 15, what="NO VIDEO after the timeout")
        assert pipe.media[-1] == {"state": False} and camera.error is None
        assert pipe.probe.keeps_running()
        camera.stalled.clear()
        wait_for(lambda: pipe.probe.centre.mean() > 150 and pipe.media[-1]["state"], what="recovery")
    assert len(messages(caplog, "delivered no frame for 1.0 s")) == 1
    assert messages(caplog, "camera stall delivers again")


class BlockingSink(Sink):
    """An output that hangs in write (a stuck virtual camera or NFS file) until released."""

    name = "stuck"

    def __init__(self):
        super().__init__()
        self.release = threading.Event()

    def _write(self, frame, meta):
        self.release.wait()


def test_a_sink_that_blocks_drops_its_frames_and_stalls_nothing(pipelines):
    stuck = BlockingSink()
    pipe = pipelines(StillCamera(np.full((90, 160, 3), 90, np.uint8)), stuck)
    try:
        time.sleep(0.5)
        assert pipe.probe.keeps_running(0.5)
        stats = pipe.loop.stats
        assert stats.sinks["stuck"].dropped > 5 and stats.sinks["stuck"].written == 0
        assert stats.sinks["probe"].written >= 0.8 * stats.frames      # the healthy output gets its frames
        assert stats.sinks["stuck"].error is None
    finally:
        stuck.release.set()


def test_a_full_disk_is_reported_once_and_the_run_goes_on(pipelines, tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(file_module, "_open_output", lambda path: FullDisk(path, capacity=40_000))
    path = tmp_path / "full.ts"
    recording = FileSink(str(path))
    with caplog.at_level(logging.ERROR, logger="compositor.renderer"):
        pipe = pipelines(StillCamera(np.random.default_rng(1).integers(0, 255, (90, 160, 3), np.uint8)), recording)
        wait_for(lambda: pipe.loop.stats.sinks[str(path)].error, what="the disk to fill")
        assert pipe.probe.keeps_running()
    error = pipe.loop.stats.sinks[str(path)].error
    assert "No space left on device" in error and "stay playable" in error
    assert len(messages(caplog, "failed and was removed")) == 1
    with av.open(str(path)) as container:                    # what was flushed before the disk filled plays
        assert sum(1 for _ in container.decode(video=0)) >= 1


def test_a_closed_pipe_is_reported_once_and_the_run_goes_on(pipelines, caplog):
    read_end, write_end = os.pipe()
    reader = threading.Thread(target=lambda: (os.read(read_end, 400_000), os.close(read_end)))
    reader.start()
    try:
        with caplog.at_level(logging.ERROR, logger="compositor.renderer"):
            pipe = pipelines(StillCamera(np.full((90, 160, 3), 70, np.uint8)), PipeSink("raw", fd=write_end))
            reader.join()
            wait_for(lambda: pipe.loop.stats.sinks[f"pipe:raw:fd{write_end}"].error, what="the broken pipe")
            assert pipe.probe.keeps_running()
        assert pipe.loop.stats.sinks[f"pipe:raw:fd{write_end}"].error == (
            f"pipe:raw:fd{write_end}: the reading program closed the pipe")
        assert len(messages(caplog, "closed the pipe")) == 1
    finally:
        os.close(write_end)


class FlakySegmenter:
    """Left half of the frame is the person; raises while `broken` is set (a model or driver fault)."""

    def __init__(self):
        self.broken = threading.Event()

    def segment(self, rgb):
        if self.broken.is_set():
            raise RuntimeError("inference failed: delegate lost")
        mask = np.zeros(rgb.shape[:2], np.uint8)
        mask[:, : rgb.shape[1] // 2] = 255
        return mask


@pytest.mark.parametrize("live", [False, True])
def test_a_failing_segmenter_falls_back_to_plain_video_once_and_recovers(pipelines, caplog, live):
    segmenter = FlakySegmenter()
    camera = StillCamera(np.full((90, 160, 3), 200, np.uint8))
    with caplog.at_level(logging.INFO, logger="compositor.sdk.masks"):
        pipe = pipelines(camera, segmenter=segmenter, live_segmentation=live)
        background = np.zeros((90, 160, 4), np.uint8)
        background[..., 2:] = 255                                            # opaque blue
        asyncio.run(pipe.sdk.setVirtualBackground({"imageData": background}))

        def right_half():                                     # outside the person: the background, or the video
            return pipe.sdk.render()[:, SIZE[0] * 3 // 4].mean(axis=0)

        wait_for(lambda: right_half()[2] > 200 and right_half()[0] < 50, what="the virtual background")
        segmenter.broken.set()
        wait_for(lambda: right_half()[0] > 150, what="plain video while segmentation fails")
        assert pipe.probe.keeps_running()
        assert pipe.sdk.segmentation_errors == {pipe.sdk.participant_uuid: "RuntimeError: inference failed: "
                                                                           "delegate lost"}
        segmenter.broken.clear()
        wait_for(lambda: right_half()[2] > 200 and right_half()[0] < 50, what="the background again")
        assert pipe.sdk.segmentation_errors == {}
    failed = messages(caplog, "person segmentation failed")
    assert len(failed) == 1 and "delegate lost" in failed[0] and "without background replacement" in failed[0]
    assert len(messages(caplog, "segmentation for participant")) == 1        # "... works again"
