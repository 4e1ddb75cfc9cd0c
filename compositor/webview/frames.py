"""The web view layer's frames: the off-screen page rendered on demand, newest frame wins.

`WebViewFrames` is what `ZoomSdk(webview=...)` reads: `latest()` returns the newest premultiplied
frame without ever waiting, so a page that updates slower than the output (or a page being
restarted) never stalls the render loop; the loop just composes the last frame again.

`FramePump` drives one page with `HeadlessExperimental.beginFrame` at the context's frameRate:
each tick renders exactly one frame (animation time follows the tick). Asking for a screenshot
always reports damage and costs a PNG encode (measured: 10/10 ticks on a static page), so the
pump asks for one only while the page changes: after `SETTLE_TICKS` identical PNGs it renders
without one and watches `hasDamage`, asking again on the tick after a change (one tick of
latency). A static overlay then costs a render per tick and no encode or decode; an identical
PNG is never decoded. A beginFrame that does not answer within `hang_timeout` means the page hangs.
Pumps of one browser share a lock around beginFrame: two in flight at once (a camera page closing
while its successor starts) make the GPU process fail with "Got overlapping IssueExternalBeginFrame",
and after six such failures Chromium exits (seen in the soak with an app, which reruns contexts).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import threading
import time

import cv2
import numpy as np

from compositor.webview.cdp import Cdp
from native.premultiply import premultiply

log = logging.getLogger(__name__)

MAX_FRAME_RATE = 60.0           # CEF's cap for windowless rendering, and the SDK facade's
DEFAULT_FRAME_RATE = 30.0
HANG_TIMEOUT_S = 5.0            # no frame within this long: the page's renderer is stuck
CLOSING_FRAME_WAIT_S = 1.0      # a closing page's last beginFrame holds the others back this long at most
SETTLE_TICKS = 3                # identical screenshots in a row before the pump stops asking for them


class PageHung(RuntimeError):
    """The page did not render a frame within the hang timeout."""


def decode_png(data: str) -> np.ndarray:
    """Base64 PNG (straight RGBA, as Chromium sends it) -> read-only premultiplied HxWx4 RGBA."""
    png = np.frombuffer(base64.b64decode(data), np.uint8)
    bgra = cv2.imdecode(png, cv2.IMREAD_UNCHANGED)
    if bgra is None or bgra.ndim != 3 or bgra.shape[2] != 4:
        raise ValueError(f"the page's screenshot is not an RGBA PNG (decoded {None if bgra is None else bgra.shape})")
    cv2.cvtColor(bgra, cv2.COLOR_BGRA2RGBA, dst=bgra)          # in place: no extra frame
    pixels = premultiply(bgra)
    pixels.flags.writeable = False
    return pixels


class WebViewFrames:
    """Latest-frame holder for the web view layer; thread-safe, `latest()` never blocks."""

    def __init__(self):
        self._frame: np.ndarray | None = None
        self._lock = threading.Lock()
        self.delivered = 0          # new frames decoded (pages with damage)
        self.ticks = 0              # frames rendered, changed or not
        self.decode_seconds = 0.0
        self.restarts = 0
        self._started = time.monotonic()

    def latest(self) -> np.ndarray | None:
        return self._frame

    def publish(self, frame: np.ndarray, decode_seconds: float) -> None:
        with self._lock:
            self._frame = frame
            self.delivered += 1
            self.decode_seconds += decode_seconds

    def clear(self) -> None:
        """No page any more (the rendering context closed): show nothing."""
        with self._lock:
            self._frame = None

    def stats(self) -> dict:
        """Counters since creation: rendered ticks, delivered (changed) frames, mean decode time."""
        elapsed = max(time.monotonic() - self._started, 1e-9)
        with self._lock:
            return {"ticks": self.ticks, "delivered": self.delivered, "restarts": self.restarts,
                    "tick_fps": self.ticks / elapsed, "delivered_fps": self.delivered / elapsed,
                    "decode_ms": 1000 * self.decode_seconds / self.delivered if self.delivered else None}


class FramePump:
    """Render one begin-frame-controlled page at `fps` into `frames` until stopped or it fails."""

    def __init__(self, cdp: Cdp, session: str, frames: WebViewFrames, fps: float = DEFAULT_FRAME_RATE,
                 hang_timeout: float = HANG_TIMEOUT_S, begin_frame_lock: asyncio.Lock | None = None):
        if not 0 < fps <= MAX_FRAME_RATE:
            raise ValueError(f"web view frame rate must be in (0, {MAX_FRAME_RATE:g}], got {fps!r}")
        self.cdp, self.session, self.frames = cdp, session, frames
        self.interval = 1.0 / fps
        self.hang_timeout = hang_timeout
        self._lock = begin_frame_lock or asyncio.Lock()     # shared by every pump of the browser
        self._shoot = True              # ask for a screenshot on the next tick
        self._same = 0                  # identical screenshots in a row
        self._last_png: str | None = None

    async def run(self) -> None:
        """Tick until cancelled; raises PageHung, or CdpError when the page or browser is gone."""
        start = time.monotonic()
        tick = 0
        while True:
            await self._frame(time.monotonic())
            tick += 1
            due = start + tick * self.interval
            now = time.monotonic()
            if now > due:                      # fell behind (heavy page): skip the missed ticks
                tick = int((now - start) / self.interval) + 1
                due = start + tick * self.interval
            await asyncio.sleep(due - now)

    async def _frame(self, now: float) -> None:
        # frameTimeTicks is Chrome TimeTicks (ms of CLOCK_MONOTONIC): a made-up base freezes CSS animations.
        params = {"frameTimeTicks": now * 1000.0, "interval": self.interval * 1000.0}
        if self._shoot:
            params["screenshot"] = {"format": "png", "optimizeForSpeed": True}
        try:
            async with self._lock:
                sent = asyncio.ensure_future(self.cdp.send("HeadlessExperimental.beginFrame", params,
                                                           session=self.session, timeout=self.hang_timeout))
                sent.add_done_callback(lambda future: future.cancelled() or future.exception())
                try:
                    result = await asyncio.shield(sent)
                except asyncio.CancelledError:        # the page is closing: hold the lock until its frame
                    await asyncio.wait([sent], timeout=CLOSING_FRAME_WAIT_S)    # ends or the page is gone
                    raise
        except asyncio.TimeoutError:
            raise PageHung(f"the page rendered no frame within {self.hang_timeout:g} s") from None
        self.frames.ticks += 1
        data = result.get("screenshotData")
        if not self._shoot:
            self._shoot = bool(result.get("hasDamage"))
        elif data is None or data == self._last_png:     # unchanged: keep the last frame
            self._same += 1
            self._shoot = self._same < SETTLE_TICKS
        else:
            self._same, self._last_png = 0, data
            started = time.perf_counter()
            frame = await asyncio.to_thread(decode_png, data)
            self.frames.publish(frame, time.perf_counter() - started)
