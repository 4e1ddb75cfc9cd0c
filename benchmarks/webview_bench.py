"""The web view layer's delivered frame rate and its cost on the render loop (`layers app`).

Runs the example Zoom App (examples/camera-app, real @zoom/appssdk) in headless Chromium against a
still 720p camera while a 30 fps render loop composes into a null sink, in three phases of
`seconds` each:

* `static`: the app as it is (a lower third that does not change): the pump renders every tick
  but asks for no PNG once the page has settled;
* `animated`: a box moves across the camera page with a CSS animation, so every tick has damage
  and costs a PNG encode (Chromium) and decode + premultiply (Python);
* `no_browser`: the browser closed, the same scene composed with the web view's last frame:
  the baseline that the two phases above are compared against.

For each: render fps, late frames, compose ms (p50/p95), render-thread busy ratio, this process's
CPU, the browser's CPU (its whole process group), and the web view's ticks and new frames per
second. Run alone: `python -m benchmarks.webview_bench [seconds]`.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "camera-app"
SIZE = (1280, 720)
FPS = 30.0
ANIMATE = """(() => {
  const box = document.createElement("div");
  box.style.cssText = "position:absolute;left:0;top:200px;width:200px;height:200px;"
    + "background:rgba(255,200,0,0.8);animation:slide 2s linear infinite";
  const style = document.createElement("style");
  style.textContent = "@keyframes slide { from { left: 0px } to { left: 1080px } }";
  document.head.append(style);
  document.body.append(box);
  return true;
})()"""


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU seconds of the living processes in a process group (Linux /proc)."""
    from compositor.webview.browser import group_stats

    ticks = sum(int(fields[11]) + int(fields[12]) for fields in group_stats(pgid).values())
    return ticks / os.sysconf("SC_CLK_TCK")


def _phase(sdk, frames, seconds: float, browser_pid: int | None) -> dict:
    from compositor.commands.run import make_compose
    from compositor.renderer import RenderLoop
    from compositor.sinks import open_sink

    before = frames.stats()
    cpu = group_cpu_seconds(browser_pid) if browser_pid else 0.0
    with RenderLoop(make_compose(sdk), SIZE, FPS, [open_sink("null", SIZE, FPS)]) as loop:
        stats = loop.run(seconds=seconds, handle_signals=False)
    after = frames.stats()
    compose = stats.latency["compose"]
    return {"fps": round(stats.fps, 2), "late_frames": stats.late_frames,
            "compose_ms_p50": round(compose.p50, 2), "compose_ms_p95": round(compose.p95, 2),
            "busy_ratio": round(stats.busy_ratio, 3), "process_cpu_percent": round(stats.cpu_percent, 1),
            "browser_cpu_percent": round(100 * (group_cpu_seconds(browser_pid) - cpu) / stats.elapsed_s, 1)
            if browser_pid else None,
            "webview_tick_fps": round((after["ticks"] - before["ticks"]) / stats.elapsed_s, 2),
            "webview_new_frame_fps": round((after["delivered"] - before["delivered"]) / stats.elapsed_s, 2)}


def run(seconds: float = 5.0) -> dict:
    """Measure the three phases (see the module docstring); returns a JSON-ready dict."""
    from cameras import StillCamera
    from compositor.render import warm_up
    from compositor.sdk import ZoomSdk
    from compositor.webview import WebApp, WebViewFrames

    warm_up()
    frames = WebViewFrames()
    rgb = np.full((SIZE[1], SIZE[0], 3), (40, 160, 40), np.uint8)
    sdk = ZoomSdk(cameras=[StillCamera(rgb, name="Still")], webview=frames, render_target=SIZE)
    result: dict = {"canvas": f"{SIZE[0]}x{SIZE[1]}", "fps": FPS, "seconds": seconds}
    try:
        with WebApp(sdk, EXAMPLE, frames) as app:
            result["browser"] = app.browser.version
            _wait(lambda: app.rendered_open and app.evaluate("window.appState?.ready", role="rendered"))
            app.wait_for_frame()
            time.sleep(0.5)                                  # let the caption arrive and the page settle
            result["static"] = _phase(sdk, frames, seconds, app.browser.pid)
            app.evaluate(ANIMATE, role="rendered")
            result["animated"] = _phase(sdk, frames, seconds, app.browser.pid)
            decode = frames.stats()["decode_ms"]
            result["decode_premultiply_ms"] = round(decode, 2) if decode is not None else None
        result["no_browser"] = _phase(sdk, frames, seconds, None)
    finally:
        sdk.close()
    return result


def format_report(result: dict) -> str:
    """The three phases as a small table (what `layers bench --webview` prints)."""
    lines = [f"web view: {result['canvas']} at {result['fps']:g} fps, {result['seconds']:g} s per phase, "
             f"{result.get('browser', '?')}; decode + premultiply {result.get('decode_premultiply_ms')} ms "
             "per new frame (off the render thread)",
             f"  {'phase':<12}{'render fps':>11}{'new frames/s':>14}{'compose p50':>13}{'busy':>7}"
             f"{'our CPU %':>11}{'browser CPU %':>15}"]
    for phase in ("static", "animated", "no_browser"):
        row = result.get(phase)
        if row is None:
            continue
        browser = "-" if row["browser_cpu_percent"] is None else f"{row['browser_cpu_percent']:.0f}"
        lines.append(f"  {phase:<12}{row['fps']:>11.1f}{row['webview_new_frame_fps']:>14.1f}"
                     f"{row['compose_ms_p50']:>11.2f}ms{row['busy_ratio'] * 100:>6.0f}%"
                     f"{row['process_cpu_percent']:>11.0f}{browser:>15}")
    return "\n".join(lines)


def _wait(check, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("the example app did not get ready")
        time.sleep(0.05)


if __name__ == "__main__":
    print(json.dumps(run(float(sys.argv[1]) if len(sys.argv) > 1 else 5.0), indent=2))
