"""`--out FILE.mp4|.mkv|.webm|.ts|.mov`: encoded video through PyAV, safe against crashes.

Colour conversion is done by OpenCV into I420 planes handed to PyAV as yuv420p, which skips
PyAV's swscale reformat (4.5 ms per 720p frame against 0.4 ms). H.264 (libx264) by default;
any PyAV encoder by name.

Crash safety (measured: see io-feasibility.md section 4): a plain MP4 killed mid-recording holds
nothing decodable, because its index is written at the end. Here MP4/MOV are fragmented, one
fragment per frame, and every packet is flushed to the OS as it is muxed; Matroska closes a
cluster every 200 ms; MPEG-TS has no index at all. x264 runs with tune=zerolatency (no
lookahead, no B-frames) so each frame leaves the encoder as soon as it is submitted. The MP4
muxer writes a frame's fragment when the next frame arrives (PyAV cannot ask it to flush
sooner), Matroska a cluster when it is 200 ms old, MPEG-TS each frame at once: `flushed_frames`
says how many frames are on disk for sure. A SIGKILL loses only the frames after those; a reader
sees one truncated tail packet, which it must skip.

Timestamps follow the render schedule (`FrameMeta.due`), so a frame the loop skipped or this
sink dropped shows the previous one longer instead of speeding the video up.
"""

from __future__ import annotations

import math
import os
from fractions import Fraction
from typing import BinaryIO

import av
import numpy as np

from compositor.errors import LayersValueError, SinkError
from compositor.sinks.base import Sink
from compositor.sinks.yuv import rgb_to_i420
from compositor.stats import FrameMeta

DEFAULT_CODEC = "libx264"
DEFAULT_CRF = 23
# veryfast: a third of one core at 720p30 (ultrafast: 15%, with files about twice as large).
DEFAULT_PRESET = "veryfast"
GOP_SECONDS = 1.0  # a keyframe a second: seeking and cutting stay cheap

_FLUSH = {"flush_packets": "1"}
_FRAGMENTED_MP4 = {"movflags": "frag_every_frame+empty_moov+default_base_moof", **_FLUSH}
_MATROSKA = {"cluster_time_limit": "200", **_FLUSH}
# extension -> (muxer, its options, seconds of muxed video it may still hold in memory)
CONTAINERS = {
    ".mp4": ("mp4", _FRAGMENTED_MP4, "frame"),
    ".mov": ("mov", _FRAGMENTED_MP4, "frame"),
    ".mkv": ("matroska", _MATROSKA, 0.2),
    ".webm": ("webm", _MATROSKA, 0.2),
    ".ts": ("mpegts", _FLUSH, 0.0),
}


def _open_output(path: str) -> BinaryIO:
    """The file PyAV writes through: unbuffered, so a flushed packet is in the OS at once.

    Writing through a Python file (rather than letting FFmpeg open the path) also makes write
    errors such as ENOSPC arrive as ordinary OSErrors with their errno.
    """
    return open(path, "wb", buffering=0)


def codec_options(codec: str, crf: int | None, preset: str | None, gop: int) -> dict[str, str]:
    """Encoder options for a low-latency live recording; only those the encoder understands."""
    options = {"g": str(gop)}
    if codec in ("libx264", "libx265"):
        options.update(preset=preset or DEFAULT_PRESET, crf=str(DEFAULT_CRF if crf is None else crf),
                       tune="zerolatency")
    elif codec == "libvpx-vp9":
        options.update({"deadline": "realtime", "cpu-used": "8", "b": "0",
                        "crf": str(32 if crf is None else crf)})
    elif crf is not None or preset is not None:
        raise LayersValueError(f"--crf/--preset apply to libx264, libx265 and libvpx-vp9, not {codec!r}")
    return options


class FileSink(Sink):
    def __init__(self, path: str, codec: str = DEFAULT_CODEC, crf: int | None = None,
                 preset: str | None = None, view: str = "stream"):
        super().__init__(view)
        self.path, self.codec = str(path), codec
        self.name = self.path
        extension = os.path.splitext(self.path)[1].lower()
        if extension not in CONTAINERS:
            raise LayersValueError(f"unsupported video file {self.path!r}: use one of "
                                   f"{', '.join(CONTAINERS)}")
        self._format, self._container_options, self._held_back = CONTAINERS[extension]
        self._crf, self._preset = crf, preset
        self._file: BinaryIO | None = None
        self._container = self._stream = None
        self._planes: np.ndarray | None = None
        self._pix_fmt = "yuv420p"
        self._first_due: float | None = None
        self._last_pts = -1
        self._failed = False
        self.frames = 0

    @property
    def flushed_frames(self) -> int:
        """Frames certainly written to the OS, which a crash right now would not lose."""
        if self._held_back == "frame":
            held = 1
        else:
            held = math.ceil(self._held_back * self.fps) if self.fps else 0
        return max(0, self.frames - held)

    def format(self) -> str:
        if self.size is None:
            return "not open"
        return (f"{self.codec} {self._pix_fmt} {self.size[0]}x{self.size[1]}@{self.fps:g} "
                f"in {self._format}")

    def _open(self, size: tuple[int, int], fps: float) -> None:
        width, height = size
        if width % 2 or height % 2:
            raise LayersValueError(f"{self.path}: yuv420p video needs an even frame size, got {width}x{height}")
        try:
            codec = av.codec.Codec(self.codec, "w")
        except (av.codec.codec.UnknownCodecError, av.error.FFmpegError) as error:
            raise LayersValueError(f"unknown video encoder {self.codec!r} ({error})") from error
        options = codec_options(self.codec, self._crf, self._preset, max(1, round(fps * GOP_SECONDS)))
        formats = [f.name for f in codec.video_formats or ()]
        # Encoders without yuv420p (rare) get their own format through PyAV's slower reformat.
        self._pix_fmt = "yuv420p" if not formats or "yuv420p" in formats else formats[0]
        try:
            self._file = _open_output(self.path)
        except OSError as error:
            raise SinkError(f"cannot create {self.path}: {error.strerror or error}") from error
        try:
            self._container = av.open(self._file, "w", format=self._format,
                                      options=dict(self._container_options))
            self._stream = self._container.add_stream(self.codec, rate=Fraction(fps).limit_denominator(1001))
            self._stream.width, self._stream.height, self._stream.pix_fmt = width, height, self._pix_fmt
            self._stream.options = options
            self._stream.codec_context.open()  # bad options fail here, not on the first frame
        except (OSError, av.error.FFmpegError) as error:
            self._abandon()
            raise SinkError(f"cannot encode {self.path} with {self.codec}: {error}") from error
        self._planes = np.empty((height * 3 // 2, width), np.uint8)

    def _write(self, frame: np.ndarray, meta: FrameMeta) -> None:
        if self._failed:
            raise SinkError(f"{self.path}: writing stopped after an earlier error")
        if self._pix_fmt == "yuv420p":
            video_frame = av.VideoFrame.from_ndarray(rgb_to_i420(frame, out=self._planes), format="yuv420p")
        else:
            video_frame = av.VideoFrame.from_ndarray(frame, format="rgb24")
        video_frame.pts = self._pts(meta.due)
        try:
            for packet in self._stream.encode(video_frame):
                self._container.mux(packet)
        except (OSError, av.error.FFmpegError) as error:
            self._failed = True
            reason = error.strerror if isinstance(error, OSError) and error.strerror else error
            raise SinkError(f"writing {self.path} failed: {reason} "
                            f"(the {self.flushed_frames} frames written before it stay playable)") from error
        self.frames += 1

    def _pts(self, due: float) -> int:
        """Frame slot since the first frame, in the stream's 1/fps time base, always increasing."""
        if self._first_due is None:
            self._first_due = due
        pts = max(self._last_pts + 1, round((due - self._first_due) * self._stream.average_rate))
        self._last_pts = pts
        return pts

    def _close(self) -> None:
        """Drain the encoder and write the trailer; after a write error, keep what is there."""
        try:
            if not self._failed:
                for packet in self._stream.encode(None):
                    self._container.mux(packet)
            self._container.close()
        except (OSError, av.error.FFmpegError) as error:
            if not self._failed:
                raise SinkError(f"finishing {self.path} failed: {error}") from error
        finally:
            self._file.close()

    def _abandon(self) -> None:
        if self._container is not None:
            try:
                self._container.close()
            except (OSError, av.error.FFmpegError):
                pass
        self._file.close()
