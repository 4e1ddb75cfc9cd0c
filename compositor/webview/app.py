"""Run a real Zoom App against a `ZoomSdk`: its main page and its off-screen camera page.

    frames = WebViewFrames()
    sdk = ZoomSdk(cameras=[...], webview=frames)
    with WebApp(sdk, "examples/camera-app", frames) as app:    # a directory, an .html file or a URL
        app.wait_for_frame(timeout=10)                          # the camera page has drawn
        rgb = sdk.render()

As in the Zoom client (layers-behaviour.md §1) the app's page is loaded twice. The main page is
the sidebar instance (`inMeeting`, here a headless page too); when it calls
`runRenderingContext({view: "camera"})` the same URL opens again off-screen at the canvas size,
as the rendered instance (`inCamera`, `sdk.rendered`), and its pixels are the web view layer.
`closeRenderingContext` closes that page. A page that crashes (or, for the rendered page, renders
nothing, or runs no script, for `HANG_TIMEOUT_S`) is reported and reopened; the app configs again as on a reload.

Everything browser-side runs on one asyncio loop in a thread of its own; the render loop only
reads `frames.latest()`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
import weakref
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

import numpy as np

from compositor.errors import LayersError, LayersValueError
from compositor.webview.bridge import Bridge, Page
from compositor.webview.browser import Browser
from compositor.webview.cdp import CdpError
from compositor.webview.frames import HANG_TIMEOUT_S, FramePump, PageHung, WebViewFrames
from compositor.webview.server import INDEX, AppServer, origin_of
from native.premultiply import premultiply

log = logging.getLogger(__name__)

MAIN_PAGE_SIZE = (1280, 720)        # the sidebar's viewport (nothing composes it)
START_TIMEOUT_S = 30.0
MAX_RESTARTS = 5                    # per page role: a page that keeps crashing is given up on
WATCHDOG_INTERVAL_S = 1.0           # how often each page is asked to run a trivial script


class WebApp:
    """A Zoom App's pages in headless Chromium, wired to `sdk` (context manager; close() is idempotent)."""

    def __init__(self, sdk, app: str | os.PathLike, frames: WebViewFrames, *, executable: str | None = None,
                 main_size: tuple[int, int] = MAIN_PAGE_SIZE, hang_timeout: float | None = None):
        self.sdk, self.frames = sdk, frames
        self.main_size = main_size
        self.hang_timeout = hang_timeout
        self.server: AppServer | None = None
        self.url = self._resolve(app)
        self.origin = origin_of(self.url)
        self.browser: Browser | None = None
        self.bridge: Bridge | None = None
        self.restarts = {"main": 0, "rendered": 0}
        self.errors: list[str] = []                   # crashes and hangs, as reported
        self._rendered_wanted = False
        self._closed = False
        self._tasks: set[asyncio.Task] = set()          # page restarts in flight
        self._begin_frame_lock: asyncio.Lock | None = None   # one beginFrame in flight per browser (frames.py)
        # kills the browser if this object is dropped without close(), or at interpreter exit
        self._browsers: list[Browser] = []
        self._finalizer = weakref.finalize(self, _kill_all, self._browsers)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="webview", daemon=True)
        self._thread.start()
        try:
            self._run(self._start(executable), START_TIMEOUT_S)
        except BaseException:
            self.close()
            raise

    def _resolve(self, app) -> str:
        text = str(app)
        if text.startswith(("http://", "https://")):
            return text
        path = Path(app)
        if path.is_dir():
            self.server = AppServer(path)
        elif path.is_file():
            self.server = AppServer(path.parent, entry=path.name)
        else:
            raise LayersValueError(f"app must be an http(s) URL, a directory with {INDEX} or an HTML file; "
                                   f"{text!r} is none of these")
        # the page's local fileUrl paths resolve in the app's directory and may not leave it (not the
        # working directory, which may hold anything), unless whoever built the sdk chose a directory
        if self.sdk.base_dir is None:
            self.sdk.base_dir = self.server.root
        return self.server.url

    # -- thread plumbing -----------------------------------------------------------------------
    def _run(self, coroutine, timeout: float):
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout)
        except FutureTimeout:
            future.cancel()
            raise LayersError(f"the web app did not respond within {timeout:g} s") from None

    # -- public ----------------------------------------------------------------------------------
    def evaluate(self, expression: str, role: str = "main", timeout: float = 10.0, wait: bool = True):
        """Evaluate JavaScript in a page ('main' or 'rendered'), awaiting promises; returns the value
        (with wait=False: sends it and returns None at once, e.g. for a script that never ends)."""
        async def evaluate():
            page = self.bridge.page_for(role)
            if page is None:
                raise LayersError(f"no {role} page is open")
            sent = self.browser.cdp.send("Runtime.evaluate", {
                "expression": expression, "awaitPromise": True, "returnByValue": True}, session=page.session,
                timeout=None if not wait else timeout)
            if not wait:
                asyncio.ensure_future(sent).add_done_callback(lambda future: future.exception())
                return None
            reply = await sent
            if "exceptionDetails" in reply:
                raise LayersError(f"{role} page: {reply['exceptionDetails'].get('text')} "
                                  f"{reply['exceptionDetails'].get('exception', {}).get('description', '')}")
            return reply["result"].get("value")
        return self._run(evaluate(), timeout)

    def crash(self, role: str = "rendered") -> None:
        """Crash a page's renderer (Page.crash), as a test of detection and restart."""
        async def crash():
            page = self.bridge.page_for(role)
            if page is not None:            # never answered: its error at close must not be an unretrieved one
                sent = asyncio.ensure_future(self.browser.cdp.send("Page.crash", session=page.session, timeout=None))
                sent.add_done_callback(lambda future: future.cancelled() or future.exception())
        self._run(crash(), 5.0)

    def wait_for_frame(self, timeout: float = 10.0, after: int = 0) -> None:
        """Block until the web view has delivered more than `after` frames."""
        deadline = time.monotonic() + timeout
        while self.frames.delivered <= after:
            if time.monotonic() > deadline:
                raise LayersError(f"the app's camera page delivered no frame within {timeout:g} s "
                                  f"(errors: {self.errors or 'none'})")
            time.sleep(0.02)

    @property
    def rendered_open(self) -> bool:
        return self.bridge is not None and self.bridge.page_for("rendered") is not None

    # -- pages -------------------------------------------------------------------------------------
    async def _start(self, executable: str | None) -> None:
        warm = asyncio.to_thread(premultiply, np.zeros((1, 1, 4), np.uint8))   # JIT before the first frame
        self._begin_frame_lock = asyncio.Lock()
        self.browser, _ = await asyncio.gather(Browser.launch(executable), warm)
        self._browsers.append(self.browser)
        cdp = self.browser.cdp
        self.bridge = Bridge(cdp, self.sdk, self.origin, self.browser.version, after_call=self._after_call)
        cdp.on("Inspector.targetCrashed", self._on_crashed)
        self.bridge.listen(self.sdk, "main")
        await self._open("main", *self.main_size)

    async def _open(self, role: str, width: int, height: int, fps: float | None = None) -> Page:
        begin_frame = role == "rendered"
        target, session = await self.browser.new_page(width, height, begin_frame_control=begin_frame)
        page = Page(role, target, session, width, height)
        try:
            await self.bridge.attach(page)
            await self.browser.cdp.send("Inspector.enable", session=session)
            await self.browser.cdp.send("Page.enable", session=session)
        except CdpError:
            if page.closed:             # closed while it opened (a newer rendering context): nothing failed
                return page
            raise
        if page.closed:
            return page
        if begin_frame:
            options = {"hang_timeout": self.hang_timeout} if self.hang_timeout else {}
            pump = FramePump(self.browser.cdp, session, self.frames, fps or 30.0,
                             begin_frame_lock=self._begin_frame_lock, **options)
            page.tasks.append(asyncio.create_task(self._pump(page, pump), name="webview frames"))
        page.tasks.append(asyncio.create_task(self._watchdog(page), name=f"watchdog {role}"))
        await self.browser.cdp.send("Page.navigate", {"url": self.url}, session=session)
        return page

    async def _watchdog(self, page: Page) -> None:
        """Detect a page whose script never yields: the compositor may still answer beginFrame,
        but a Runtime.evaluate needs the page's main thread."""
        timeout = self.hang_timeout or HANG_TIMEOUT_S
        while True:
            await asyncio.sleep(WATCHDOG_INTERVAL_S)
            try:
                await self.browser.cdp.send("Runtime.evaluate", {"expression": "0"}, session=page.session,
                                            timeout=timeout)
            except asyncio.TimeoutError:
                self._failed(page, f"the {page.role} page hangs: its script has not yielded for {timeout:g} s")
                return
            except CdpError:
                return                                # crashed or closed: handled where that is seen

    async def _close_page(self, page: Page) -> None:
        self.bridge.detach(page)
        await self.browser.close_page(page.target)

    async def _pump(self, page: Page, pump: FramePump) -> None:
        try:
            await pump.run()
        except PageHung as error:
            self._failed(page, f"the camera page hangs: {error}")
        except CdpError as error:
            if not self._closed:
                self._failed(page, f"the camera page stopped rendering: {error}")

    def _on_crashed(self, params: dict, session: str | None) -> None:
        page = self.bridge.pages.get(session or "")
        if page is not None:
            self._failed(page, f"the {page.role} page crashed")

    def _failed(self, page: Page, reason: str) -> None:
        """Report a crashed or hung page and reopen it, on a task of its own: closing the page
        cancels the page's tasks, which may include the caller."""
        if page.crashed or self._closed or self.bridge.pages.get(page.session) is not page:
            return                                    # already reported, closing, or closed on purpose
        page.crashed = True
        self.errors.append(reason)
        task = asyncio.ensure_future(self._reopen(page, reason))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _reopen(self, page: Page, reason: str) -> None:
        await self._close_page(page)
        wanted = page.role == "main" or self._rendered_wanted
        if not wanted:
            return
        if self.restarts[page.role] >= MAX_RESTARTS:
            log.error("%s; restarted %d times already, giving up", reason, MAX_RESTARTS)
            return
        self.restarts[page.role] += 1
        if page.role == "rendered":
            self.frames.restarts += 1
        log.warning("%s; reopening it", reason)
        try:
            await self._open(page.role, page.width, page.height, self._frame_rate())
        except (CdpError, asyncio.TimeoutError) as error:
            if not self._closed:
                log.error("reopening the %s page failed: %s", page.role, error)

    def _rendered_pages(self) -> list[Page]:
        return [page for page in self.bridge.pages.values() if page.role == "rendered"]

    def _frame_rate(self) -> float:
        context = self.sdk.scene.context
        return context.frame_rate if context is not None else 30.0

    async def _after_call(self, page: Page, api_name: str, data) -> None:
        """Open or close the rendered page when the app runs or closes its rendering context."""
        if api_name == "runRenderingContext":
            context = self.sdk.scene.context
            self._rendered_wanted = True
            self.bridge.listen(self.sdk.rendered, "rendered")
            for old in self._rendered_pages():         # one camera page: a close still in progress ends now
                await self._close_page(old)
            await self._open("rendered", context.width, context.height, context.frame_rate)
        elif api_name == "closeRenderingContext":
            self._rendered_wanted = False
            rendered = self.bridge.page_for("rendered")
            if rendered is not None:
                await asyncio.sleep(0.05)            # let the answer reach the page before it goes
                self.bridge.detach(rendered)         # stops its pump: no frame is published after the clear
            self.frames.clear()                      # before the page is seen closed, never after
            if rendered is not None:
                await self.browser.close_page(rendered.target)

    # -- life cycle ----------------------------------------------------------------------------------
    async def _stop(self) -> None:
        if self.bridge is not None:
            for page in list(self.bridge.pages.values()):
                self.bridge.detach(page)
        if self.browser is not None:
            await self.browser.close()
        # let every cancelled task finish before the loop stops ("Task was destroyed but it is pending")
        others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in others:
            task.cancel()
        if others:
            await asyncio.wait(others, timeout=2.0)

    def close(self) -> None:
        """Close the pages, kill the browser's process group and stop the server; idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._loop.is_running():
                self._run(self._stop(), 10.0)
        except Exception as error:
            log.warning("closing the browser: %s", error)
        finally:
            self._finalizer()                        # kill: a no-op after a clean quit, certain otherwise
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5.0)
            if not self._thread.is_alive():
                _finish(self._loop)
            if self.server is not None:
                self.server.close()

    def __enter__(self) -> "WebApp":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _kill_all(browsers: list[Browser]) -> None:
    for browser in browsers:
        browser.kill()


def _finish(loop: asyncio.AbstractEventLoop) -> None:
    """Run a stopped loop's last tasks to their end, stop its worker threads and close it: a task
    left pending would be reported as destroyed when the loop is collected, mid-way through
    whatever runs next (seen in the soak, which starts an app per session)."""
    async def drain() -> None:
        pending = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        await loop.shutdown_default_executor()

    loop.run_until_complete(drain())
    loop.close()
