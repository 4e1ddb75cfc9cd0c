"""A soak run: a scripted session rendered for a fixed number of frames while threads churn the scene.

    report = run_soak(SoakConfig(frames=9000, fps=30, threads=4))     # five minutes at 30 fps
    print(report.format_table())
    assert not report.problems()

The session is a `ZoomSdk` on real cameras (two test-pattern cameras behind a `CameraManager`) and a
real `RenderLoop` into a null sink. `threads` worker threads call the SDK at random (seeded) the
whole time, as apps and the JS bridge would: draw and clear images and participants, close and
reopen the rendering context, show and hide the web view (a `StillWebView`), switch cameras, turn
the virtual background on and off, and make guests join and leave the meeting. Calls that race (clearing an image another thread cleared, a
draw while the context is closed) are rejected with ZoomApiError, which is expected and counted by
code; any other exception is a bug and is listed in `unexpected`.

Measured: frames, late frames and sink drops, p99 compose and capture-to-composed latency,
resident memory at start and end, and threads and file descriptors at start and after close
(which must be back where they started). `immersive` renders 1080p with nine participants in a
grid and a full-canvas RGBA overlay standing in for the web view (drawWebView is camera-mode only
in this facade, so the overlay is drawn as an image).

`app` runs a real Zoom App (e.g. examples/camera-app) in headless Chromium instead of the still web
view: the app configures, runs the rendering context and draws through the JS bridge, its camera
page is the web view layer, and the churn adds calls through the bridge from both of its pages
(images drawn and cleared, messages to the camera page, bad ids, the rendering context closed and
run again by the app's own SDK) while the Python threads churn as before. The report then adds
the web view's frames and restarts, the bridge's rejections and any page failure (a problem).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import random
import tempfile
import threading
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from compositor.errors import LayersError, LayersValueError, ZoomApiError

log = logging.getLogger(__name__)

CAMERA_SIZE = (640, 360)
GUEST_SIZE = (320, 180)
IMMERSIVE_GUESTS = 8                 # plus the local user: the nine of a 3x3 grid
MAX_CHURN_GUESTS = 4                 # guests the churn adds on top, camera mode
# Growth of resident memory (MB) a run may show: allocator caches and the frame pool, not a leak.
# A leak of one 720p frame per frame would grow 2.7 MB a frame, far past this in any run.
RSS_GROWTH_BOUND_MB = 64.0
WARM_UP_FRAMES = 90                  # three seconds at 30 fps
SETTLE_S = 3.0                       # how long close() may take to let threads and fds go
APP_READY_TIMEOUT_S = 30.0           # the app's two pages configured and drawing


@dataclass(frozen=True)
class SoakConfig:
    frames: int = 300
    fps: float = 30.0
    threads: int = 3
    immersive: bool = False
    segmentation: bool = False       # the real person segmenter instead of a cheap fake one
    seed: int = 0
    call_interval_s: float = 0.01    # mean pause between one worker's calls
    app: str | None = None           # a Zoom App (directory, HTML file or URL) for the web view, camera mode

    def __post_init__(self):
        if self.app is not None and self.immersive:
            raise LayersValueError("a soak with an app runs camera mode (the app asks for it); drop --immersive")


@dataclass(frozen=True)
class Resources:
    rss_mb: float
    threads: int          # Python threads
    os_threads: int       # every thread of the process (numba, OpenCV and BLAS pools included)
    fds: int

    @classmethod
    def now(cls) -> "Resources":
        status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines() if ":" in line)
        return cls(int(status["VmRSS"].split()[0]) / 1024, threading.active_count(), int(status["Threads"]),
                   len(os.listdir("/proc/self/fd")))


@dataclass
class SoakReport:
    config: SoakConfig
    frames: int = 0
    late_frames: int = 0
    dropped: int = 0
    fps: float = 0.0
    compose_p99_ms: float = 0.0
    latency_p99_ms: float = 0.0      # camera capture to composed frame
    calls: int = 0
    rejected: Counter = field(default_factory=Counter)     # ZoomApiError code -> count (expected races)
    unexpected: list[str] = field(default_factory=list)    # anything else: a bug
    start: Resources | None = None
    end: Resources | None = None
    seconds: float = 0.0
    webview: dict = field(default_factory=dict)            # app runs: WebViewFrames.stats()
    bridge_rejected: Counter = field(default_factory=Counter)   # app runs: Bridge.rejected
    app_errors: list[str] = field(default_factory=list)   # app runs: pages that crashed or hung

    def problems(self, rss_growth_mb: float = RSS_GROWTH_BOUND_MB) -> list[str]:
        """What went wrong, in words; empty for a clean run."""
        found = [f"unexpected error: {text.splitlines()[-1]}" for text in self.unexpected[:5]]
        if self.frames < self.config.frames:
            found.append(f"rendered {self.frames} of {self.config.frames} frames")
        if self.end.threads != self.start.threads:
            found.append(f"threads {self.start.threads} at start, {self.end.threads} after close")
        if self.end.fds != self.start.fds:
            found.append(f"file descriptors {self.start.fds} at start, {self.end.fds} after close")
        if self.end.rss_mb - self.start.rss_mb > rss_growth_mb:
            found.append(f"resident memory grew {self.end.rss_mb - self.start.rss_mb:.0f} MB "
                         f"(bound {rss_growth_mb:.0f} MB)")
        found += [f"web app: {error}" for error in self.app_errors]
        if self.config.app is not None and not self.webview.get("delivered"):
            found.append("the app's camera page delivered no frame")
        return found

    def format_table(self) -> str:
        mode = "immersive 1080p, 9 participants + overlay" if self.config.immersive else "camera 720p"
        if self.config.app is not None:
            mode += f" with the app {self.config.app}"
        rejected = ", ".join(f"{code}: {n}" for code, n in sorted(self.rejected.items(), key=str)) or "none"
        rows = [
            f"soak: {mode}, {self.config.threads} churn threads, {self.config.fps:g} fps, {self.seconds:.1f} s",
            f"frames {self.frames} ({self.fps:.1f} fps), late {self.late_frames}, dropped {self.dropped}",
            f"p99 compose {self.compose_p99_ms:.1f} ms, p99 capture->composed {self.latency_p99_ms:.1f} ms",
            f"SDK calls {self.calls}, rejected by code (expected races) {rejected}, unexpected {len(self.unexpected)}",
            f"resident memory {self.start.rss_mb:.0f} MB -> {self.end.rss_mb:.0f} MB",
            f"threads {self.start.threads} -> {self.end.threads} (process {self.start.os_threads} -> "
            f"{self.end.os_threads}), fds {self.start.fds} -> {self.end.fds}",
        ]
        if self.config.app is not None:
            bridge = ", ".join(f"{kind}: {n}" for kind, n in sorted(self.bridge_rejected.items())) or "none"
            rows.append(f"web view: {self.webview.get('delivered', 0)} new frames of {self.webview.get('ticks', 0)} "
                        f"rendered, {self.webview.get('restarts', 0)} restarts, page errors "
                        f"{len(self.app_errors)}; bridge rejections {bridge}")
        problems = self.problems()
        rows.append("result: " + ("PASS" if not problems else "FAIL: " + "; ".join(problems)))
        return "\n".join(rows)


class FakeSegmenter:
    """A cheap person mask (the centre third of the frame), so a soak measures the pipeline, not a model."""

    def segment(self, rgb: np.ndarray) -> np.ndarray:
        height, width = rgb.shape[:2]
        mask = np.zeros((height, width), np.uint8)
        mask[:, width // 3: 2 * width // 3] = 255
        return mask


class _Session:
    """The SDK, its cameras and the layout the churn keeps changing."""

    def __init__(self, config: SoakConfig, segmenter):
        from cameras import CameraManager
        from cameras.synthetic import TestPatternCamera
        from compositor.sdk import ZoomSdk
        from compositor.sdk.webview import StillWebView

        self.config = config
        width, height = CAMERA_SIZE
        cameras = [TestPatternCamera(width, height, config.fps, camera_id=name, name=f"Soak {name}")
                   for name in ("cam-a", "cam-b")]
        # A config path that does not exist: the user's saved cameras and default play no part.
        no_config = Path(tempfile.gettempdir()) / f"layers-soak-{os.getpid()}-absent" / "cameras.json"
        manager = CameraManager(cameras, discover_devices=False, config_path=no_config)
        self.overlay = _overlay(*self.size)
        self.frames = self.web = None
        if config.app is not None:
            from compositor.webview import WebViewFrames

            self.frames = WebViewFrames()
        self.sdk = ZoomSdk(manager, segmenter=segmenter, render_target=(1280, 720), window=(1920, 1080),
                           live_segmentation=True, webview=self.frames or StillWebView(self.overlay))
        self.view = "immersive" if config.immersive else "camera"
        self.guests: list[str] = []
        self.lock = threading.Lock()       # guests list
        if config.app is not None:
            self._open_app(config.app)
        else:
            asyncio.run(self._open())

    def _open_app(self, app: str) -> None:
        """Start the app; it configures, runs camera mode and draws by itself, through the bridge."""
        from compositor.webview import WebApp

        try:
            self.web = WebApp(self.sdk, app, self.frames)
            self.web.wait_for_frame(APP_READY_TIMEOUT_S)
        except BaseException:
            self.close()
            raise

    @property
    def size(self) -> tuple[int, int]:
        return (1920, 1080) if self.config.immersive else (1280, 720)

    async def _open(self) -> None:
        sdk = self.sdk
        from compositor.sdk.facade import supported_apis

        await sdk.config({"capabilities": sorted(supported_apis())})
        if self.config.immersive:
            for index in range(IMMERSIVE_GUESTS):
                self.join(f"Guest {index + 1}")
        await self.reopen_context()

    async def reopen_context(self) -> None:
        """Open the rendering context (closing it first if open) and draw the base layout; with an
        app, its main page closes and runs it again (its camera page closes, reopens and redraws)."""
        if self.web is not None:
            await asyncio.to_thread(self.web.evaluate, "zoomSdk.closeRenderingContext().then(() => "
                                    "zoomSdk.runRenderingContext({view: 'camera'}))")
            return
        sdk = self.sdk
        if sdk.scene.context is not None:
            await sdk.closeRenderingContext()
        await sdk.runRenderingContext({"view": self.view, "resolutionMode": "1080p" if self.config.immersive
                                       else "720p"})
        await self.draw_base()

    async def draw_base(self) -> None:
        sdk = self.sdk
        if not self.config.immersive:
            await sdk.drawParticipant({"participantUUID": sdk.participant_uuid, "zIndex": 1})
            await sdk.drawWebView({"zIndex": 50})
            return
        with self.lock:
            people = [sdk.participant_uuid, *self.guests][:9]
        for index, uuid in enumerate(people):
            column, row = index % 3, index // 3
            await sdk.drawParticipant({"participantUUID": uuid, "x": f"{column * 33.3}%", "y": f"{row * 33.3}%",
                                       "width": "33%", "height": "33%", "zIndex": 1, "cutout": "rectangle"})
        await sdk.drawImage({"imageData": self.overlay, "x": 0, "y": 0, "zIndex": 100})

    def join(self, name: str) -> str:
        from cameras.synthetic import StillCamera

        rng = np.random.default_rng(len(name))
        width, height = GUEST_SIZE
        frame = np.empty((height, width, 3), np.uint8)
        frame[:] = rng.integers(0, 255, 3, dtype=np.uint8)
        uuid = self.sdk.meeting.join(name, camera=StillCamera(frame, fps=self.config.fps, name=name))
        with self.lock:
            self.guests.append(uuid)
        return uuid

    def leave(self, rng: random.Random) -> None:
        with self.lock:
            if not self.guests:
                return
            uuid = self.guests.pop(rng.randrange(len(self.guests)))
        self.sdk.meeting.leave(uuid)

    def close(self) -> None:
        if self.web is not None:
            self.web.close()
        self.sdk.close()


def _overlay(width: int, height: int) -> np.ndarray:
    """A full-canvas RGBA overlay: transparent, with an opaque lower third (what a web view shows)."""
    overlay = np.zeros((height, width, 4), np.uint8)
    overlay[height * 3 // 4: height * 7 // 8, width // 20: width // 2] = (20, 60, 160, 230)
    return overlay


class _Churn:
    """Worker threads calling the SDK at random until stopped."""

    def __init__(self, session: _Session, config: SoakConfig, report: SoakReport):
        self.session, self.config, self.report = session, config, report
        self.stop = threading.Event()
        self.lock = threading.Lock()       # report counters
        self.images: list[str] = []
        self.threads = [threading.Thread(target=self._run, args=(config.seed * 1000 + index,),
                                         name=f"soak churn {index}", daemon=True) for index in range(config.threads)]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()

    def _run(self, seed: int) -> None:
        asyncio.run(self._loop(random.Random(seed)))

    async def _loop(self, rng: random.Random) -> None:
        actions = [self._draw_image, self._draw_image, self._clear_image, self._participant, self._participant,
                   self._camera, self._background, self._guests, self._context, self._webview]
        if self.session.web is not None:
            actions += [self._bridge] * 4
        while not self.stop.is_set():
            action = rng.choice(actions)
            try:
                await action(rng)
                outcome = None
            except ZoomApiError as error:
                outcome = error.code
            except LayersError as error:    # e.g. a guest who already left: a race, reported clearly
                outcome = type(error).__name__
            except Exception:               # noqa: BLE001 - anything else is a bug the report must show
                outcome = "unexpected"
                with self.lock:
                    self.report.unexpected.append(traceback.format_exc())
            with self.lock:
                self.report.calls += 1
                if outcome not in (None, "unexpected"):
                    self.report.rejected[outcome] += 1
            await asyncio.sleep(rng.expovariate(1.0 / self.config.call_interval_s))

    async def _draw_image(self, rng: random.Random) -> None:
        width, height = rng.randint(8, 160), rng.randint(8, 90)
        image = np.full((height, width, 4), (rng.randrange(256), rng.randrange(256), 200, rng.randrange(256)),
                        np.uint8)
        result = await self.session.sdk.drawImage({"imageData": image, "x": f"{rng.uniform(-5, 95):.1f}%",
                                                   "y": f"{rng.uniform(-5, 95):.1f}%", "zIndex": rng.randint(0, 9)})
        with self.lock:
            self.images.append(result["imageId"])
            del self.images[:-64]           # a bounded memory of ids; older images stay until cleared

    async def _clear_image(self, rng: random.Random) -> None:
        with self.lock:
            image_id = self.images.pop(rng.randrange(len(self.images))) if self.images else "none"
        await self.session.sdk.clearImage({"imageId": image_id})

    async def _participant(self, rng: random.Random) -> None:
        sdk, session = self.session.sdk, self.session
        with session.lock:
            people = [sdk.participant_uuid] + (list(session.guests) if self.config.immersive else [])
        uuid = rng.choice(people)
        if rng.random() < 0.3:
            await sdk.clearParticipant({"participantUUID": uuid})
            return
        await sdk.drawParticipant({"participantUUID": uuid, "x": f"{rng.uniform(0, 70):.0f}%",
                                   "y": f"{rng.uniform(0, 70):.0f}%", "width": f"{rng.uniform(10, 60):.0f}%",
                                   "height": f"{rng.uniform(10, 60):.0f}%", "zIndex": rng.randint(0, 5),
                                   "cutout": rng.choice(["standard", "circle", "rectangle", "person"])})

    async def _camera(self, rng: random.Random) -> None:
        await self.session.sdk.setCamera({"id": rng.choice(["cam-a", "cam-b"])})

    async def _background(self, rng: random.Random) -> None:
        sdk = self.session.sdk
        choice = rng.random()
        if choice < 0.4:
            await sdk.removeVirtualBackground()
        elif choice < 0.7:
            await sdk.setVirtualBackground({"blur": True})
        else:
            image = np.full((90, 160, 4), (rng.randrange(256), 90, 40, 255), np.uint8)
            await sdk.setVirtualBackground({"imageData": image})

    async def _guests(self, rng: random.Random) -> None:
        session = self.session
        with session.lock:
            count = len(session.guests)
        limit = IMMERSIVE_GUESTS if self.config.immersive else MAX_CHURN_GUESTS
        if count >= limit or (count and rng.random() < 0.5):
            session.leave(rng)
        else:
            session.join(f"Churn guest {rng.randrange(1000)}")
        if self.config.immersive:
            await session.draw_base()

    async def _webview(self, rng: random.Random) -> None:
        """Show or hide the web view (camera mode; immersive answers WRONG_RUNNING_CONTEXT, counted)."""
        sdk = self.session.sdk
        if rng.random() < 0.5:
            await sdk.clearWebView()
        else:
            await sdk.drawWebView({"x": f"{rng.uniform(0, 20):.0f}%", "y": 0, "zIndex": rng.randint(0, 60)})

    async def _bridge(self, rng: random.Random) -> None:
        """One SDK call from the app's page, through the bridge; a rejected promise gives its code."""
        from compositor.webview.cdp import CdpError

        role, expression = rng.choice(BRIDGE_CALLS)
        expression = expression.replace("W", str(rng.randint(8, 120))).replace("H", str(rng.randint(8, 90)))
        expression = expression.replace("N", str(rng.randrange(10**6)))
        try:
            code = await asyncio.to_thread(self.session.web.evaluate,
                                           f"({expression}).then(() => null, (e) => e.code ?? 'page error')", role)
        except CdpError as error:           # the page is being reopened (its document went away)
            raise LayersError(f"the {role} page is reloading: {error}") from None
        if code is not None:
            raise ZoomApiError(code, "rejected in the page") if isinstance(code, int) else LayersError(code)

    async def _context(self, rng: random.Random) -> None:
        if rng.random() < 0.3:              # rarer than the rest: every reopen redraws the layout
            await self.session.reopen_context()


# What the app's pages call, by role (W, H: a random size, N: a random number). Images the camera
# page draws are cleared by it later (or stay, bounded, until the context closes).
BRIDGE_CALLS = [
    ("main", "zoomSdk.getRunningContext()"),
    ("main", "zoomSdk.postMessage({caption: 'churn N'})"),
    ("main", "zoomSdk.clearImage({imageId: 'no-such-image-N'})"),
    ("rendered", "zoomSdk.drawImage({imageData: new ImageData(W, H), x: 'N'.length * 10, y: 20, zIndex: 4})"
                 ".then((r) => { (window.churnIds ||= []).push(r.imageId); window.churnIds.splice(0, "
                 "window.churnIds.length - 32); })"),
    ("rendered", "zoomSdk.clearImage({imageId: (window.churnIds ||= []).shift() ?? 'none'})"),
    ("rendered", "zoomSdk.getUserContext()"),
]


def _segmenter(config: SoakConfig):
    if not config.segmentation:
        return FakeSegmenter()
    from compositor.segmentation import Segmenter

    return Segmenter()


def _warm_up(config: SoakConfig) -> None:
    """A short session first, so JIT kernels, thread pools and the allocator's per-thread arenas exist
    before `start` is measured: growth after that is what a long run would keep adding."""
    run_session(SoakConfig(frames=min(config.frames, WARM_UP_FRAMES), fps=config.fps, threads=config.threads,
                           immersive=config.immersive, segmentation=config.segmentation, seed=config.seed + 1,
                           app=config.app),
                SoakReport(config))


def run_session(config: SoakConfig, report: SoakReport, sinks=None) -> None:
    """Render `config.frames` frames under churn into `sinks` (a null sink by default); fills `report`."""
    from compositor.commands.run import make_compose
    from compositor.renderer import RenderLoop
    from compositor.sinks import NullSink
    from compositor.stats import CAPTURE_TO_COMPOSED, COMPOSE

    session = _Session(config, _segmenter(config))
    try:
        churn = _Churn(session, config, report)
        with RenderLoop(make_compose(session.sdk), session.size, config.fps,
                        sinks if sinks is not None else [NullSink()]) as loop:
            churn.start()
            try:
                loop.run(frames=config.frames, handle_signals=False)
            finally:
                churn.join()
            stats = loop.stats
        if session.web is not None:
            report.webview = session.frames.stats()
            report.bridge_rejected = Counter(session.web.bridge.rejected)
            report.app_errors = list(session.web.errors)
    finally:
        session.close()
    report.frames, report.late_frames, report.dropped, report.fps = (stats.frames, stats.late_frames,
                                                                     stats.dropped, stats.fps)
    report.compose_p99_ms = stats.latency[COMPOSE].p99
    report.latency_p99_ms = stats.latency[CAPTURE_TO_COMPOSED].p99


def run_soak(config: SoakConfig = SoakConfig()) -> SoakReport:
    """Warm up, measure, run the churned session, close it, measure again."""
    _warm_up(config)
    report = SoakReport(config)
    report.start = _settled(None)
    started = time.monotonic()
    run_session(config, report)
    report.seconds = time.monotonic() - started
    report.end = _settled(report.start)
    return report


def _settled(target: Resources | None) -> Resources:
    """Resources once closing threads have gone (waits up to SETTLE_S for them to match `target`)."""
    deadline = time.monotonic() + SETTLE_S
    while True:
        gc.collect()
        now = Resources.now()
        if target is None or (now.threads, now.fds) == (target.threads, target.fds) or time.monotonic() > deadline:
            return now
        time.sleep(0.05)
