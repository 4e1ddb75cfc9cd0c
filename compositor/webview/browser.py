"""Headless Chromium: find it, launch it in its own process group, open pages, always clean up.

`chromium-headless-shell` (Debian package of that name) is the browser we need: only it has
`HeadlessExperimental.beginFrame`, which renders one frame on demand with real alpha and makes
animation time follow the frame clock (io-feasibility.md §1). Chromium starts a tree of
processes; after a timed-out `Browser.close`, killing only the parent left the tree running, so
the browser gets a session of its own and `close()` kills the whole process group, always.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import time

from compositor.errors import LayersError
from compositor.webview.cdp import Cdp

log = logging.getLogger(__name__)

HEADLESS_SHELL = "chromium-headless-shell"
FLAGS = ("--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--mute-audio",
         "--disable-extensions", "--disable-default-apps", "--no-default-browser-check",
         # begin-frame control for the off-screen page, plus the other determinism switches
         "--deterministic-mode")
START_TIMEOUT_S = 20.0
CLOSE_TIMEOUT_S = 2.0


class BrowserNotFound(LayersError, FileNotFoundError):
    """No chromium-headless-shell on this machine."""


def find_browser(path: str | None = None) -> str:
    """The chromium-headless-shell executable (`path`, $LAYERS_CHROMIUM, or on PATH)."""
    candidate = path or os.environ.get("LAYERS_CHROMIUM") or shutil.which(HEADLESS_SHELL)
    if candidate and os.access(candidate, os.X_OK):
        return candidate
    where = f" at {candidate!r}" if candidate else ""
    raise BrowserNotFound(f"no {HEADLESS_SHELL}{where}; install it with scripts/setup-browser.sh "
                          f"(Debian: apt-get install {HEADLESS_SHELL})")


class Browser:
    """One headless browser process and its DevTools connection (use `await Browser.launch()`)."""

    def __init__(self, process: subprocess.Popen, cdp: Cdp, profile: str, version: str):
        self.process, self.cdp, self.profile, self.version = process, cdp, profile, version
        self._closed = False
        self._killed = False

    @classmethod
    async def launch(cls, executable: str | None = None) -> "Browser":
        executable = find_browser(executable)
        profile = tempfile.mkdtemp(prefix="layers-browser-")
        # DevTools on a free port of 127.0.0.1 only (the default, said explicitly: it is the whole browser)
        args = [executable, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0", "about:blank"]
        process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            url = await _devtools_url(process, profile)
            cdp = await Cdp.connect(url)
            version = (await cdp.send("Browser.getVersion"))["product"]
        except BaseException:
            _kill_group(process)
            shutil.rmtree(profile, ignore_errors=True)
            raise
        log.info("started %s (pid %d)", version, process.pid)
        return cls(process, cdp, profile, version)

    @property
    def pid(self) -> int:
        return self.process.pid

    async def new_page(self, width: int, height: int, begin_frame_control: bool = False) -> tuple[str, str]:
        """A blank page of width x height CSS px with a transparent background: (targetId, sessionId)."""
        target = (await self.cdp.send("Target.createTarget", {
            "url": "about:blank", "enableBeginFrameControl": begin_frame_control}))["targetId"]
        session = (await self.cdp.send("Target.attachToTarget", {"targetId": target, "flatten": True}))["sessionId"]
        await self.cdp.send("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session=session)
        await self.cdp.send("Emulation.setDefaultBackgroundColorOverride",
                            {"color": {"r": 0, "g": 0, "b": 0, "a": 0}}, session=session)
        return target, session

    async def close_page(self, target: str) -> None:
        try:
            await self.cdp.send("Target.closeTarget", {"targetId": target}, timeout=CLOSE_TIMEOUT_S)
        except Exception as error:                    # already gone (crashed, browser closing)
            log.debug("closing page %s: %s", target, error)

    async def close(self) -> None:
        """Ask the browser to quit, then kill its process group whatever happened; idempotent."""
        if self._closed:
            return
        self._closed = True
        self.cdp.closing = True                       # the socket closing now is expected, not news
        try:
            await self.cdp.send("Browser.close", timeout=CLOSE_TIMEOUT_S)
            # a browser that quits by itself reaps its children; killed, they may stay zombies
            # where PID 1 does not reap (containers)
            await asyncio.to_thread(self.process.wait, CLOSE_TIMEOUT_S)
        except Exception as error:
            log.debug("Browser.close: %s", error)
        try:
            await self.cdp.close()
        except Exception as error:
            log.debug("closing the DevTools socket: %s", error)
        self.kill()

    def kill(self) -> None:
        """Kill the process group and remove the profile; synchronous, so also the last resort
        (garbage collection, interpreter exit, a dead event loop); idempotent."""
        self._closed = True
        if self._killed:
            return
        self._killed = True
        _kill_group(self.process)
        shutil.rmtree(self.profile, ignore_errors=True)


async def _devtools_url(process: subprocess.Popen, profile: str) -> str:
    """Wait for Chromium to write DevToolsActivePort (line 1: port, line 2: /devtools/browser/<id>)."""
    path = os.path.join(profile, "DevToolsActivePort")
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LayersError(f"the browser exited at start-up with status {process.returncode}")
        try:
            with open(path) as file:
                lines = file.read().split("\n")
            if len(lines) >= 2 and lines[1]:
                return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        except FileNotFoundError:
            pass
        await asyncio.sleep(0.05)
    raise LayersError(f"the browser did not open its DevTools port within {START_TIMEOUT_S:g} s")


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        log.warning("browser process %d did not exit after SIGKILL", process.pid)


def group_stats(pgid: int) -> dict[int, list[str]]:
    """pid -> the fields of /proc/PID/stat after the command name (state first), for every process
    in process group `pgid` (Linux): how tests find leaked browser processes and benchmarks the
    browser's CPU time."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as file:
                fields = file.read().rsplit(")", 1)[1].split()
        except OSError:
            continue                      # it exited while we looked
        if int(fields[2]) == pgid:
            found[int(entry)] = fields
    return found
