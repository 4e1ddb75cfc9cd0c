"""Cameras that need no hardware: a moving test pattern and a still image."""

from __future__ import annotations

import os
import time
from pathlib import Path

import cv2
import numpy as np

from cameras.base import Camera
from compositor.errors import CameraNotFound, LayersValueError

DEFAULT_WIDTH, DEFAULT_HEIGHT, DEFAULT_FPS = 1280, 720, 30.0
BAR_COLOURS = [  # the SMPTE colour bars at 75%: white, yellow, cyan, green, magenta, red, blue
    (191, 191, 191), (191, 191, 0), (0, 191, 191), (0, 191, 0), (191, 0, 191), (191, 0, 0), (0, 0, 191),
]
SWEEP_SECONDS = 4.0  # the moving bar crosses the frame once in this time, so stutter is visible


class TestPattern:
    """Deterministic frames: `render(k)` is the same image for the same k, every time.

    The static parts (colour bars, grey ramp) are drawn once; each frame copies them and adds a
    vertical bar sweeping left to right, a square bouncing on a Lissajous path, and the frame
    counter and media time (k / fps) burned in. A dropped frame shows as a jump of the counter.
    """

    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, width: int = DEFAULT_WIDTH, height: int = DEFAULT_HEIGHT, fps: float = DEFAULT_FPS,
                 label: str = "layers test pattern"):
        if width < 16 or height < 16 or width % 2 or height % 2:
            raise LayersValueError(f"test pattern size must be even and at least 16x16, got {width}x{height}")
        if not fps > 0:
            raise LayersValueError(f"test pattern fps must be positive, got {fps!r}")
        self.width, self.height, self.fps, self.label = width, height, float(fps), label
        self._background = self._draw_background()
        self._text_scale = max(0.4, height / 720)

    def _draw_background(self) -> np.ndarray:
        image = np.empty((self.height, self.width, 3), np.uint8)
        bars_bottom = self.height * 2 // 3
        edges = np.linspace(0, self.width, len(BAR_COLOURS) + 1).astype(int)
        for colour, x0, x1 in zip(BAR_COLOURS, edges[:-1], edges[1:]):
            image[:bars_bottom, x0:x1] = colour
        ramp = np.linspace(0, 255, self.width).astype(np.uint8)
        image[bars_bottom:] = ramp[None, :, None]
        return image

    def render(self, index: int) -> np.ndarray:
        """Frame number `index` as a new HxWx3 uint8 RGB array."""
        image = self._background.copy()
        w, h = self.width, self.height
        t = index / self.fps
        bar_x = int((t / SWEEP_SECONDS % 1.0) * w)
        cv2.rectangle(image, (bar_x, 0), (bar_x + max(2, w // 64), h - 1), (255, 255, 255), -1)
        side = h // 6
        cx = int((w - side) * (0.5 + 0.5 * np.sin(2 * np.pi * t / 3.0)))
        cy = int((h - side) * (0.5 + 0.5 * np.sin(2 * np.pi * t / 2.0)))
        cv2.rectangle(image, (cx, cy), (cx + side, cy + side), (255, 64, 0), -1)
        scale = self._text_scale
        strip = int(40 * scale)
        image[:strip] = 0
        text = f"{self.label}  frame {index:06d}  t={t:9.3f}s  {w}x{h}@{self.fps:g}"
        cv2.putText(image, text, (int(10 * scale), int(28 * scale)), cv2.FONT_HERSHEY_SIMPLEX, 0.8 * scale,
                    (255, 255, 255), max(1, int(2 * scale)), cv2.LINE_AA)
        return image


class TestPatternCamera(Camera):
    """A camera playing `TestPattern` in real time: frame k is due k / fps seconds after open().

    When the thread falls behind by more than one frame it skips to the frame that is due now
    (counted in `stats.drops`), so the burned-in counter always tells media time.
    """

    __test__ = False

    def __init__(self, width: int = DEFAULT_WIDTH, height: int = DEFAULT_HEIGHT, fps: float = DEFAULT_FPS, *,
                 camera_id: str | None = None, name: str | None = None):
        self.pattern = TestPattern(width, height, fps)
        super().__init__(camera_id or f"test:{width}x{height}@{fps:g}", name or f"Test pattern {width}x{height} @ {fps:g} fps")
        self._start = 0.0
        self._index = 0

    def _open_source(self) -> None:
        self._start, self._index = time.monotonic(), 0
        p = self.pattern
        self._details = {"backend": "synthetic", "width": p.width, "height": p.height, "fps": p.fps,
                         "pixel_format": "rgb24"}

    def _read(self) -> np.ndarray | None:
        period = 1.0 / self.pattern.fps
        due = self._start + self._index * period
        if not self._wait_until(due):
            return None
        behind = time.monotonic() - due
        if behind > period:
            skipped = int(behind / period)
            self.stats.drops += skipped
            self._index += skipped
        rgb = self.pattern.render(self._index)
        self._index += 1
        return rgb


class StillCamera(Camera):
    """One image, delivered forever: a new Frame (same pixels) every 1/fps so it counts as live.

    `image` is a path (any format OpenCV reads) or an HxWx3 / HxWx4 uint8 array (alpha dropped).
    A path is read at open(), so a missing file is a `CameraNotFound` then, and a file that
    appears later is picked up by the reopen loop.
    """

    def __init__(self, image: str | os.PathLike | np.ndarray, *, name: str | None = None,
                 camera_id: str | None = None, fps: float = DEFAULT_FPS):
        if not fps > 0:
            raise LayersValueError(f"still camera fps must be positive, got {fps!r}")
        self.fps = float(fps)
        if isinstance(image, np.ndarray):
            self._path, self._image = None, _checked_rgb(image)
            label = name or f"Still image {self._image.shape[1]}x{self._image.shape[0]}"
            super().__init__(camera_id or f"still:{label}", label)
        else:
            self._path, self._image = Path(image), None
            super().__init__(camera_id or f"still:{image}", name or f"Still image {self._path.name}")
        self._next = 0.0

    def _open_source(self) -> None:
        if self._path is not None:
            self._image = _read_image(self._path)
        height, width = self._image.shape[:2]
        self._details = {"backend": "still", "width": width, "height": height, "fps": self.fps, "pixel_format": "rgb24"}
        self._next = time.monotonic()

    def _read(self) -> np.ndarray | None:
        if not self._wait_until(self._next):
            return None
        self._next = max(self._next + 1.0 / self.fps, time.monotonic())
        return self._image  # the same read-only array every time: no per-frame copy


def _read_image(path: Path) -> np.ndarray:
    if not path.is_file():
        raise CameraNotFound(f"still image {str(path)!r} does not exist")
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise LayersValueError(f"cannot decode still image {str(path)!r} (not an image OpenCV can read)")
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    rgb.flags.writeable = False
    return rgb


def _checked_rgb(image: np.ndarray) -> np.ndarray:
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] not in (3, 4):
        raise LayersValueError(f"still image must be an HxWx3 or HxWx4 uint8 array, got {image.dtype} {image.shape}")
    rgb = np.ascontiguousarray(image[..., :3]).copy()  # our own copy: the caller may reuse theirs
    rgb.flags.writeable = False
    return rgb
