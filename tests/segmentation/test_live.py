"""LiveSegmenter: inference off the render thread, newest frame only, errors reported once."""

from __future__ import annotations

import logging
import threading
import time

import numpy as np
import pytest

from compositor.errors import LayersValueError
from compositor.segmentation import LiveSegmenter, Segmenter


class FakeSegmenter:
    """Mask = the frame's first byte everywhere. Can be held (gate) or made to fail (value 13)."""

    def __init__(self):
        self.gate = threading.Event()
        self.gate.set()
        self.started = threading.Event()
        self.calls = 0

    def segment(self, rgb):
        self.calls += 1
        self.started.set()
        self.gate.wait(5)
        if rgb[0, 0, 0] == 13:
            raise RuntimeError("bad frame 13")
        return np.full(rgb.shape[:2], rgb[0, 0, 0], np.uint8)


def frame(value, shape=(4, 6, 3)):
    return np.full(shape, value, np.uint8)


def wait_for(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.002)


def test_latest_is_none_then_the_newest_mask_with_its_seq():
    with LiveSegmenter(FakeSegmenter()) as live:
        assert live.latest() is None
        live.submit(frame(7), seq=41)
        wait_for(lambda: live.latest() is not None)
        mask, seq = live.latest()
        assert seq == 41 and mask.shape == (4, 6) and (mask == 7).all()


def test_submit_never_waits_and_keeps_only_the_newest_pending_frame():
    fake = FakeSegmenter()
    fake.gate.clear()
    with LiveSegmenter(fake) as live:
        live.submit(frame(0), 0)
        assert fake.started.wait(5)            # the worker is now stuck inside segment()
        for seq in range(1, 51):
            assert live.submit(frame(seq), seq)  # returns although segment() is blocked
        fake.gate.set()
        wait_for(lambda: live.latest() is not None and live.latest()[1] == 50)
        assert (live.latest()[0] == 50).all()
        assert live.frames_submitted == 51
        assert live.frames_dropped == 49
        assert fake.calls == 2


def test_submitted_frame_is_copied():
    fake = FakeSegmenter()
    fake.gate.clear()
    with LiveSegmenter(fake) as live:
        live.submit(frame(0), 0)
        assert fake.started.wait(5)
        reused = frame(9)
        live.submit(reused, 1)
        reused[:] = 200                          # the camera writes the next frame into its buffer
        fake.gate.set()
        wait_for(lambda: live.latest() is not None and live.latest()[1] == 1)
        assert (live.latest()[0] == 9).all()


def test_rate_caps_the_mask_rate():
    fake = FakeSegmenter()
    with LiveSegmenter(fake, rate=5) as live:
        started = time.monotonic()
        seq = 0
        while time.monotonic() - started < 1.0:  # a 100 fps camera for one second
            live.submit(frame(seq % 200), seq)
            seq += 1
            time.sleep(0.01)
        elapsed = time.monotonic() - started
    assert 2 <= live.frames_segmented <= 5 * elapsed + 2


def test_error_is_reported_once_and_the_last_good_mask_kept():
    errors = []
    with LiveSegmenter(FakeSegmenter(), on_error=errors.append) as live:
        live.submit(frame(3), 1)
        wait_for(lambda: live.latest() is not None)
        for seq in (2, 3):
            live.submit(frame(13), seq)
            wait_for(lambda: live.errors == seq - 1)
        assert len(errors) == 1 and str(errors[0]) == "bad frame 13"
        mask, seq = live.latest()
        assert seq == 1 and (mask == 3).all()
        live.submit(frame(4), 4)                 # the thread survived and carries on
        wait_for(lambda: live.latest()[1] == 4)


def test_error_without_callback_is_logged_once(caplog):
    with caplog.at_level(logging.ERROR, logger="compositor.segmentation.live"):
        with LiveSegmenter(FakeSegmenter()) as live:
            for seq in (1, 2):
                live.submit(frame(13), seq)
                wait_for(lambda: live.errors == seq)
    assert [r.getMessage() for r in caplog.records].count(
        "person segmentation failed; keeping the last good mask") == 1


def test_close_is_idempotent_and_later_frames_are_refused():
    live = LiveSegmenter(FakeSegmenter())
    live.close()
    live.close()
    assert not live._thread.is_alive()
    assert live.submit(frame(1), 1) is False
    assert live.latest() is None


def test_frame_size_change_is_followed():
    with LiveSegmenter(FakeSegmenter()) as live:
        live.submit(frame(1, (4, 6, 3)), 1)
        wait_for(lambda: live.latest() is not None)
        live.submit(frame(2, (8, 10, 3)), 2)
        wait_for(lambda: live.latest()[1] == 2)
        assert live.latest()[0].shape == (8, 10)


@pytest.mark.parametrize("rate", [0, -5, float("inf"), "30"])
def test_bad_rate_is_rejected(rate):
    with pytest.raises(LayersValueError, match="rate must be"):
        LiveSegmenter(FakeSegmenter(), rate=rate)


def test_bad_frame_is_rejected_at_submit():
    with LiveSegmenter(FakeSegmenter()) as live:
        with pytest.raises(LayersValueError, match="shape"):
            live.submit(np.zeros((4, 6), np.uint8), 1)


def test_real_segmenter_on_its_thread_gives_the_same_mask(astronaut_720p):
    with LiveSegmenter(Segmenter()) as live:
        live.submit(astronaut_720p, 7)
        wait_for(lambda: live.latest() is not None)
        mask, seq = live.latest()
    assert seq == 7
    np.testing.assert_array_equal(mask, Segmenter().segment(astronaut_720p))
