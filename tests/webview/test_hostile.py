"""Hostile bridge messages and the web view's security, in real headless Chromium.

A tiny app page (no SDK: it posts raw strings and objects with `window.chrome.webview.postMessage`)
sends what a buggy or hostile app could: unknown apiNames, missing, invalid and replayed jsCallIds,
non-JSON, payloads over the bridge's cap, deep nesting, wrong types, base64 garbage. Each must end
in an apiResponse with an error (or, with no id to answer, be dropped and counted), the scene must
be the very same object, and no traceback may be logged.
"""

from __future__ import annotations

import json
import logging
import os
import secrets

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from compositor.webview.bridge import MAX_CALL_ID_CHARS, MAX_PAYLOAD_CHARS
from tests.webview.conftest import CAMERA_RGB, need_browser, wait_until

# window.post(message, id, ms): post `message`, resolve with the apiResponse data for `id` (null: none in ms)
HOSTILE_PAGE = """<!doctype html><html><body><script>
window.answers = {};
window.chrome.webview.addEventListener("message", (event) => {
  if (event.data && event.data.type === "apiResponse") window.answers[event.data.data.jsCallId] = event.data.data;
});
window.post = (message, id, ms) => new Promise((resolve) => {
  if (id !== null) delete window.answers[id];
  window.chrome.webview.postMessage(message);
  const start = Date.now();
  const poll = () => {
    if (id !== null && id in window.answers) resolve(window.answers[id]);
    else if (Date.now() - start > ms) resolve(null);
    else setTimeout(poll, 5);
  };
  poll();
});
</script></body></html>"""

BITMAP_PREFIX = "data:object/Uint8ClampedArray;base64,"


class BlankSegmenter:
    """Nobody in the picture: enough for setVirtualBackground to reach its fileUrl."""

    def segment(self, rgb: np.ndarray) -> np.ndarray:
        return np.zeros(rgb.shape[:2], np.uint8)


def start_hostile(app_dir, app_options: dict | None = None, **sdk_options):
    """The hostile page as the main page of a WebApp, configured with every capability."""
    from cameras import StillCamera
    from compositor.sdk import ZoomSdk
    from compositor.sdk.facade import APIS
    from compositor.webview import WebApp, WebViewFrames

    need_browser()
    (app_dir / "index.html").write_text(HOSTILE_PAGE)
    frames = WebViewFrames()
    rgb = np.full((360, 640, 3), CAMERA_RGB, np.uint8)
    sdk = ZoomSdk(cameras=[StillCamera(rgb, name="Still")], webview=frames, render_target=(640, 360), **sdk_options)
    try:
        app = WebApp(sdk, app_dir, frames, **(app_options or {}))
    except BaseException:
        sdk.close()
        raise
    wait_until(lambda: app.evaluate("typeof window.post") == "function", what="the hostile page")
    answer = post(app, {"jsCallId": "config", "apiName": "config",
                        "data": {"version": "0.16", "capabilities": sorted(APIS)}}, "config")
    assert answer["errorCode"] is None and answer["errorMessage"] is None, answer
    answer = post(app, {"jsCallId": "run", "apiName": "runRenderingContext", "data": {"view": "camera"}}, "run")
    assert answer["result"] == {"message": "Success"}, answer
    wait_until(lambda: app.rendered_open, what="the camera page")
    return sdk, app


def post(app, message, call_id: str | None, timeout_ms: int = 5000, raw_js: str | None = None):
    """Post `message` (any JSON value, a string is posted as is) from the main page; the answer's
    data for `call_id`, or None when none came within `timeout_ms`."""
    literal = raw_js if raw_js is not None else json.dumps(message)
    return app.evaluate(f"window.post({literal}, {json.dumps(call_id)}, {timeout_ms})",
                        timeout=timeout_ms / 1000 + 10)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    app_dir = tmp_path_factory.mktemp("hostile-app")
    sdk, app = start_hostile(app_dir, segmenter=BlankSegmenter())
    yield sdk, app, app_dir
    app.close()
    sdk.close()


@pytest.fixture(autouse=True)
def no_traceback(caplog):
    """No log record with a traceback: every hostile input is an expected, explained failure."""
    caplog.set_level(logging.WARNING)
    yield
    tracebacks = [record.getMessage() for record in caplog.records if record.exc_info]
    assert tracebacks == []


def new_id() -> str:
    return "h" + secrets.token_hex(6)


def rejected_after(app, kind: str, before: int) -> None:
    wait_until(lambda: app.bridge.rejected[kind] > before, timeout=5, what=f"a {kind!r} rejection")


def expect_error(sdk, app, message, call_id, code, text: str = "", raw_js: str | None = None) -> dict:
    before = sdk.scene
    answer = post(app, message, call_id, raw_js=raw_js)
    assert answer is not None, f"no answer to {call_id}"
    assert answer["errorCode"] == code and answer["result"] is None, answer
    assert text in (answer["errorMessage"] or ""), answer
    assert sdk.scene is before
    return answer


# -- hostile messages ---------------------------------------------------------------------------------
def test_an_unknown_api_name_is_answered_19003(hostile):
    sdk, app, _ = hostile
    call_id = new_id()
    expect_error(sdk, app, {"jsCallId": call_id, "apiName": "noSuchApi", "data": {}}, call_id, 19003, "noSuchApi")


@pytest.mark.parametrize("api_name", [None, 5, "", ["drawImage"], "x" * 10_000])
def test_a_missing_or_wrong_api_name_is_answered_19008(hostile, api_name):
    sdk, app, _ = hostile
    call_id = new_id()
    message = {"jsCallId": call_id, "data": {}} | ({} if api_name is None else {"apiName": api_name})
    answer = expect_error(sdk, app, message, call_id, 19008, "apiName")
    assert len(answer["errorMessage"]) < 300                 # a 10,000-character name is not echoed


@pytest.mark.parametrize("call_id", [None, 7, "", {"id": 1}, "x" * 1000])
def test_a_call_without_a_usable_js_call_id_is_dropped_and_counted(hostile, call_id):
    sdk, app, _ = hostile
    before, scene = app.bridge.rejected["no jsCallId"], sdk.scene
    message = {"apiName": "clearImage", "data": {"imageId": "x"}} | ({} if call_id is None else {"jsCallId": call_id})
    assert post(app, message, None, timeout_ms=0) is None
    rejected_after(app, "no jsCallId", before)
    assert sdk.scene is scene


def test_a_replayed_js_call_id_is_answered_with_an_error_and_not_run_again(hostile):
    sdk, app, _ = hostile
    call_id = new_id()
    first = post(app, {"jsCallId": call_id, "apiName": "getRunningContext", "data": {}}, call_id)
    assert first["result"] == {"context": "inMeeting"}
    expect_error(sdk, app, {"jsCallId": call_id, "apiName": "getRunningContext", "data": {}}, call_id, 19008,
                 "already used")


@pytest.mark.parametrize("text", ["{not json", "", "\u0000\ud800", "[1, 2]", "null", "1e999999"])
def test_non_json_or_a_non_object_is_dropped_and_counted(hostile, text):
    sdk, app, _ = hostile
    before, scene = sum(app.bridge.rejected.values()), sdk.scene
    assert post(app, text, None, timeout_ms=0) is None
    wait_until(lambda: sum(app.bridge.rejected.values()) > before, timeout=5, what="the drop")
    assert sdk.scene is scene


def test_unparsable_json_with_a_readable_id_is_answered(hostile):
    sdk, app, _ = hostile
    call_id = new_id()
    expect_error(sdk, app, f'{{"jsCallId": "{call_id}", "apiName": "drawImage", "data": {{', call_id, 19008,
                 "not JSON")


def test_nesting_past_pythons_recursion_limit_is_answered(hostile):
    sdk, app, _ = hostile
    call_id = new_id()
    depth = 100_000
    deep = f'{{"jsCallId": "{call_id}", "apiName": "drawImage", "data": {"[" * depth}{"]" * depth}}}'
    expect_error(sdk, app, deep, call_id, 19008, "RecursionError")


def test_deep_but_parsable_options_are_an_sdk_error(hostile):
    sdk, app, _ = hostile
    call_id = new_id()
    nested = "0"
    for _ in range(5000):
        nested = f"[{nested}]"
    raw = json.dumps(f'{{"jsCallId": "{call_id}", "apiName": "drawImage", "data": {{"imageData": {nested}}}}}')
    answer = post(app, None, call_id, raw_js=raw)
    assert answer is not None and answer["errorCode"] is not None and answer["result"] is None, answer


@pytest.mark.parametrize("as_object", [False, True])
def test_a_payload_over_the_cap_is_refused_in_the_page_with_a_clear_error(hostile, as_object):
    sdk, app, _ = hostile
    call_id = new_id()
    filler = f"'A'.repeat({MAX_PAYLOAD_CHARS})"
    message = (f"({{jsCallId: {json.dumps(call_id)}, apiName: 'drawImage', data: {{imageData: {filler}}}}})"
               if as_object else
               f"'{{\"jsCallId\": {json.dumps(call_id)}, \"apiName\": \"drawImage\", \"data\": \"' + {filler} + '\"}}'")
    expect_error(sdk, app, None, call_id, 19008, "over the bridge's cap", raw_js=message)
    # and without an id to answer it is dropped, counted, and the bridge still answers afterwards
    before = app.bridge.rejected["oversized"]
    assert post(app, None, None, timeout_ms=0, raw_js=f"'[' + {filler} + ']'") is None
    rejected_after(app, "oversized", before)
    follow = new_id()
    assert post(app, {"jsCallId": follow, "apiName": "getRunningContext"}, follow)["result"] == {"context": "inMeeting"}


def test_a_large_image_under_the_cap_crosses_and_is_judged_by_the_sdk(hostile):
    sdk, app, _ = hostile
    call_id = new_id()
    side = 2400                                   # 23 MB of pixels, 30.7 MB of base64: under the bridge's cap
    message = (f"({{jsCallId: {json.dumps(call_id)}, apiName: 'setVirtualForeground', data: {{"
               f"imageData: {{width: {side}, height: {side}, bitmap: {json.dumps(BITMAP_PREFIX)} + "
               f"'AAAA'.repeat({side * side * 4 // 3})}}}}}})")
    expect_error(sdk, app, None, call_id, 19013, "15 MB limit", raw_js=message)


@pytest.mark.parametrize("bitmap", ["!!!!", "AAA", BITMAP_PREFIX + "%%%%", BITMAP_PREFIX + "AAAAAAAA",
                                    "data:image/png;base64,iVBORw0KGgo="])
def test_base64_garbage_in_a_bitmap_is_10044_or_19008(hostile, bitmap):
    sdk, app, _ = hostile
    call_id = new_id()
    message = {"jsCallId": call_id, "apiName": "drawImage",
               "data": {"x": 0, "y": 0, "zIndex": 2, "imageData": {"width": 2, "height": 2, "bitmap": bitmap}}}
    before = sdk.scene
    answer = post(app, message, call_id)
    assert answer["errorCode"] in (10044, 19008) and answer["result"] is None, answer
    assert sdk.scene is before


@pytest.mark.parametrize("data", ["drawImage", 12, [1, 2], True, {"imageId": {"$gt": ""}}])
def test_options_of_the_wrong_type_are_an_sdk_error(hostile, data):
    sdk, app, _ = hostile
    call_id = new_id()
    before = sdk.scene
    answer = post(app, {"jsCallId": call_id, "apiName": "clearImage", "data": data}, call_id)
    assert answer["errorCode"] is not None and answer["result"] is None, answer
    assert sdk.scene is before


def test_unserialisable_or_empty_posts_never_reach_python(hostile):
    sdk, app, _ = hostile
    before = sum(app.bridge.rejected.values())
    thrown = app.evaluate("(() => { const a = {}; a.self = a; try { chrome.webview.postMessage(a); return null; }"
                          " catch (error) { return error.name; } })()")
    assert thrown == "TypeError"                  # the page's own mistake, reported to the page
    app.evaluate("chrome.webview.postMessage(undefined)")
    call_id = new_id()
    assert post(app, {"jsCallId": call_id, "apiName": "getRunningContext"}, call_id)["errorCode"] is None
    assert sum(app.bridge.rejected.values()) == before


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                           lambda children: st.lists(children, max_size=3)
                           | st.dictionaries(st.text(max_size=6), children, max_size=3), max_leaves=8)
api_names = st.sampled_from(["getRunningContext", "drawImage", "clearImage", "drawParticipant", "clearParticipant",
                             "drawWebView", "setVirtualBackground", "noSuchApi", "postMessage"]) | json_values
call_ids = st.text(min_size=1, max_size=12) | json_values


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(call_id=call_ids, api_name=api_names, data=json_values, extra=st.dictionaries(st.text(max_size=6), json_values,
                                                                                     max_size=2))
def test_generated_messages_are_answered_or_dropped_and_failures_leave_the_scene(hostile, call_id, api_name, data,
                                                                                  extra):
    sdk, app, _ = hostile
    message = {**extra, "jsCallId": call_id, "apiName": api_name, "data": data}
    usable = isinstance(call_id, str) and 0 < len(call_id) <= MAX_CALL_ID_CHARS   # else dropped
    before, rejected = sdk.scene, sum(app.bridge.rejected.values())
    answer = post(app, message, call_id if usable else None, timeout_ms=5000 if usable else 0)
    if usable:
        assert answer is not None and set(answer) == {"jsCallId", "errorCode", "errorMessage", "result"}, answer
        if answer["errorCode"] is not None or answer["errorMessage"] is not None:
            assert answer["result"] is None and sdk.scene is before
    else:
        wait_until(lambda: sum(app.bridge.rejected.values()) > rejected, timeout=5, what="the drop")
        assert sdk.scene is before


def test_the_bridge_still_works_after_the_hostile_messages(hostile):
    sdk, app, _ = hostile
    call_id = new_id()
    answer = post(app, {"jsCallId": call_id, "apiName": "getRunningContext"}, call_id)
    assert answer == {"jsCallId": call_id, "errorCode": None, "errorMessage": None, "result": {"context": "inMeeting"}}
    assert app.errors == []


# -- security ---------------------------------------------------------------------------------------------
def test_file_url_cannot_read_outside_the_app_directory(hostile):
    from PIL import Image

    sdk, app, app_dir = hostile
    Image.new("RGB", (4, 4), (255, 0, 0)).save(app_dir / "inside.png")
    outside = app_dir.parent / "outside.png"
    Image.new("RGB", (4, 4), (0, 0, 255)).save(outside)
    os.symlink(outside, app_dir / "link.png")
    for url in ["../outside.png", str(outside), outside.as_uri(), "link.png", "/etc/passwd", "file:///etc/passwd"]:
        call_id = new_id()
        expect_error(sdk, app, {"jsCallId": call_id, "apiName": "setVirtualBackground", "data": {"fileUrl": url}},
                     call_id, 19015)
    call_id = new_id()
    answer = post(app, {"jsCallId": call_id, "apiName": "setVirtualBackground", "data": {"fileUrl": "inside.png"}},
                  call_id)
    assert answer["result"] == {"message": "Success"}, answer
    post(app, {"jsCallId": new_id() + "r", "apiName": "removeVirtualBackground", "data": {}}, None, timeout_ms=0)


def test_an_iframe_of_another_origin_gets_no_native_client(hostile, tmp_path):
    from compositor.webview.server import AppServer

    sdk, app, _ = hostile
    binding = app.bridge.binding
    (tmp_path / "index.html").write_text(f"""<script>
      const found = Object.getOwnPropertyNames(globalThis).filter((name) => name.startsWith("__layers"));
      let posted = false;
      try {{ window.top.chrome.webview.postMessage('{{"jsCallId": "frame", "apiName": "drawWebView"}}'); posted = true; }}
      catch (error) {{}}
      parent.postMessage({{webview: typeof window.chrome?.webview, found, posted,
                          binding: typeof globalThis[{json.dumps(binding)}]}}, "*");
    </script>""")
    with AppServer(tmp_path) as other:
        assert other.origin != app.origin
        report = app.evaluate(f"""new Promise((resolve) => {{
            window.addEventListener("message", (event) => resolve(event.data), {{once: true}});
            const frame = document.createElement("iframe");
            frame.src = {json.dumps(other.url)};
            document.body.appendChild(frame);
        }})""")
        app.evaluate("document.querySelector('iframe').remove()")
    assert report == {"webview": "undefined", "found": [], "posted": False, "binding": "undefined"}
    assert "frame" not in app.evaluate("Object.keys(window.answers)")


def test_the_browser_runs_with_the_least_it_needs(hostile):
    sdk, app, _ = hostile
    browser = app.browser
    with open(f"/proc/{browser.pid}/cmdline", "rb") as file:
        args = file.read().decode().split("\0")
    assert "--disable-extensions" in args and "--remote-debugging-port=0" in args
    assert "--remote-debugging-address=127.0.0.1" in args
    assert f"--user-data-dir={browser.profile}" in args
    assert os.path.basename(browser.profile).startswith("layers-browser-")
    assert not any(arg.startswith(("--remote-allow-origins", "--disable-web-security", "--load-extension",
                                   "--allow-file-access-from-files")) for arg in args)
    # the DevTools port listens on 127.0.0.1 only (no IPv4 or IPv6 wildcard, no other interface)
    with open(os.path.join(browser.profile, "DevToolsActivePort")) as file:
        port = int(file.readline())
    assert listening_addresses(port) == {"127.0.0.1"}


def listening_addresses(port: int) -> set[str]:
    """The local addresses of the sockets listening on `port` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as file:
            next(file)
            for line in file:
                local, state = line.split()[1], line.split()[3]
                address, hex_port = local.split(":")
                if state == "0A" and int(hex_port, 16) == port:        # 0A: LISTEN
                    raw = bytes.fromhex(address)
                    if len(raw) == 4:
                        found.add(".".join(str(byte) for byte in reversed(raw)))
                    else:
                        found.add(raw.hex())
    return found


def test_the_app_server_answers_only_its_secret_path_on_loopback(hostile):
    sdk, app, _ = hostile
    server = app.server
    assert server._server.server_address[0] == "127.0.0.1"
    assert listening_addresses(server._server.server_address[1]) == {"127.0.0.1"}
    assert len(server.token) >= 22 and app.url.startswith(f"{server.origin}/{server.token}/")
    # the page itself cannot list the server's root or guess another path
    status = app.evaluate(f"fetch({json.dumps(server.origin + '/index.html')}).then((response) => response.status)")
    assert status == 404


def test_the_profile_directory_is_fresh_and_removed_at_close(tmp_path):
    sdk, app = start_hostile(tmp_path)
    profile = app.browser.profile
    try:
        assert os.path.isdir(profile)
    finally:
        app.close()
        sdk.close()
    assert not os.path.exists(profile)
    sdk2, app2 = start_hostile(tmp_path)
    try:
        assert app2.browser.profile != profile and app2.bridge.binding != app.bridge.binding
        assert app2.server.token != app.server.token
    finally:
        app2.close()
        sdk2.close()
