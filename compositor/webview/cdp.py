"""A small Chrome DevTools Protocol client on `websockets` (one browser connection, flat sessions).

    cdp = await Cdp.connect("ws://127.0.0.1:9222/devtools/browser/<id>")
    target = (await cdp.send("Target.createTarget", {"url": "about:blank"}))["targetId"]
    session = (await cdp.send("Target.attachToTarget", {"targetId": target, "flatten": True}))["sessionId"]
    cdp.on("Runtime.bindingCalled", handler)          # handler(params, session_id)
    await cdp.send("Page.enable", session=session, timeout=5)

Why not Playwright: we need exactly the low-level calls Playwright hides or gets in the way of
(`HeadlessExperimental.beginFrame` on a target created with begin-frame control, flat sessions,
bindings on our own terms), and `websockets` is already a dependency (io-feasibility.md §1).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from typing import Any, Callable

import websockets

log = logging.getLogger(__name__)

# A 1280x720 busy translucent page is ~770 KB of PNG, ~1 MB in base64: over websockets' 1 MiB default.
MAX_MESSAGE_BYTES = 256 * 2**20
DEFAULT_TIMEOUT_S = 30.0

Handler = Callable[[dict, "str | None"], object]


class CdpError(RuntimeError):
    """The browser answered a command with an error (or the connection is gone)."""

    def __init__(self, method: str, error: dict | str):
        message = error.get("message", error) if isinstance(error, dict) else error
        super().__init__(f"{method}: {message}")
        self.method = method
        self.code = error.get("code") if isinstance(error, dict) else None


class Cdp:
    """One DevTools websocket: commands with futures, events to handlers, all on one asyncio loop."""

    def __init__(self, ws):
        self._ws = ws
        self._next_id = 0
        self._pending: dict[int, tuple[str, asyncio.Future]] = {}
        self._handlers: dict[str, list[Handler]] = defaultdict(list)
        self.closing = False
        self._reader = asyncio.ensure_future(self._read())
        self.closed = asyncio.get_running_loop().create_future()

    @classmethod
    async def connect(cls, url: str) -> "Cdp":
        ws = await websockets.connect(url, max_size=MAX_MESSAGE_BYTES, ping_interval=None)
        return cls(ws)

    def on(self, method: str, handler: Handler) -> None:
        """Call `handler(params, session_id)` for every event named `method` (on the loop thread)."""
        self._handlers[method].append(handler)

    async def send(self, method: str, params: dict | None = None, session: str | None = None,
                   timeout: float | None = DEFAULT_TIMEOUT_S) -> dict:
        """Send a command and wait for its result; CdpError on a protocol error, TimeoutError on none."""
        if self.closed.done():
            raise CdpError(method, "the browser connection is closed")
        self._next_id += 1
        command_id = self._next_id
        future = asyncio.get_running_loop().create_future()
        self._pending[command_id] = (method, future)
        message: dict[str, Any] = {"id": command_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        try:
            await self._ws.send(json.dumps(message))
            return await asyncio.wait_for(future, timeout)
        finally:
            self._pending.pop(command_id, None)

    async def _read(self) -> None:
        try:
            async for raw in self._ws:
                self._dispatch(json.loads(raw))
        except websockets.ConnectionClosed as error:
            if not self.closing:                  # the browser went away (it died, or closed the socket)
                log.warning("the browser's DevTools connection closed: %s", error)
        except Exception:                          # a bug in a handler must not hang every caller
            log.exception("DevTools reader failed")
        finally:
            for method, future in list(self._pending.values()):
                if not future.done():
                    future.set_exception(CdpError(method, "the browser connection closed"))
            if not self.closed.done():
                self.closed.set_result(None)

    def _dispatch(self, message: dict) -> None:
        if "id" in message:
            method, future = self._pending.get(message["id"], ("", None))
            if future is not None and not future.done():
                if "error" in message:
                    future.set_exception(CdpError(method, message["error"]))
                else:
                    future.set_result(message.get("result", {}))
            return
        for handler in self._handlers.get(message.get("method", ""), ()):
            try:
                handler(message.get("params", {}), message.get("sessionId"))
            except Exception:
                log.exception("DevTools event handler for %s failed", message.get("method"))

    async def close(self) -> None:
        self.closing = True
        await self._ws.close()
        self._reader.cancel()
