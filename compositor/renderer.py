"""The paced render loop: compose each view once per frame and hand it to every sink.

    with RenderLoop(compose, (1280, 720), fps=30, sinks=[open_sink("demo.mp4", (1280, 720), 30)]) as loop:
        stats = loop.run(seconds=10)
    print(stats.format_table())

Pacing: frame k is due at t0 + k/fps on the monotonic clock, so there is no drift however long
it runs. When composing falls behind by one or more whole frame intervals the missed slots are
counted as late and skipped; the loop never bursts to catch up.

Phase lock: a camera and the loop both tick at about the rate, but from unrelated starts, so a
camera frame could wait anywhere from 0 to a whole interval before it is composed: a random
extra frame of latency per run. `PhaseLock` moves t0 so that frames are composed `margin` after
the camera delivers them: once fully at the first camera frame, then by small steps that follow
the camera's own clock without visible jumps in the output's spacing.

Buffers: each view is composed into an array from a small pool. A frame is shared by every sink
carrying its view, with a reference count; when the last sink is done the array goes back to the
pool. The pool only grows while the queues fill, so a steady run allocates nothing per frame.

Sinks: each runs on its own thread behind a queue of `queue_depth` frames. When a queue is full
the frame is dropped for that sink and counted; a slow sink never stalls compose. A sink that
raises is reported once (log message and stats), closed and removed; the others go on.
"""

from __future__ import annotations

import logging
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterable

import numpy as np

from compositor.errors import LayersValueError
from compositor.sinks.base import VIEWS, Sink, check_size
from compositor.stats import FrameMeta, RenderStats, StatsRecorder

log = logging.getLogger(__name__)

Compose = Callable[[np.ndarray, str], "float | None"]

DEFAULT_FPS = 30.0
# Frames a sink may have waiting. Two absorb one slow write (a keyframe, a disk hiccup) without
# dropping, and keep capture->written latency within three frames when a sink cannot keep up.
QUEUE_DEPTH = 2
# How long stop() waits for a sink to write what it has queued before giving up on it.
DRAIN_TIMEOUT_S = 10.0
# Phase lock: compose this long after a camera frame arrives (room for capture-thread jitter),
# correcting this fraction of the phase error per new camera frame, by at most this much.
LOCK_MARGIN_S = 0.005
LOCK_GAIN = 0.25
LOCK_MAX_STEP_S = 0.002
LOCK_MAX_DRIFT = 0.005      # the most the lock may change the output's rate over a run (0.5%)


class _BufferPool:
    """Reusable HxWx3 uint8 frames of one size; arrays of an old size are not taken back."""

    def __init__(self, size: tuple[int, int]):
        self.shape = (size[1], size[0], 3)
        self._free: list[np.ndarray] = []
        self._lock = threading.Lock()
        self.allocated = 0

    def acquire(self) -> np.ndarray:
        with self._lock:
            if self._free:
                return self._free.pop()
            self.allocated += 1
        return np.empty(self.shape, np.uint8)

    def release(self, buffer: np.ndarray) -> None:
        if buffer.shape == self.shape:
            with self._lock:
                self._free.append(buffer)


class _Frame:
    """One composed view shared by the sinks carrying it; back to the pool after the last one."""

    __slots__ = ("pixels", "meta", "_refs", "_pool", "_lock")

    def __init__(self, pixels: np.ndarray, meta: FrameMeta, pool: _BufferPool):
        self.pixels, self.meta, self._pool = pixels, meta, pool
        self._refs = 1  # the render thread's own, dropped after handing out
        self._lock = threading.Lock()

    def retain(self) -> None:
        with self._lock:
            self._refs += 1

    def release(self) -> None:
        with self._lock:
            self._refs -= 1
            last = self._refs == 0
        if last:
            self._pool.release(self.pixels)


class PhaseLock:
    """Keeps the frame grid `margin` behind the camera's frames (see the module docstring).

    `shift(meta, period)` returns how far to move the grid (seconds, positive: later) after a
    frame composed from a camera frame captured at `meta.capture`. The error is taken modulo the
    period, so a grid just before the next camera frame moves later, one just after moves
    earlier. The first correction is whole (at most half a period, so output timestamps neither
    collide nor leave a gap); later ones are steps of at most `max_step` that follow the
    camera's clock, within a drift budget: over a run they move the grid by no more than
    `max_drift` of the elapsed time (plus half a period), so a camera at an unrelated rate
    (25 fps into a 30 fps output) cannot pull the output's rate off by more than that.
    A repeated camera frame (a camera slower than the loop) or no camera changes nothing.
    """

    def __init__(self, margin: float = LOCK_MARGIN_S, gain: float = LOCK_GAIN,
                 max_step: float = LOCK_MAX_STEP_S, max_drift: float = LOCK_MAX_DRIFT):
        self.margin, self.gain, self.max_step, self.max_drift = margin, gain, max_step, max_drift
        self._last_capture: float | None = None
        self._since: float | None = None       # when the first correction was made
        self.drift = 0.0                        # sum of the later corrections, seconds

    def shift(self, meta: FrameMeta, period: float) -> float:
        capture = meta.capture
        if capture is None or capture == self._last_capture:
            return 0.0
        self._last_capture = capture
        age = meta.compose_start - capture
        error = (self.margin - age + period / 2) % period - period / 2    # in [-period/2, period/2)
        if self._since is None:
            self._since = meta.compose_start
            return error
        budget = self.max_drift * (meta.compose_start - self._since) + period / 2
        step = max(-self.max_step, min(self.max_step, self.gain * error))
        step = max(-budget - self.drift, min(budget - self.drift, step))
        self.drift += step
        return step


_STOP = object()  # tells a sink worker to exit once it has written what is queued


class _SinkWorker:
    """A sink's thread and bounded queue."""

    def __init__(self, sink: Sink, key: str, loop: RenderLoop, depth: int):
        self.sink, self.key, self._loop, self._depth = sink, key, loop, depth
        # Unbounded Queue, bounded by `offer`: only the render thread adds frames, so the size
        # check cannot race, and the stop marker can always be queued without blocking. A sink
        # holds at most `depth` waiting frames plus the one it is writing.
        self._queue: queue.Queue = queue.Queue()
        self.failed = False
        self.thread = threading.Thread(target=self._run, name=f"sink {key}", daemon=True)
        self.thread.start()

    def offer(self, frame: _Frame) -> bool:
        """Queue a frame unless the sink is `depth` frames behind; False when dropped."""
        if self.failed or self._queue.qsize() >= self._depth:
            return False
        frame.retain()
        self._queue.put(frame)
        return True

    def finish(self) -> None:
        self._queue.put(_STOP)

    def wait_drained(self, deadline: float) -> None:
        """Wait (until `deadline`, monotonic) for every queued frame to be written or discarded."""
        while self._queue.unfinished_tasks and time.monotonic() < deadline and self.thread.is_alive():
            time.sleep(0.005)

    def _run(self) -> None:
        recorder = self._loop._recorder
        while (item := self._queue.get()) is not _STOP:
            try:
                if not self.failed:
                    self.sink.write(item.pixels, item.meta)
                    recorder.record_written(self.key, item.meta, time.monotonic())
            except Exception as error:  # any failure of an output is reported, never fatal
                self.failed = True
                self._loop._sink_failed(self, error)
            finally:
                item.release()
                self._queue.task_done()
        self._queue.task_done()


class RenderLoop:
    """Paced compositing into sinks. Thread-safe: sinks, fps and size may change while running.

    `compose(out, view)` fills `out` (HxWx3 uint8 RGB) with that view ("stream" or "self") and
    returns the capture timestamp (`time.monotonic()`) of the camera frame it used, or None.
    Only views some sink carries are composed ("stream" when there is no sink, so the loop's
    own cost can be measured). The loop owns the sinks given to it: it opens them (if they
    are not open yet) and closes them when they are removed or the loop is closed. With
    `phase_lock` (the default) the frame grid follows the camera's frames (`PhaseLock`);
    without it, frame k is due exactly at t0 + k/fps.
    """

    def __init__(self, compose: Compose, size: tuple[int, int], fps: float = DEFAULT_FPS,
                 sinks: Iterable[Sink] = (), *, queue_depth: int = QUEUE_DEPTH,
                 on_frame: Callable[[int], None] | None = None, phase_lock: bool = True):
        self._compose = compose
        self.phase_lock = phase_lock      # follow the camera's frame phase (module docstring)
        self._size = check_size(size)
        self._fps = _check_fps(fps)
        if queue_depth < 1:
            raise LayersValueError(f"bad queue depth {queue_depth!r}: must be at least 1")
        self._depth = queue_depth
        self.on_frame = on_frame
        self._recorder = StatsRecorder(self._fps)
        self._pool = _BufferPool(self._size)
        self._lock = threading.Lock()  # guards _workers, _size, _fps, _pool changes
        self._workers: tuple[_SinkWorker, ...] = ()
        self._wake = threading.Event()  # interrupts the pacing sleep: stop, fps or size change
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._schedule_changed = False
        self._frame_limit: int | None = None
        self._deadline: float | None = None
        self._frames = 0
        self._error: BaseException | None = None
        self._closed = False
        self.stopped_by_signal: int | None = None
        for sink in sinks:
            self.add_sink(sink)

    # -- public API -------------------------------------------------------------------------

    @property
    def size(self) -> tuple[int, int]:
        return self._size

    @property
    def fps(self) -> float:
        return self._fps

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def sinks(self) -> list[Sink]:
        return [worker.sink for worker in self._workers]

    @property
    def stats(self) -> RenderStats:
        """A consistent snapshot, safe to read from any thread at any time."""
        return self._recorder.snapshot()

    def add_sink(self, sink: Sink) -> None:
        """Open the sink if needed and start feeding it from the next frame."""
        if self._closed:
            raise LayersValueError("the render loop is closed")
        sink.open(self._size, self._fps)
        with self._lock:
            if any(worker.sink is sink for worker in self._workers):
                return
            key = self._unique_key(sink.name)
            self._recorder.add_sink(key, sink.describe())
            self._workers = (*self._workers, _SinkWorker(sink, key, self, self._depth))

    def remove_sink(self, sink: Sink) -> None:
        """Stop feeding the sink, let it write what is queued, and close it."""
        with self._lock:
            worker = next((w for w in self._workers if w.sink is sink), None)
            if worker is None:
                return
            self._workers = tuple(w for w in self._workers if w is not worker)
        self._retire(worker)

    def set_fps(self, fps: float) -> None:
        """Change the target rate; the schedule restarts from the next frame."""
        with self._lock:
            self._fps = _check_fps(fps)
            self._schedule_changed = True
        self._recorder.set_target_fps(self._fps)
        self._wake.set()

    def resize(self, size: tuple[int, int]) -> None:
        """Compose at a new canvas size from the next frame (sinks scale to their own size)."""
        size = check_size(size)
        with self._lock:
            if size != self._size:
                self._size, self._pool = size, _BufferPool(size)
        self._wake.set()

    def start(self, frames: int | None = None, seconds: float | None = None) -> None:
        """Render on a background thread until stop(), or `frames` frames, or `seconds` seconds."""
        if self._closed:
            raise LayersValueError("the render loop is closed")
        if self.running:
            return
        if frames is not None and frames < 0 or seconds is not None and seconds < 0:
            raise LayersValueError(f"bad run length frames={frames!r} seconds={seconds!r}: must be >= 0")
        self._stopping.clear()
        self._wake.clear()
        self._frame_limit = None if frames is None else self._frames + frames
        self._deadline = None if seconds is None else time.monotonic() + seconds
        self._recorder.start()
        self._thread = threading.Thread(target=self._render, name="render", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop rendering and wait until every sink has written the frames queued for it.

        If `compose` (or `on_frame`) raised on the render thread, that error is raised here.
        """
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
            self._recorder.stop()
        self._drain()
        error, self._error = self._error, None
        if error is not None:
            raise error

    def close(self) -> None:
        """Stop, then finish and close every sink. Idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            self.stop()
        finally:
            with self._lock:
                workers, self._workers = self._workers, ()
            for worker in workers:
                self._retire(worker)

    def run(self, frames: int | None = None, seconds: float | None = None,
            handle_signals: bool = True) -> RenderStats:
        """Render in the background and block until done; returns the final stats.

        With `handle_signals` (and when called from the main thread), SIGINT and SIGTERM end the
        run cleanly, so files are finished instead of cut; `stopped_by_signal` tells which.
        """
        previous = self._install_signal_handlers() if handle_signals else {}
        try:
            self.start(frames, seconds)
            thread = self._thread  # stop() from another thread may clear the attribute
            while thread is not None and thread.is_alive():
                thread.join(0.1)  # short waits keep signal handlers responsive
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            self.stop()
        return self.stats

    def __enter__(self) -> RenderLoop:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- render thread ----------------------------------------------------------------------

    def _render(self) -> None:
        try:
            self._pace()
        except BaseException as error:  # a compose failure ends the run; stop() re-raises it
            self._error = error
        finally:
            self._stopping.set()

    def _pace(self) -> None:
        period, t0, slot = 1.0 / self._fps, time.monotonic(), 0
        lock = PhaseLock()
        while not self._stopping.is_set():
            if self._schedule_changed:
                with self._lock:
                    self._schedule_changed = False
                    period, t0, slot = 1.0 / self._fps, time.monotonic(), 0
                    lock = PhaseLock()
            due = t0 + slot * period
            if self._finished(due):
                break
            now = time.monotonic()
            if now < due:
                self._wake.wait(due - now)
                self._wake.clear()
                continue  # re-check stop, schedule changes and the time
            late = int((now - due) / period)  # whole intervals missed: skip, never burst
            slot += late
            meta = self._render_frame(t0 + slot * period, late)
            if self.phase_lock:
                t0 += lock.shift(meta, period)
            slot += 1

    def _finished(self, due: float) -> bool:
        if self._frame_limit is not None and self._frames >= self._frame_limit:
            return True
        return self._deadline is not None and due >= self._deadline

    def _render_frame(self, due: float, late: int) -> FrameMeta:
        """Compose every view carried by a sink, hand the frames out; the first view's timing."""
        with self._lock:
            workers, pool = self._workers, self._pool
        views = [view for view in VIEWS if any(w.sink.view == view for w in workers)] or ["stream"]
        frames = [self._compose_view(view, due, pool) for view in views]
        self._recorder.record_frame([frame.meta for frame in frames], late)
        for worker in workers:
            frame = frames[views.index(worker.sink.view)]
            if not worker.offer(frame):
                if not worker.failed:
                    self._recorder.record_dropped(worker.key)
        for frame in frames:
            frame.release()
        index = self._frames
        self._frames += 1
        if self.on_frame is not None:
            self.on_frame(index)
        return frames[0].meta

    def _compose_view(self, view: str, due: float, pool: _BufferPool) -> _Frame:
        pixels = pool.acquire()
        start = time.monotonic()
        capture = self._compose(pixels, view)
        meta = FrameMeta(self._frames, view, due, start, time.monotonic(), capture)
        return _Frame(pixels, meta, pool)

    # -- sinks ------------------------------------------------------------------------------

    def _unique_key(self, name: str) -> str:
        taken = {worker.key for worker in self._workers}
        key, n = name, 2
        while key in taken:
            key, n = f"{name}#{n}", n + 1
        return key

    def _sink_failed(self, worker: _SinkWorker, error: Exception) -> None:
        """Called on the sink's thread: report once, detach it, close it (its thread ends after)."""
        message = str(error) or type(error).__name__
        self._recorder.record_error(worker.key, message)
        log.error("output %s failed and was removed: %s", worker.key, message)
        with self._lock:
            self._workers = tuple(w for w in self._workers if w is not worker)
        worker.finish()
        try:
            worker.sink.close()
        except Exception as close_error:
            log.debug("closing failed output %s: %s", worker.key, close_error)

    def _retire(self, worker: _SinkWorker) -> None:
        worker.finish()
        worker.thread.join(DRAIN_TIMEOUT_S)
        if worker.thread.is_alive():
            log.error("output %s did not finish writing within %.0f s; closing it anyway",
                      worker.key, DRAIN_TIMEOUT_S)
        try:
            worker.sink.close()
        except Exception as error:
            self._recorder.record_error(worker.key, str(error))
            log.error("output %s failed while closing: %s", worker.key, error)

    def _drain(self) -> None:
        """Wait until every sink's queue is empty (written or dropped)."""
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        for worker in self._workers:
            worker.wait_drained(deadline)

    def _install_signal_handlers(self) -> dict:
        if threading.current_thread() is not threading.main_thread():
            return {}

        def request_stop(signum, frame) -> None:
            self.stopped_by_signal = signum
            self._stopping.set()
            self._wake.set()

        return {signum: signal.signal(signum, request_stop) for signum in (signal.SIGINT, signal.SIGTERM)}


def _check_fps(fps: float) -> float:
    if not fps > 0:
        raise LayersValueError(f"bad frame rate {fps!r}: must be positive")
    return float(fps)
