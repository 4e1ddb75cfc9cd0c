import errno
import io
import signal
import subprocess
import sys
import textwrap

import av
import numpy as np
import pytest

from compositor.errors import LayersValueError, SinkError
from compositor.sinks import file as file_module
from compositor.sinks.file import FileSink
from compositor.stats import FrameMeta

W, H, FPS = 96, 64, 30


def meta(i, slot=None):
    due = (i if slot is None else slot) / FPS
    return FrameMeta(i, "stream", due, due, due)


def frame(i):
    """A frame with known values: left half a grey level per frame, right half a fixed colour."""
    image = np.empty((H, W, 3), np.uint8)
    image[:, : W // 2] = (i * 12) % 256
    image[:, W // 2:] = (200, 40, 90)
    return image


def decode(path):
    """Decoded RGB frames; a truncated tail packet (after a crash) ends the list."""
    frames = []
    try:
        with av.open(str(path)) as container:
            for f in container.decode(video=0):
                frames.append(f.to_ndarray(format="rgb24"))
    except av.error.InvalidDataError:
        pass
    return frames


@pytest.mark.parametrize("name, codec", [("out.mp4", None), ("out.mkv", None), ("out.ts", None),
                                         ("out.webm", "libvpx-vp9")])
def test_round_trip_decodes_every_frame_with_close_pixels(tmp_path, name, codec):
    path = tmp_path / name
    options = {"codec": codec} if codec else {}
    with FileSink(str(path), **options) as sink:
        sink.open((W, H), FPS)
        assert f"{W}x{H}@30" in sink.describe() and "stream view" in sink.describe()
        for i in range(15):
            sink.write(frame(i), meta(i))
    decoded = decode(path)
    assert len(decoded) == 15
    assert decoded[0].shape == (H, W, 3)
    for i, image in enumerate(decoded):
        assert abs(int(image[H // 2, W // 4, 0]) - (i * 12) % 256) <= 6
        assert np.abs(image[H // 2, 3 * W // 4].astype(int) - (200, 40, 90)).max() <= 8


def test_timestamps_follow_the_schedule_so_skipped_slots_keep_real_time(tmp_path):
    path = tmp_path / "gaps.mp4"
    with FileSink(str(path)) as sink:
        sink.open((W, H), FPS)
        for i, slot in enumerate([0, 1, 2, 5, 6]):
            sink.write(frame(i), meta(i, slot))
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        pts = [f.pts for f in container.decode(stream)]
        seconds = [float(p * stream.time_base) for p in pts]
    assert seconds == pytest.approx([0, 1 / 30, 2 / 30, 5 / 30, 6 / 30], abs=1e-3)


CRASHING_WRITER = textwrap.dedent("""
    import sys, numpy as np
    from compositor.sinks.file import FileSink
    from compositor.stats import FrameMeta
    sink = FileSink(sys.argv[1]); sink.open((96, 64), 30)
    print(0, flush=True)
    rng = np.random.default_rng(1)
    for i in range(100000):
        image = rng.integers(0, 256, (64, 96, 3), np.uint8)   # noisy: big packets
        image[:, :48] = (i * 12) % 256
        sink.write(image, FrameMeta(i, "stream", i / 30, 0, 0))
        print(sink.flushed_frames, flush=True)                 # this many are on disk for sure
""")


@pytest.mark.parametrize("name", ["killed.mp4", "killed.ts"])
def test_sigkilled_recording_still_decodes_every_flushed_frame(tmp_path, name):
    path = tmp_path / name
    process = subprocess.Popen([sys.executable, "-c", CRASHING_WRITER, str(path)],
                               stdout=subprocess.PIPE, text=True)
    try:
        for line in process.stdout:
            if int(line) >= 40:
                break
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
    flushed = int(line)
    decoded = decode(path)
    assert len(decoded) >= flushed
    for i in (0, flushed // 2, flushed - 1):
        assert abs(int(decoded[i][H // 2, W // 4, 0]) - (i * 12) % 256) <= 8


class FullDisk(io.RawIOBase):
    """A file that accepts `capacity` bytes, then fails as a full disk does."""

    def __init__(self, path, capacity):
        self._file, self._capacity, self.written = open(path, "wb", buffering=0), capacity, 0

    def writable(self):
        return True

    def seekable(self):
        return True

    def write(self, data):
        if self.written + len(data) > self._capacity:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.written += len(data)
        return self._file.write(data)

    def seek(self, offset, whence=0):
        return self._file.seek(offset, whence)

    def tell(self):
        return self._file.tell()

    def close(self):
        self._file.close()
        super().close()


def test_disk_full_is_a_clear_sink_error_and_the_file_stays_playable(tmp_path, monkeypatch):
    path = tmp_path / "full.mp4"
    monkeypatch.setattr(file_module, "_open_output", lambda p: FullDisk(p, capacity=12_000))
    sink = FileSink(str(path))
    sink.open((W, H), FPS)
    with pytest.raises(SinkError, match="No space left on device") as raised:
        for i in range(10_000):
            sink.write(frame(i), meta(i))
    written = sink.flushed_frames
    assert written > 3, "some frames fitted before the disk filled"
    assert f"the {written} frames written before it stay playable" in str(raised.value)
    with pytest.raises(SinkError, match="earlier error"):
        sink.write(frame(0), meta(10_001))
    sink.close()  # must not raise again
    decoded = decode(path)
    assert len(decoded) >= written
    assert abs(int(decoded[written - 1][H // 2, W // 4, 0]) - ((written - 1) * 12) % 256) <= 6


def test_bad_options_fail_at_open_with_the_value(tmp_path):
    with pytest.raises(LayersValueError, match="'nosuchcodec'"):  # also a ValueError
        FileSink(str(tmp_path / "a.mp4"), codec="nosuchcodec").open((W, H), FPS)
    with pytest.raises(LayersValueError, match="95x64"):
        FileSink(str(tmp_path / "a.mp4")).open((95, 64), FPS)
    with pytest.raises(LayersValueError, match="'a.avi'"):
        FileSink("a.avi")
    with pytest.raises(LayersValueError, match="mjpeg"):
        FileSink(str(tmp_path / "a.mkv"), codec="mjpeg", crf=20).open((W, H), FPS)
    with pytest.raises(SinkError, match="cannot create"):
        FileSink(str(tmp_path / "missing" / "a.mp4")).open((W, H), FPS)


def test_close_is_idempotent_and_a_closed_sink_cannot_reopen(tmp_path):
    for attempt in range(2):  # open, close, and the same again with a fresh sink
        sink = FileSink(str(tmp_path / "again.mp4"))
        sink.open((W, H), FPS)
        sink.write(frame(attempt), meta(0))
        sink.close()
        sink.close()
        assert len(decode(tmp_path / "again.mp4")) == 1
    with pytest.raises(SinkError, match="closed"):
        sink.open((W, H), FPS)
