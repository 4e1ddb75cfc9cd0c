"""SDK events: handler registration per app instance and delivery with the SDK's payloads.

As in `@zoom/appssdk`, `addEventListener(name, handler)` only registers a handler; the client
sends an event only to an instance that listed it in `config`'s capabilities (the facade checks
that before `emit`). A handler that raises is logged and does not stop the others, as a throwing
JavaScript listener would not stop the SDK's dispatch loop.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from typing import Callable

from compositor.sdk.errors import Code, api_error

log = logging.getLogger(__name__)

# The events this runtime raises; getSupportedJsApis lists them next to the methods.
EVENTS = ("onMyMediaChange", "onRunningContextChange", "onRenderedAppOpened", "onParticipantChange",
          "onActiveSpeakerChange", "onMyUserContextChange", "onMessage", "onConnect")

Handler = Callable[[dict], object]


class EventHub:
    """Handlers of one app instance, by event name; safe to emit from camera threads."""

    def __init__(self):
        self._handlers: dict[str, list[Handler]] = defaultdict(list)
        self._lock = threading.Lock()

    def add(self, name: str, handler: Handler) -> None:
        _check_name(name)
        if not callable(handler):
            raise api_error(Code.INVALID_ARGUMENT, f"handler for {name} must be callable, got {handler!r}")
        with self._lock:
            self._handlers[name].append(handler)

    def remove(self, name: str, handler: Handler) -> None:
        """Remove one registration of `handler` (no error if it was not registered, like the DOM)."""
        _check_name(name)
        with self._lock:
            if handler in self._handlers[name]:
                self._handlers[name].remove(handler)

    def emit(self, name: str, payload: dict) -> None:
        with self._lock:
            handlers = list(self._handlers.get(name, ()))
        for handler in handlers:
            try:
                handler(payload)
            except Exception:          # noqa: BLE001 - an app's handler must not break delivery
                log.exception("handler for %s raised", name)

    def clear(self) -> None:
        with self._lock:
            self._handlers.clear()


def _check_name(name: str) -> None:
    if name not in EVENTS:
        raise api_error(Code.INVALID_ARGUMENT, f"unknown event {name!r}; this runtime raises {', '.join(EVENTS)}")
