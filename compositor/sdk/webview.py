"""Web-view frame sources: what `drawWebView` composes.

In Zoom the web view is the app's own page rendered off-screen; the headless-browser source is
built in `compositor/webview/` (issue 7). The facade only needs this protocol:

    source.latest() -> np.ndarray | None   # HxWx4 PREMULTIPLIED RGBA, read-only; never blocks

`StillWebView` is the simplest source: one fixed RGBA image (a lower-third PNG, a test pattern).
Scripts use it (`"webview": "overlay.png"`) and tests use it to check web-view pixels exactly.
"""

from __future__ import annotations

import os

import numpy as np
from PIL import Image

from compositor.sdk.imagedata import decode_image_data
from native.premultiply import premultiply


class StillWebView:
    """A web view that always shows the same straight-RGBA image (ImageData, array, PIL or path)."""

    def __init__(self, image):
        if isinstance(image, (str, os.PathLike)):
            with Image.open(image) as opened:
                image = opened.convert("RGBA")
        pixels = premultiply(decode_image_data(image, field="webview image"))
        pixels.flags.writeable = False
        self._pixels = pixels

    @property
    def size(self) -> tuple[int, int]:
        return int(self._pixels.shape[1]), int(self._pixels.shape[0])

    def latest(self) -> np.ndarray:
        return self._pixels
