"""GStreamer's ``compositor`` element, run by ``gst-launch-1.0`` on raw frames written to a temp dir.

One pipeline per scene: each layer is a source (``filesrc ! rawvideoparse ! imagefreeze`` for
static content, ``multifilesrc loop=true ! rawvideoparse`` cycling through a camera's frames),
cameras are mirrored by ``videoflip``, and the compositor pads scale (bilinear converter) and
place them; the RGBA output is converted to RGB and written to a pipe that the per-frame function
reads. A frame's time is the wait for it on that pipe: the pipeline runs free, so this is its
throughput per frame; only the startup (first frame) is set apart, as the harness does for all.

GStreamer's base/good plugins have no per-pixel alpha-merge element, so masks and cutouts are
baked into the RGBA frames written to disk (the cutout mapped back to source space). That
spares GStreamer the masking work the other contenders do per frame: its numbers are, if
anything, flattering. Threads: ``compositor max-threads``, the pads' converter threads and
``videoconvert n-threads``.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np

from benchmarks.scenes import BenchLayer, BenchScene

NAME = "GStreamer compositor"

ELEMENTS = ("compositor", "rawvideoparse", "imagefreeze", "multifilesrc", "videoflip", "videoconvert", "fdsink")
INSTALL_HINT = "apt-get install gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good"
PIPE_BYTES = 1 << 20  # a 1 MiB pipe: fewer wake-ups per frame than the 64 KiB default


def available() -> str | None:
    if shutil.which("gst-launch-1.0") is None or shutil.which("gst-inspect-1.0") is None:
        return f"gst-launch-1.0 is not installed ({INSTALL_HINT})"
    missing = [name for name in ELEMENTS
               if subprocess.run(["gst-inspect-1.0", "--exists", name], capture_output=True).returncode != 0]
    return f"GStreamer lacks the elements {', '.join(missing)} ({INSTALL_HINT})" if missing else None


def prepare(scene: BenchScene, threads: int) -> Callable[[int], np.ndarray]:
    return _Pipeline(scene, threads)


class _Pipeline:
    """A running gst-launch-1.0 process; calling it returns the next composed frame, in order."""

    def __init__(self, scene: BenchScene, threads: int):
        self.shape = (scene.height, scene.width, 3)
        self.next_index = 0
        self.folder = tempfile.TemporaryDirectory(prefix="layers-bench-gst-")
        read_end, write_end = os.pipe()
        try:
            fcntl.fcntl(read_end, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        except OSError:
            pass  # a smaller pipe only costs more wake-ups
        self.log = open(Path(self.folder.name) / "gst.log", "w+b")
        self.process = subprocess.Popen(
            ["gst-launch-1.0", "-q", *_pipeline(scene, threads, Path(self.folder.name), write_end)],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT, pass_fds=(write_end,))
        os.close(write_end)
        self.stream = os.fdopen(read_end, "rb", buffering=0)

    def __call__(self, index: int) -> np.ndarray:
        if index != self.next_index:
            raise ValueError(f"the GStreamer pipeline streams frames in order: asked for frame {index}, "
                             f"the next one is {self.next_index}")
        frame = np.empty(self.shape, np.uint8)
        view, filled = memoryview(frame).cast("B"), 0
        while filled < len(view):
            got = self.stream.readinto(view[filled:])
            if not got:
                raise RuntimeError(f"gst-launch-1.0 stopped after {index} frames: {self._log_tail()}")
            filled += got
        self.next_index += 1
        return frame

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.stream.close()
        self.log.close()
        self.folder.cleanup()

    def _log_tail(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-2000:].strip() or "no output"


def _pipeline(scene: BenchScene, threads: int, folder: Path, fd: int) -> list[str]:
    """gst-launch-1.0 arguments: the compositor with one pad per layer, then every source branch."""
    converter = ('"s,GstVideoConverter.resampler-method=(string)linear,'
                 f'GstVideoConverter.threads=(uint){threads}"')
    args = ["compositor", "name=mix", "background=black", f"max-threads={threads}"]
    branches: list[str] = []
    for pad, layer in enumerate(scene.layers):
        args += [f"sink_{pad}::xpos={layer.x}", f"sink_{pad}::ypos={layer.y}", f"sink_{pad}::zorder={pad}",
                 f"sink_{pad}::width={layer.width}", f"sink_{pad}::height={layer.height}",
                 f"sink_{pad}::converter-config={converter}"]
        branches += [*_source(layer, folder / f"layer{pad}"), "!", f"mix.sink_{pad}"]
    args += ["!", f"video/x-raw,format=RGBA,width={scene.width},height={scene.height},framerate=30/1",
             "!", "videoconvert", f"n-threads={threads}", "!", "video/x-raw,format=RGB",
             "!", "fdsink", f"fd={fd}", "sync=false"]
    return args + branches


def _source(layer: BenchLayer, stem: Path) -> list[str]:
    """Write the layer's frames as raw RGBA files; return the branch that plays them forever."""
    frames = _baked_rgba(layer)
    height, width = frames[0].shape[:2]
    parse = ["rawvideoparse", "format=rgba", f"width={width}", f"height={height}", "framerate=30/1"]
    if not layer.per_frame:
        frames[0].tofile(f"{stem}.raw")
        return ["filesrc", f"location={stem}.raw", "!", *parse, "!", "imagefreeze"]
    for index, frame in enumerate(frames):
        frame.tofile(f"{stem}_{index}.raw")
    branch = ["multifilesrc", f"location={stem}_%d.raw", "index=0", f"stop-index={len(frames) - 1}",
              "loop=true", "!", *parse]
    return branch + (["!", "videoflip", "video-direction=horiz"] if layer.mirror else [])


def _baked_rgba(layer: BenchLayer) -> list[np.ndarray]:
    """Straight RGBA frames with mask and cutout multiplied into alpha; static layers pre-mirrored."""
    first = layer.frames[0]
    height, width = first.shape[:2]
    factor = np.ones((height, width), np.float32)
    if layer.mask is not None:
        factor *= layer.mask / 255.0
    if layer.cutout is not None:
        # Nearest source pixel of each destination pixel, mapped back: the cutout in source space,
        # un-mirrored because the mirror happens after it would have been applied.
        rows = np.minimum(((np.arange(height) + 0.5) * layer.height / height).astype(np.intp), layer.height - 1)
        cols = np.minimum(((np.arange(width) + 0.5) * layer.width / width).astype(np.intp), layer.width - 1)
        cutout = layer.cutout[rows][:, cols]
        factor *= (cutout[:, ::-1] if layer.mirror else cutout) / 255.0
    baked = []
    for frame in layer.frames:
        rgba = np.empty((height, width, 4), np.uint8)
        rgba[..., :3] = frame[..., :3]
        alpha = frame[..., 3] if frame.shape[2] == 4 else np.full((height, width), 255, np.uint8)
        rgba[..., 3] = np.rint(alpha * factor).astype(np.uint8)
        if layer.mirror and not layer.per_frame:
            rgba = np.ascontiguousarray(rgba[:, ::-1])
        baked.append(rgba)
    return baked
