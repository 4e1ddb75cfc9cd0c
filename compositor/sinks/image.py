"""`--out FILE.png` / `FILE.jpg`: one still, the LAST frame rendered, written at close.

The last frame is the useful one (a scene after its script ran); the first would often show
an empty canvas before the camera delivered. The file is written through a temporary name and
renamed, so a crash never leaves a half-written image.
"""

from __future__ import annotations

import os

import cv2
import numpy as np

from compositor.errors import LayersValueError, SinkError
from compositor.sinks.base import Sink
from compositor.stats import FrameMeta

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")
JPEG_QUALITY = 92


class ImageSink(Sink):
    def __init__(self, path: str, view: str = "stream"):
        super().__init__(view)
        self.path = str(path)
        self.name = self.path
        self._extension = os.path.splitext(self.path)[1].lower()
        if self._extension not in IMAGE_EXTENSIONS:
            raise LayersValueError(f"unsupported image file {self.path!r}: use one of "
                                   f"{', '.join(IMAGE_EXTENSIONS)}")
        self._last: np.ndarray | None = None
        self.frames = 0

    def format(self) -> str:
        if self.size is None:
            return "not open"
        return f"{self._extension[1:].upper()} still (last frame) {self.size[0]}x{self.size[1]}"

    def _open(self, size: tuple[int, int], fps: float) -> None:
        directory = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(directory):
            raise SinkError(f"cannot write {self.path}: directory {directory} does not exist")
        self._last = np.empty((size[1], size[0], 3), np.uint8)

    def _write(self, frame: np.ndarray, meta: FrameMeta) -> None:
        np.copyto(self._last, frame)
        self.frames += 1

    def _close(self) -> None:
        if not self.frames:
            return  # nothing was rendered: write no image rather than a black one
        params = [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY] if self._extension != ".png" else []
        ok, encoded = cv2.imencode(self._extension, cv2.cvtColor(self._last, cv2.COLOR_RGB2BGR), params)
        if not ok:
            raise SinkError(f"could not encode {self.path}")
        temporary = f"{self.path}.part"
        try:
            with open(temporary, "wb") as file:
                file.write(encoded.tobytes())
            os.replace(temporary, self.path)
        except OSError as error:
            raise SinkError(f"writing {self.path} failed: {error.strerror or error}") from error
