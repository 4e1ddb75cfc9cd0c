"""Web view faults injected for real: a page that floods the bridge, and a main page that crashes
or hangs (the camera page's crash and hang are in test_app.py). Each is reported once, the render
loop and the camera page keep their rate, memory stays bounded and recovery is automatic.
"""

from __future__ import annotations

import logging
import threading
import time

from compositor.webview.bridge import MAX_CALLS_PER_S, MAX_OUTBOX, MAX_RUNNING_CALLS
from tests.webview.conftest import wait_until
from tests.webview.test_hostile import new_id, post, start_hostile

FLOOD_SECONDS = 3.0
FLOOD_PER_TICK = 300            # calls every 10 ms: up to 30,000 a second, 30 times the bridge's rate

# Count the answers to the flood's calls, by outcome; the page keeps no other state per call.
FLOOD = f"""window.flood = {{sent: 0, ok: 0, refused: 0, busy: 0, other: 0}};
chrome.webview.addEventListener("message", (event) => {{
  const data = event.data?.type === "apiResponse" ? event.data.data : null;
  if (!data || !data.jsCallId.startsWith("flood")) return;
  const message = data.errorMessage || "";
  if (data.errorCode === null && !message) flood.ok += 1;
  else if (data.errorCode === 19017 && message.includes("native calls a second")) flood.refused += 1;
  else if (data.errorCode === 19017 && message.includes("busy")) flood.busy += 1;
  else flood.other += 1;
}});
window.floodTimer = setInterval(() => {{
  for (let i = 0; i < {FLOOD_PER_TICK}; i++) {{
    chrome.webview.postMessage({{jsCallId: "flood" + flood.sent, apiName: "getRunningContext", data: {{}}}});
    flood.sent += 1;
  }}
}}, 10);"""


def rss_mb() -> float:
    with open("/proc/self/statm") as file:
        return int(file.read().split()[1]) * 4096 / 2**20


class Peaks:
    """Largest number of running calls and waiting messages of a page, sampled on a thread."""

    def __init__(self, app):
        self.app, self.calls, self.outbox = app, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            page = self.app.bridge.page_for("main")
            if page is not None:
                self.calls = max(self.calls, len(page.calls))
                self.outbox = max(self.outbox, page.outbox.qsize())

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def test_a_page_that_floods_the_bridge_is_rate_limited_and_nothing_else_slows(tmp_path, caplog):
    from compositor.commands.run import make_compose
    from compositor.renderer import RenderLoop
    from compositor.sinks.base import NullSink

    caplog.set_level(logging.WARNING, logger="compositor.webview")
    sdk, app = start_hostile(tmp_path)
    try:
        wait_until(lambda: app.rendered_open and app.frames.ticks > 10, what="the camera page's frames")
        sdk.render()                                       # warm: the kernels are compiled before timing
        memory_before = rss_mb()
        app.evaluate(FLOOD)
        peaks = Peaks(app)
        ticks = app.frames.ticks
        with RenderLoop(make_compose(sdk), sdk.canvas_size, 30.0, [NullSink()]) as loop:
            stats = loop.run(seconds=FLOOD_SECONDS)
        tick_fps = (app.frames.ticks - ticks) / FLOOD_SECONDS
        app.evaluate("clearInterval(window.floodTimer)")
        flood = wait_until(lambda: answered_all(app), timeout=10, what="an answer to every flood call")
        peaks.stop()
        memory_after = rss_mb()
        print(f"flood: {flood['sent'] / FLOOD_SECONDS:,.0f} posts/s; {flood}; bridge {dict(app.bridge.rejected)}; "
              f"peak running {peaks.calls}, peak outbox {peaks.outbox}; camera page {tick_fps:.1f} fps, "
              f"render loop {stats.fps:.1f} fps ({stats.frames} frames, {stats.dropped} dropped); "
              f"RSS {memory_before:.0f} -> {memory_after:.0f} MB")
        # the flood was real, and the bridge answered every call: most refused, in the page, at its rate
        assert flood["sent"] > 10 * MAX_CALLS_PER_S * FLOOD_SECONDS / 2
        assert flood["ok"] <= MAX_CALLS_PER_S * (FLOOD_SECONDS + 2) and flood["refused"] > flood["ok"]
        assert flood["other"] == 0
        # bounded on the Python side, and the render loop and the camera page kept going
        assert peaks.calls <= MAX_RUNNING_CALLS and peaks.outbox < MAX_OUTBOX
        assert memory_after - memory_before < 64
        assert stats.frames >= 0.5 * 30 * FLOOD_SECONDS and stats.dropped == 0
        assert tick_fps >= 10
        # reported once, no traceback, and the page is answered normally again once it calms down
        rate_lines = [record for record in caplog.records if "native calls a second" in record.getMessage()]
        assert len(rate_lines) == 1 and not any(record.exc_info for record in caplog.records)
        time.sleep(1.0)                                    # the bucket refills
        call_id = new_id()
        assert post(app, {"jsCallId": call_id, "apiName": "getRunningContext"}, call_id)["result"] == \
            {"context": "inMeeting"}
        assert app.errors == [] and app.restarts == {"main": 0, "rendered": 0}
    finally:
        app.close()
        sdk.close()


def answered_all(app) -> dict | None:
    flood = app.evaluate("window.flood")
    return flood if flood["ok"] + flood["refused"] + flood["busy"] + flood["other"] == flood["sent"] else None


def test_a_burst_of_slow_calls_is_bounded_by_the_running_cap(tmp_path):
    """1000 calls at once (within the rate's burst) that each wait for a worker thread: at most
    MAX_RUNNING_CALLS run, the others are answered 'busy' at once, and every one is answered."""
    sdk, app = start_hostile(tmp_path)
    try:
        bitmap = "data:object/Uint8ClampedArray;base64," + "AAAA" * (48 * 64 * 4 // 3)     # 48x64 transparent
        peaks = Peaks(app)
        app.evaluate(FLOOD.split("window.floodTimer")[0] + f"""
            for (let i = 0; i < 1000; i++) {{
              chrome.webview.postMessage({{jsCallId: "flood" + flood.sent, apiName: "setVirtualForeground",
                                           data: {{imageData: {{width: 48, height: 64, bitmap: {bitmap!r}}}}}}});
              flood.sent += 1;
            }}""")
        flood = wait_until(lambda: answered_all(app), timeout=20, what="an answer to every call")
        peaks.stop()
        assert flood["sent"] == 1000 and flood["other"] == 0 and flood["refused"] == 0
        assert flood["ok"] + flood["busy"] == 1000 and flood["ok"] >= 1
        assert peaks.calls <= MAX_RUNNING_CALLS
        assert (flood["busy"] > 0) == (app.bridge.rejected["flood"] > 0)
    finally:
        app.close()
        sdk.close()


def test_a_crashed_main_page_is_reported_once_and_reopened(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="compositor.webview")
    sdk, app = start_hostile(tmp_path)
    try:
        first = app.bridge.page_for("main").target
        app.crash("main")
        wait_until(lambda: app.restarts["main"] == 1, what="the restart")
        wait_until(lambda: app.bridge.page_for("main") is not None and reachable(app), what="the reopened page")
        assert app.bridge.page_for("main").target != first
        assert len(app.errors) == 1 and "main page crashed" in app.errors[0]
        assert sum("main page crashed" in record.getMessage() for record in caplog.records) == 1
        call_id = new_id()
        assert post(app, {"jsCallId": call_id, "apiName": "getRunningContext"}, call_id)["errorCode"] is None
        assert app.rendered_open                             # the camera page was not touched
    finally:
        app.close()
        sdk.close()


def test_a_hung_main_page_is_reported_once_and_reopened(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="compositor.webview")
    sdk, app = start_hostile(tmp_path, app_options={"hang_timeout": 1.0})
    try:
        app.evaluate("while (true) {}", wait=False)
        wait_until(lambda: app.restarts["main"] == 1, timeout=20, what="the restart")
        wait_until(lambda: app.bridge.page_for("main") is not None and reachable(app), what="the reopened page")
        assert len(app.errors) == 1 and "main page hangs" in app.errors[0]
        assert sum("main page hangs" in record.getMessage() for record in caplog.records) == 1
        ticks = app.frames.ticks
        wait_until(lambda: app.frames.ticks > ticks + 5, what="camera page frames")
    finally:
        app.close()
        sdk.close()


def reachable(app) -> bool:
    from compositor.errors import LayersError
    from compositor.webview.cdp import CdpError

    try:
        return app.evaluate("typeof window.post") == "function"
    except (LayersError, CdpError):
        return False
