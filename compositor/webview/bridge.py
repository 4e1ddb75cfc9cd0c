"""The native side of `@zoom/appssdk`: `window.chrome.webview` in the page, `ZoomSdk` in Python.

The real SDK looks for its native client as `window.chrome.webview` (WebView2 on Windows) and
talks to it with JSON (DESIGN.md "wire protocol", layers-behaviour.md §4):

    page -> native   chrome.webview.postMessage('{"jsCallId": "id…", "apiName": "drawImage", "data": {…}}')
    native -> page   a 'message' event whose data is
                     {type: "apiResponse", data: {jsCallId, errorCode, errorMessage, result}}
                     or {type: "event", name: "onMessage", data: {…}}

`SHIM` is injected into every document of a page we opened, before the page's own scripts
(`Page.addScriptToEvaluateOnNewDocument`). Its postMessage calls a per-run `Runtime.addBinding`
function, which reaches Python as `Runtime.bindingCalled`; answers go back through a per-run
delivery function with `Runtime.evaluate`. The binding is taken off `window` at once, and a call
is answered only when it comes from the top document of a page we opened, at the app's origin:
an iframe or a page the app navigated to elsewhere gets nothing.

A page is untrusted input. Every call with a usable `jsCallId` is answered, with an error when it
is malformed (no apiName, a replayed id, over `MAX_PAYLOAD_CHARS`) or when the page already has
`MAX_RUNNING_CALLS` calls waiting (a flood); one without an id is dropped. Each kind of rejection
is logged once per page and counted in `Bridge.rejected`. The shim refuses an over-cap message
before it crosses DevTools (a 300 MB payload would overflow the DevTools socket and lose the whole
browser), and answers are delivered in batches so a flood cannot outrun them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import threading
import weakref
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from compositor.errors import LayersError, ZoomApiError
from compositor.sdk.errors import Code, api_error
from compositor.sdk.events import EVENTS
from compositor.webview.cdp import Cdp, CdpError

log = logging.getLogger(__name__)

# The largest call a page may post, in UTF-16 units: a 20 MB setVideoFilter image is 26.7 MB of base64.
MAX_PAYLOAD_CHARS = 32 * 2**20
MAX_CALL_ID_CHARS = 256             # the SDK's ids are ~20 characters; an id is echoed in the answer
MAX_API_NAME_CHARS = 64             # longer than any SDK name; echoed in the "unknown API" error
MAX_CALLS_PER_S = 1000              # per page, refused in the page past this rate (a burst of as many is fine)
MAX_RUNNING_CALLS = 256             # per page: calls past this many waiting are rejected at once
MAX_OUTBOX = 10_000                 # per page: messages waiting for delivery (a page that does not yield)
REMEMBERED_CALL_IDS = 4096          # per page: how far back a replayed jsCallId is recognised
DELIVERY_BATCH_CHARS = 32 * 2**20   # one Runtime.evaluate carries up to this much JSON (well under CDP's cap)

# The binding's payload starts with a tag the page cannot forge (only the shim holds the binding):
# "m" + the message, "o" + {length, jsCallId} for a message the shim refused as over the cap, or
# "r" + {limited} for calls it refused past MAX_CALLS_PER_S since its last such note (one a second
# at most). The rate limit is in the page because a flood that crosses DevTools costs the Python
# side a dispatch per call: measured, 22,000 calls/s there starved the camera page's frames to 1 fps.
SHIM = """(() => {
  const binding = globalThis[%(binding)s];
  delete globalThis[%(binding)s];
  if (typeof binding !== "function" || window.top !== window || location.origin !== %(origin)s) return;
  const callId = (message, text) => {
    const id = message !== null && typeof message === "object" ? message.jsCallId
      : (/"jsCallId"\\s*:\\s*"([^"\\\\]{1,256})"/.exec(text.slice(0, 1024)) || [])[1];
    return typeof id === "string" ? id.slice(0, 256) : null;
  };
  const target = new EventTarget();
  const deliver = (messages) => { for (const data of messages) target.dispatchEvent(new MessageEvent("message", {data})); };
  let tokens = %(rate)d, last = performance.now(), limited = 0, noteAt = 0;
  const allowed = () => {
    const now = performance.now();
    tokens = Math.min(%(rate)d, tokens + (now - last) * %(rate)d / 1000);
    last = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
  const refuse = (message, text) => {
    const id = callId(message, text);
    if (id !== null) queueMicrotask(() => deliver([{type: "apiResponse", data: {jsCallId: id, errorCode: %(code)d,
      result: null, errorMessage: "the page posts more than %(rate)d native calls a second; this one was refused"}}]));
    limited += 1;
    if (performance.now() >= noteAt) {
      binding("r" + JSON.stringify({limited}));
      limited = 0;
      noteAt = performance.now() + 1000;
    }
  };
  const webview = Object.freeze({
    postMessage(message) {
      const text = typeof message === "string" ? message : JSON.stringify(message);
      if (typeof text !== "string") return;
      if (!allowed()) {
        refuse(message, text);
      } else if (text.length > %(max_chars)d) {
        binding("o" + JSON.stringify({length: text.length, jsCallId: callId(message, text)}));
      } else {
        binding("m" + text);
      }
    },
    addEventListener: (type, listener, options) => target.addEventListener(type, listener, options),
    removeEventListener: (type, listener, options) => target.removeEventListener(type, listener, options),
  });
  if (!window.chrome) window.chrome = {};
  Object.defineProperty(window.chrome, "webview", {value: webview, enumerable: true});
  Object.defineProperty(window, %(deliver)s, {value: deliver});
})();"""


@dataclass
class Page:
    """A page the bridge opened: which app instance it is ('main' or 'rendered') and its session."""
    role: str
    target: str
    session: str
    width: int
    height: int
    contexts: dict[int, str] = field(default_factory=dict)      # top-document execution context -> origin
    outbox: asyncio.Queue = field(default_factory=asyncio.Queue)   # serialized messages for the page
    tasks: list[asyncio.Task] = field(default_factory=list)
    calls: set[asyncio.Task] = field(default_factory=set)          # SDK calls running for this page
    call_ids: OrderedDict = field(default_factory=OrderedDict)     # the last REMEMBERED_CALL_IDS ids
    reported: set[str] = field(default_factory=set)               # rejection kinds logged already
    crashed: bool = False
    closed: bool = False            # detached: no task may start for it any more


AfterCall = Callable[[Page, str, dict | None], Awaitable[None]]


class Bridge:
    """Route `{jsCallId, apiName, data}` from our pages to the right ZoomSdk instance and answer."""

    def __init__(self, cdp: Cdp, sdk, origin: str, browser_version: str, after_call: AfterCall | None = None):
        self.cdp, self.sdk, self.origin = cdp, sdk, origin
        self.browser_version = browser_version
        self.after_call = after_call
        self.pages: dict[str, Page] = {}                 # by sessionId
        token = secrets.token_hex(8)
        self.binding = f"__layersNative_{token}"
        self.deliver = f"__layersDeliver_{token}"
        self.shim = SHIM % {"binding": json.dumps(self.binding), "deliver": json.dumps(self.deliver),
                            "origin": json.dumps(origin), "max_chars": MAX_PAYLOAD_CHARS,
                            "rate": MAX_CALLS_PER_S, "code": int(Code.TOO_MANY_CALLS)}
        self.rejected: Counter[str] = Counter()          # calls rejected or dropped, by kind
        self.loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._listening = weakref.WeakSet()       # instances we forward (an id() could be reused)
        cdp.on("Runtime.bindingCalled", self._on_binding)
        cdp.on("Runtime.executionContextCreated", self._on_context_created)
        cdp.on("Runtime.executionContextDestroyed", self._on_context_destroyed)
        cdp.on("Runtime.executionContextsCleared", self._on_contexts_cleared)

    # -- pages ---------------------------------------------------------------------------------
    async def attach(self, page: Page) -> None:
        """Install the native client in `page` (before it navigates) and start its sender."""
        self.pages[page.session] = page
        send = self.cdp.send
        await send("Runtime.addBinding", {"name": self.binding}, session=page.session)
        await send("Page.addScriptToEvaluateOnNewDocument", {"source": self.shim}, session=page.session)
        await send("Runtime.enable", session=page.session)
        if not page.closed:             # closed while it opened: a sender now would wait forever, unowned
            page.tasks.append(asyncio.create_task(self._sender(page), name=f"bridge sender {page.role}"))

    def detach(self, page: Page) -> None:
        page.closed = True
        self.pages.pop(page.session, None)
        for task in [*page.tasks, *page.calls]:
            task.cancel()

    def page_for(self, role: str) -> Page | None:
        return next((page for page in self.pages.values() if page.role == role and not page.crashed), None)

    def instance_for(self, role: str):
        return self.sdk if role == "main" else self.sdk.rendered

    # -- events from Python to the pages ------------------------------------------------------
    def listen(self, instance, role: str) -> None:
        """Forward every SDK event `instance` raises to the page playing `role` (once per instance)."""
        if instance is None or instance in self._listening:
            return
        self._listening.add(instance)
        for name in EVENTS:
            instance.addEventListener(name, self._forwarder(role, name))

    def _forwarder(self, role: str, name: str):
        def forward(payload: dict) -> None:
            message = {"type": "event", "name": name, "data": payload}
            if threading.get_ident() == self._loop_thread:
                self._post(role, message)                 # keeps events ahead of the call's answer
            else:                                         # camera threads (onMyMediaChange)
                self.loop.call_soon_threadsafe(self._post, role, message)
        return forward

    def _post(self, role: str, message: dict) -> None:
        page = self.page_for(role)
        if page is not None:
            self._enqueue(page, message)

    def _enqueue(self, page: Page, message: dict) -> None:
        """Queue a message for the page, serialized now (a result that is not JSON becomes an error
        answer here, not a dead sender); past MAX_OUTBOX the page is not reading and it is dropped."""
        if page.outbox.qsize() >= MAX_OUTBOX:
            self._report(page, "outbox full", f"the {page.role} page does not take its messages: "
                                              f"dropped one past {MAX_OUTBOX} waiting")
            return
        try:
            page.outbox.put_nowait(json.dumps(message))
        except (TypeError, ValueError) as error:
            data = message.get("data", {})
            log.error("answer to %s is not JSON: %s", data.get("jsCallId"), error)
            page.outbox.put_nowait(json.dumps({"type": "apiResponse", "data": {
                "jsCallId": data.get("jsCallId"), "errorCode": None, "result": None,
                "errorMessage": f"internal error: the answer is not JSON ({error})"}}))

    async def _sender(self, page: Page) -> None:
        """Deliver the page's messages in order, as many as are waiting in one Runtime.evaluate
        (one round trip per message could not keep up with a page that floods)."""
        while True:
            batch = [await page.outbox.get()]
            size = len(batch[0])
            while not page.outbox.empty() and size < DELIVERY_BATCH_CHARS:
                batch.append(page.outbox.get_nowait())
                size += len(batch[-1])
            expression = f"globalThis[{json.dumps(self.deliver)}]?.([{','.join(batch)}])"
            try:
                await self.cdp.send("Runtime.evaluate", {"expression": expression}, session=page.session)
            except (CdpError, asyncio.TimeoutError) as error:
                log.debug("delivering to the %s page: %s", page.role, error)

    # -- calls from the pages to Python -------------------------------------------------------
    def _on_binding(self, params: dict, session: str | None) -> None:
        page = self.pages.get(session or "")
        if page is None or params.get("name") != self.binding:
            return
        if page.contexts.get(params.get("executionContextId")) != self.origin:
            log.warning("ignored a native call from a document outside %s in the %s page", self.origin, page.role)
            return
        payload = params.get("payload")
        payload = payload if isinstance(payload, str) else ""
        tag, text = payload[:1], payload[1:]
        if tag == "r":
            self._rate_limited(page, text)
            return
        if tag == "o" or len(text) > MAX_PAYLOAD_CHARS:
            self._oversized(page, text if tag == "o" else None, len(text))
            return
        try:
            request = json.loads(text)
        except (ValueError, RecursionError) as error:       # RecursionError: nesting past Python's limit
            reason = f"a native call that is not JSON ({type(error).__name__}: {str(error)[:100]})"
            call_id = _call_id_in(text)
            if call_id is None:
                self._drop(page, "not JSON", reason)
            else:
                self._reject(page, call_id, "not JSON", api_error(Code.INVALID_ARGUMENT, reason))
            return
        call_id = request.get("jsCallId") if isinstance(request, dict) else None
        if not isinstance(call_id, str) or not 0 < len(call_id) <= MAX_CALL_ID_CHARS:
            self._drop(page, "no jsCallId", f"a native call without a jsCallId string of 1 to "
                                            f"{MAX_CALL_ID_CHARS} characters (got {_brief(call_id)})")
            return
        error = self._refusal(page, call_id, request.get("apiName"))
        if error is not None:
            self._reject(page, call_id, *error)
            return
        task = asyncio.create_task(self._answer(page, call_id, request["apiName"], request.get("data")))
        page.calls.add(task)
        task.add_done_callback(page.calls.discard)

    def _refusal(self, page: Page, call_id: str, api_name) -> tuple[str, ZoomApiError | LayersError] | None:
        """Why a call with a usable id is not run, as (kind, error), or None to run it."""
        if call_id in page.call_ids:
            return "replayed jsCallId", api_error(Code.INVALID_ARGUMENT, f"jsCallId {call_id!r} was already used "
                                                                           "by this page; each call needs a new one")
        page.call_ids[call_id] = None
        if len(page.call_ids) > REMEMBERED_CALL_IDS:
            page.call_ids.popitem(last=False)
        if not isinstance(api_name, str) or not 0 < len(api_name) <= MAX_API_NAME_CHARS:
            return "bad apiName", api_error(Code.INVALID_ARGUMENT, f"apiName must be an SDK method name "
                                                                     f"(a string), got {_brief(api_name)}")
        if len(page.calls) >= MAX_RUNNING_CALLS:
            return "flood", api_error(Code.TOO_MANY_CALLS, f"{api_name}: the native client is busy with "
                                      f"{MAX_RUNNING_CALLS} calls from this page; wait for their answers "
                                      "before calling again")
        return None

    def _rate_limited(self, page: Page, note: str) -> None:
        """The shim's count of calls it refused past MAX_CALLS_PER_S (each answered there)."""
        try:
            limited = int(json.loads(note)["limited"])
        except (ValueError, TypeError, KeyError):
            limited = 1
        self._report(page, "rate", f"posts more than {MAX_CALLS_PER_S} native calls a second; the calls "
                                   "past that are refused in the page with an error")
        self.rejected["rate"] += limited - 1

    def _oversized(self, page: Page, notice: str | None, length: int) -> None:
        """A message over MAX_PAYLOAD_CHARS: answered with an error when its id could be read."""
        call_id, chars = None, length
        if notice is not None:
            try:
                parsed = json.loads(notice)
                call_id, chars = parsed.get("jsCallId"), int(parsed.get("length"))
            except (ValueError, TypeError, AttributeError):
                pass
        message = (f"a native call of {chars:,} characters is over the bridge's cap of {MAX_PAYLOAD_CHARS:,} "
                   "(32 MiB); send a smaller image")
        if isinstance(call_id, str) and 0 < len(call_id) <= MAX_CALL_ID_CHARS:
            self._reject(page, call_id, "oversized", api_error(Code.INVALID_ARGUMENT, message))
        else:
            self._drop(page, "oversized", message)

    def _reject(self, page: Page, call_id: str, kind: str, error: ZoomApiError | LayersError) -> None:
        """Answer a call that is not run with `error`, and report its kind once per page."""
        self._report(page, kind, str(error))
        response = {"jsCallId": call_id, "errorCode": None, "errorMessage": str(error), "result": None}
        if isinstance(error, ZoomApiError):
            response.update(error.to_wire())
        self._enqueue(page, {"type": "apiResponse", "data": response})

    def _drop(self, page: Page, kind: str, reason: str) -> None:
        """A call with no id to answer: nothing goes back; reported once per page."""
        self._report(page, kind, f"ignored {reason}")

    def _report(self, page: Page, kind: str, message: str) -> None:
        self.rejected[kind] += 1
        if kind not in page.reported:
            page.reported.add(kind)
            log.warning("%s page: %s (further %s calls from it are counted, not logged)", page.role, message, kind)

    async def _answer(self, page: Page, call_id: str, api_name: str, data) -> None:
        response = {"jsCallId": call_id, "errorCode": None, "errorMessage": None, "result": None}
        try:
            response["result"] = await self.call(page.role, api_name, data)
        except ZoomApiError as error:
            response.update(error.to_wire())
        except LayersError as error:
            response["errorMessage"] = str(error)
        except Exception as error:                   # a bug here must still answer, not time out in JS
            log.exception("%s from the %s page failed", api_name, page.role)
            response["errorMessage"] = f"internal error in {api_name}: {error}"
        self._enqueue(page, {"type": "apiResponse", "data": response})
        if response["errorCode"] is None and response["errorMessage"] is None and self.after_call:
            try:
                await self.after_call(page, api_name, data)
            except (CdpError, asyncio.TimeoutError) as error:   # e.g. the browser went while opening a page
                log.warning("after %s from the %s page: %s", api_name, page.role, str(error) or type(error).__name__)

    async def call(self, role: str, api_name: str, data):
        """One SDK call as the native client runs it, for the app instance playing `role`."""
        instance = self.instance_for(role)
        if instance is None:
            raise LayersError(f"{api_name}: the rendering context is closed")
        if api_name != "config":
            return await instance.call(api_name, data)
        data = data if isinstance(data, dict) else {}
        # the SDK sends config as {js_api_lists, size, version}; the facade takes {capabilities}
        capabilities = data.get("js_api_lists", data.get("capabilities"))
        result = await instance.config({"capabilities": capabilities})
        self.listen(instance, role)
        return {**result, "browserVersion": self.browser_version}

    # -- which documents may call ---------------------------------------------------------------
    def _on_context_created(self, params: dict, session: str | None) -> None:
        page = self.pages.get(session or "")
        context = params.get("context", {})
        if page is not None and context.get("auxData", {}).get("isDefault") \
                and context.get("auxData", {}).get("frameId") == page.target:
            page.contexts[context["id"]] = context.get("origin", "")

    def _on_context_destroyed(self, params: dict, session: str | None) -> None:
        page = self.pages.get(session or "")
        if page is not None:
            page.contexts.pop(params.get("executionContextId"), None)

    def _on_contexts_cleared(self, params: dict, session: str | None) -> None:
        page = self.pages.get(session or "")
        if page is not None:
            page.contexts.clear()


def _brief(value) -> str:
    """A bounded description of a bad value for a log line or an error message."""
    text = repr(value)
    return f"{type(value).__name__} {text[:60]}{'...' if len(text) > 60 else ''}"


CALL_ID_PATTERN = re.compile(r'"jsCallId"\s*:\s*"([^"\\]{1,%d})"' % MAX_CALL_ID_CHARS)


def _call_id_in(text: str) -> str | None:
    """The jsCallId near the start of a message that cannot be parsed, to answer it (as the shim does)."""
    match = CALL_ID_PATTERN.search(text, 0, 1024)
    return match.group(1) if match else None
