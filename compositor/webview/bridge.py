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
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import threading
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from compositor.errors import LayersError, ZoomApiError
from compositor.sdk.events import EVENTS
from compositor.webview.cdp import Cdp, CdpError

log = logging.getLogger(__name__)

SHIM = """(() => {
  const binding = globalThis[%(binding)s];
  delete globalThis[%(binding)s];
  if (typeof binding !== "function" || window.top !== window || location.origin !== %(origin)s) return;
  const target = new EventTarget();
  const webview = Object.freeze({
    postMessage(message) { binding(typeof message === "string" ? message : JSON.stringify(message)); },
    addEventListener: (type, listener, options) => target.addEventListener(type, listener, options),
    removeEventListener: (type, listener, options) => target.removeEventListener(type, listener, options),
  });
  if (!window.chrome) window.chrome = {};
  Object.defineProperty(window.chrome, "webview", {value: webview, enumerable: true});
  Object.defineProperty(window, %(deliver)s, {
    value: (data) => { target.dispatchEvent(new MessageEvent("message", {data})); },
  });
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
    outbox: asyncio.Queue = field(default_factory=asyncio.Queue)
    tasks: list[asyncio.Task] = field(default_factory=list)
    crashed: bool = False


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
                            "origin": json.dumps(origin)}
        self.loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._listening: set[int] = set()
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
        page.tasks.append(asyncio.create_task(self._sender(page), name=f"bridge sender {page.role}"))

    def detach(self, page: Page) -> None:
        self.pages.pop(page.session, None)
        for task in page.tasks:
            task.cancel()

    def page_for(self, role: str) -> Page | None:
        return next((page for page in self.pages.values() if page.role == role and not page.crashed), None)

    def instance_for(self, role: str):
        return self.sdk if role == "main" else self.sdk.rendered

    # -- events from Python to the pages ------------------------------------------------------
    def listen(self, instance, role: str) -> None:
        """Forward every SDK event `instance` raises to the page playing `role` (once per instance)."""
        if instance is None or id(instance) in self._listening:
            return
        self._listening.add(id(instance))
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
            page.outbox.put_nowait(message)

    async def _sender(self, page: Page) -> None:
        """Deliver the page's messages in order, one Runtime.evaluate each."""
        while True:
            message = await page.outbox.get()
            expression = f"globalThis[{json.dumps(self.deliver)}]?.({json.dumps(message)})"
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
        try:
            request = json.loads(params.get("payload", ""))
            call_id, api_name = request["jsCallId"], request["apiName"]
            if not isinstance(call_id, str) or not isinstance(api_name, str):
                raise TypeError("jsCallId and apiName must be strings")
        except (ValueError, KeyError, TypeError) as error:
            log.warning("ignored a malformed native call from the %s page: %s", page.role, error)
            return
        asyncio.create_task(self._answer(page, call_id, api_name, request.get("data")))

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
        page.outbox.put_nowait({"type": "apiResponse", "data": response})
        if response["errorCode"] is None and response["errorMessage"] is None and self.after_call:
            await self.after_call(page, api_name, data)

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
