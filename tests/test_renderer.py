import logging
import os
import signal
import threading
import time

import av
import pytest

from compositor.errors import LayersValueError, SinkError
from compositor.renderer import LOCK_MARGIN_S, LOCK_MAX_STEP_S, PhaseLock, RenderLoop
from compositor.stats import FrameMeta
from compositor.sinks import FileSink, NullSink, Sink

SIZE = (64, 48)


class Recording(Sink):
    """Keeps what it received; optionally slow or failing."""

    def __init__(self, view="stream", delay=0.0, fail_at=None, name="recording"):
        super().__init__(view)
        self.name, self.delay, self.fail_at = name, delay, fail_at
        self.metas, self.values, self.shapes = [], [], []
        self.closes = 0

    def _write(self, frame, meta):
        if self.fail_at is not None and len(self.metas) == self.fail_at:
            raise SinkError("device unplugged")
        self.metas.append(meta)
        self.values.append(int(frame[0, 0, 0]))
        self.shapes.append(frame.shape)
        time.sleep(self.delay)

    def _close(self):
        self.closes += 1


class Composer:
    def __init__(self, delay=0.0):
        self.calls, self.delay, self.shapes = [], delay, []

    def __call__(self, out, view):
        self.calls.append(view)
        self.shapes.append(out.shape)
        out[...] = len(self.calls) % 256
        time.sleep(self.delay)
        return time.monotonic()


def test_paced_at_target_fps_on_a_drift_free_schedule():
    sink = Recording()
    # the pure grid: no phase lock (this Composer's "camera" captures as it composes)
    with RenderLoop(Composer(), SIZE, fps=30, sinks=[sink], queue_depth=64, phase_lock=False) as loop:
        stats = loop.run(seconds=1.5)
    # 45 frames due; a loaded 2-core machine may skip some, never burst beyond the schedule.
    assert 30 <= stats.frames <= 46
    assert len(sink.metas) == stats.frames
    slots = [(m.due - sink.metas[0].due) * 30 for m in sink.metas]
    assert all(abs(s - round(s)) < 1e-6 for s in slots), "due times lie exactly on the 1/fps grid"
    assert all(b > a for a, b in zip(slots, slots[1:]))
    assert round(slots[-1]) + 1 == stats.frames + stats.late_frames
    assert sink.closes == 1


def test_frame_limit_is_exact_and_every_frame_is_written():
    sink = Recording()
    # A deep queue: a loaded machine may be slow to schedule the sink, but nothing is dropped.
    with RenderLoop(Composer(), SIZE, fps=200, sinks=[sink], queue_depth=32) as loop:
        stats = loop.run(frames=12)
    assert stats.frames == 12
    assert [m.index for m in sink.metas] == list(range(12))
    assert sink.values == list(range(1, 13))
    assert stats.sinks["recording"].written == 12


def test_slow_sink_drops_frames_but_never_stalls_compose():
    slow, fast = Recording(delay=0.15, name="slow"), Recording(name="fast")
    with RenderLoop(Composer(), SIZE, fps=30, sinks=[slow, fast], queue_depth=2) as loop:
        stats = loop.run(seconds=1.0)
    assert stats.frames >= 20  # a stalled loop would make about 7
    assert stats.sinks["slow"].dropped > 0
    assert stats.sinks["slow"].written + stats.sinks["slow"].dropped == stats.frames
    assert stats.sinks["fast"].dropped == 0 and len(fast.metas) == stats.frames
    assert loop._pool.allocated <= 6, "buffers are reused from the pool"


def test_sinks_added_and_removed_while_running():
    first, second = Recording(name="first"), Recording(name="second")
    loop = RenderLoop(Composer(), SIZE, fps=100, sinks=[first])
    loop.start()
    try:
        _wait_for(lambda: len(first.metas) >= 5)
        loop.add_sink(second)
        _wait_for(lambda: len(second.metas) >= 5)
        loop.remove_sink(first)
        assert first.closes == 1 and first not in loop.sinks
        written = len(first.metas)
        _wait_for(lambda: len(second.metas) >= 15)
        assert len(first.metas) == written, "a removed sink gets no more frames"
    finally:
        loop.close()
    assert second.closes == 1
    assert second.metas[0].index > 0


def test_failing_sink_is_reported_once_removed_and_others_go_on(caplog):
    broken, healthy = Recording(fail_at=3, name="broken"), Recording(name="healthy")
    with caplog.at_level(logging.ERROR, logger="compositor.renderer"):
        with RenderLoop(Composer(), SIZE, fps=100, sinks=[broken, healthy], queue_depth=32) as loop:
            stats = loop.run(frames=20)
            assert broken not in loop.sinks and healthy in loop.sinks
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ["output broken failed and was removed: device unplugged"]
    assert stats.sinks["broken"].error == "device unplugged" and stats.sinks["broken"].written == 3
    assert len(healthy.metas) == 20
    assert broken.closes == 1


def test_only_views_some_sink_carries_are_composed():
    composer = Composer()
    with RenderLoop(composer, SIZE, fps=200, sinks=[Recording(view="self")]) as loop:
        loop.run(frames=3)
    assert composer.calls == ["self"] * 3

    composer = Composer()
    stream, self_view = Recording(name="s"), Recording(view="self", name="p")
    with RenderLoop(composer, SIZE, fps=200, sinks=[stream, self_view], queue_depth=32) as loop:
        loop.run(frames=3)
    assert composer.calls == ["stream", "self"] * 3
    assert {m.view for m in stream.metas} == {"stream"} and {m.view for m in self_view.metas} == {"self"}


def test_no_sinks_still_composes_the_stream():
    composer = Composer()
    with RenderLoop(composer, SIZE, fps=200) as loop:
        stats = loop.run(frames=4)
    assert composer.calls == ["stream"] * 4 and stats.frames == 4


def test_late_frames_are_skipped_not_burst():
    composer = Composer()
    original = composer.__call__

    def compose(out, view):  # the third frame takes five frame intervals
        capture = original(out, view)
        if len(composer.calls) == 3:
            time.sleep(0.25)
        return capture

    sink = Recording()
    with RenderLoop(compose, SIZE, fps=20, sinks=[sink]) as loop:
        stats = loop.run(frames=6)
    assert stats.late_frames >= 3
    gaps = [round((b.due - a.due) * 20) for a, b in zip(sink.metas, sink.metas[1:])]
    assert max(gaps) >= 4 and gaps.count(1) >= 3


def test_resize_composes_at_the_new_size_and_sinks_keep_theirs():
    composer, sink = Composer(), Recording()
    loop = RenderLoop(composer, SIZE, fps=100, sinks=[sink])
    loop.start()
    try:
        _wait_for(lambda: len(sink.metas) >= 3)
        loop.resize((32, 24))
        _wait_for(lambda: (24, 32, 3) in composer.shapes and len(sink.metas) >= 10)
    finally:
        loop.close()
    assert set(sink.shapes) == {(48, 64, 3)}


def test_set_fps_changes_the_schedule():
    sink = Recording()
    loop = RenderLoop(Composer(), SIZE, fps=10, sinks=[sink], phase_lock=False)
    loop.start()
    try:
        _wait_for(lambda: len(sink.metas) >= 2)
        loop.set_fps(100)
        _wait_for(lambda: len(sink.metas) >= 12)
    finally:
        loop.close()
    last_gap = sink.metas[-1].due - sink.metas[-2].due
    assert last_gap == pytest.approx(0.01, abs=1e-6)
    assert loop.stats.target_fps == 100


# -- phase lock: compose camera frames soon after they arrive ----------------------------------

PERIOD = 1 / 30


def _meta(start, capture):
    return FrameMeta(0, "stream", start, start, start + 0.001, capture)


def test_phase_lock_corrects_whole_once_then_in_small_steps_modulo_the_period():
    lock = PhaseLock()
    # a frame that waited 20 ms: the grid moves 15 ms earlier at once (age -> the 5 ms margin)
    assert lock.shift(_meta(1.000, 0.980), PERIOD) == pytest.approx(LOCK_MARGIN_S - 0.020)
    # the same camera frame again (a slower camera): nothing to learn
    assert lock.shift(_meta(1.020, 0.980), PERIOD) == 0.0
    # a frame 30 ms old means the next one is 3.3 ms away: move later, by one capped step
    assert lock.shift(_meta(1.100, 1.070), PERIOD) == pytest.approx(LOCK_MAX_STEP_S)
    # close to the margin: a fraction of the error
    assert lock.shift(_meta(1.200, 1.1954), PERIOD) == pytest.approx(0.25 * (LOCK_MARGIN_S - 0.0046))
    # no camera: nothing
    assert lock.shift(_meta(1.300, None), PERIOD) == 0.0


def test_phase_lock_cannot_pull_the_output_rate_off_a_camera_at_another_rate():
    """A 25 fps camera into a 30 fps grid: ages never settle, the lock chases them, but over
    10 s its corrections move the grid by at most 0.5% of the time plus half a period."""
    lock, t0, total = PhaseLock(), 0.0, 0.0
    for k in range(300):
        start = t0 + k * PERIOD + total
        capture = (start // 0.04) * 0.04 - 0.0005            # the newest 25 fps frame
        total += lock.shift(_meta(start, capture), PERIOD)
    assert abs(lock.drift) <= 0.005 * 10 + PERIOD / 2 + 1e-9


class Camera:
    """A camera thread publishing at `fps` from its own start, like cameras.base.Camera."""

    def __init__(self, fps=30.0, phase=0.0):
        self.capture, self._stop = None, threading.Event()
        self._thread = threading.Thread(target=self._run, args=(fps, phase), daemon=True)
        self._thread.start()

    def _run(self, fps, phase):
        t0 = time.monotonic() + phase
        k = 0
        while not self._stop.is_set():
            due = t0 + k / fps
            time.sleep(max(0.0, due - time.monotonic()))
            self.capture = time.monotonic()
            k += 1

    def close(self):
        self._stop.set()
        self._thread.join()


@pytest.mark.parametrize("phase", [0.004, 0.020, 0.031])
def test_render_loop_locks_onto_the_camera_phase(phase):
    """Whatever the phase between camera and loop at start, after the first frame each camera
    frame is composed within a few ms of arriving, and the output keeps its spacing."""
    camera, sink = Camera(phase=phase), Recording()
    def compose(out, view):
        out[...] = 0
        return camera.capture
    try:
        _wait_for(lambda: camera.capture is not None)
        with RenderLoop(compose, SIZE, fps=30, sinks=[sink], queue_depth=64) as loop:
            stats = loop.run(frames=45)
    finally:
        camera.close()
    ages = sorted(m.compose_start - m.capture for m in sink.metas[15:])
    # a loaded 2-core machine may oversleep now and then: the median frame is what must be fresh
    assert ages[len(ages) // 2] < LOCK_MARGIN_S + 0.004, ages
    gaps = [b.due - a.due for a, b in zip(sink.metas, sink.metas[1:])]
    assert all(abs(gap - PERIOD) <= PERIOD / 2 + 1e-9 for gap in gaps[:1])      # the whole correction
    assert all(abs(gap - PERIOD) <= LOCK_MAX_STEP_S + 1e-9 for gap in gaps[1:] if gap < 1.5 * PERIOD)
    assert stats.frames == 45


def test_compose_error_is_raised_from_run_and_sinks_are_closed():
    def compose(out, view):
        raise RuntimeError("scene exploded")

    sink = Recording()
    loop = RenderLoop(compose, SIZE, sinks=[sink])
    with pytest.raises(RuntimeError, match="scene exploded"):
        with loop:
            loop.run(frames=5)
    assert sink.closes == 1


def test_close_is_idempotent_and_a_closed_loop_refuses_work():
    loop = RenderLoop(Composer(), SIZE, sinks=[NullSink()])
    loop.close()
    loop.close()
    with pytest.raises(LayersValueError, match="closed"):
        loop.start()


def test_bad_arguments_are_rejected_with_the_value():
    with pytest.raises(LayersValueError, match="-5"):
        RenderLoop(Composer(), SIZE, fps=-5)
    with pytest.raises(LayersValueError, match=r"\(0, 48\)"):
        RenderLoop(Composer(), (0, 48))


def test_on_frame_reports_progress():
    seen = []
    with RenderLoop(Composer(), SIZE, fps=200, on_frame=seen.append) as loop:
        loop.run(frames=5)
    assert seen == [0, 1, 2, 3, 4]


def test_sigint_finishes_the_file_cleanly(tmp_path):
    path = tmp_path / "interrupted.mp4"
    sink = FileSink(str(path))
    sink.open(SIZE, 30)
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    with RenderLoop(Composer(), SIZE, fps=30, sinks=[sink], queue_depth=256) as loop:
        timer.start()
        stats = loop.run(seconds=30)
    assert loop.stopped_by_signal == signal.SIGINT
    assert 5 <= stats.frames < 30 * 5
    with av.open(str(path)) as container:
        assert sum(1 for _ in container.decode(video=0)) == stats.frames


def _wait_for(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.005)
