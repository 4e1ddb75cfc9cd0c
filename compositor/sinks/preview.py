"""`--preview [PORT]`: a live local view in any browser, MJPEG over HTTP on 127.0.0.1.

Routes: `/` a page showing the stream, `/stream.mjpg` multipart/x-mixed-replace JPEGs,
`/frame.jpg` the latest frame, anything else 404. Only 127.0.0.1 is bound: the preview is for
the person at this machine; a request naming another host (a rebound DNS name) gets 403. At most `max_clients` streams at once (503 beyond), so a forgotten
tab cannot pile up encoders.

The render loop hands every frame over, but JPEG encoding (a few ms at 720p) only happens when a
client asks for a frame it has not seen, at most once per frame however many clients watch.
Without clients the cost is one copy.

Default view: "self", the local self-view where mirrorMyVideo applies. With `window=True` it
also shows an OpenCV window when OpenCV has a GUI and a display exists; the
opencv-python-headless wheel has none, which `window_note` says.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2
import numpy as np

from compositor.errors import SinkError
from compositor.sinks.base import Sink
from compositor.stats import FrameMeta

log = logging.getLogger(__name__)

DEFAULT_PORT = 8765
HOST = "127.0.0.1"
MAX_CLIENTS = 4
JPEG_QUALITY = 80
BOUNDARY = "layersframe"
WINDOW_TITLE = "Layers preview"
# How long a streaming client waits for a new frame before checking whether the sink closed.
CLIENT_POLL_S = 0.5

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Layers preview</title>
<style>body{{margin:0;background:#111;display:flex;align-items:center;justify-content:center;height:100vh}}
img{{max-width:100vw;max-height:100vh}}</style></head>
<body><img src="/stream.mjpg" alt="Layers preview ({view} view)"></body></html>
"""


def gui_unavailable_reason() -> str | None:
    """Why an OpenCV window cannot be shown here, or None when it can."""
    build = cv2.getBuildInformation()
    gui_line = next((line for line in build.splitlines() if line.strip().startswith("GUI:")), "")
    if gui_line.split(":", 1)[-1].strip().upper() in ("", "NONE"):
        return "OpenCV has no GUI support (opencv-python-headless); use the browser preview"
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return "no display (DISPLAY is not set)"
    return None


class _LatestFrame:
    """The newest frame and its JPEG, encoded on demand and shared by all clients."""

    def __init__(self, width: int, height: int):
        self._pixels = np.empty((height, width, 3), np.uint8)
        self._changed = threading.Condition()
        self._encode_lock = threading.Lock()
        self.sequence = 0
        self.closed = False
        self._jpeg: tuple[int, bytes] = (0, b"")

    def put(self, frame: np.ndarray) -> None:
        with self._changed:
            np.copyto(self._pixels, frame)
            self.sequence += 1
            self._changed.notify_all()

    def close(self) -> None:
        with self._changed:
            self.closed = True
            self._changed.notify_all()

    def wait_newer(self, seen: int, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self.sequence > seen or self.closed, timeout)

    def jpeg(self) -> tuple[int, bytes]:
        """(sequence, JPEG bytes) of the latest frame; (0, b"") before the first one."""
        with self._encode_lock:
            with self._changed:
                sequence = self.sequence
                if sequence == self._jpeg[0]:
                    return self._jpeg
                bgr = cv2.cvtColor(self._pixels, cv2.COLOR_RGB2BGR)
            ok, encoded = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
            if ok:
                self._jpeg = (sequence, encoded.tobytes())
            return self._jpeg


class _Handler(BaseHTTPRequestHandler):
    server: _PreviewServer

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        route = self.path.split("?", 1)[0]
        if self.headers.get("Host", "") not in self.server.allowed_hosts:
            # A web page whose name was re-pointed at 127.0.0.1 (DNS rebinding) would send its own
            # name here; only the preview's own address may read the user's camera (issue 8).
            self._send(403, "text/plain", b"forbidden: open the preview at its 127.0.0.1 address\n")
        elif route == "/":
            self._send(200, "text/html; charset=utf-8", PAGE.format(view=self.server.view).encode())
        elif route == "/frame.jpg":
            sequence, jpeg = self.server.latest.jpeg()
            if sequence:
                self._send(200, "image/jpeg", jpeg)
            else:
                self._send(503, "text/plain", b"no frame rendered yet\n")
        elif route == "/stream.mjpg":
            self._stream()
        else:
            self._send(404, "text/plain", b"not found: try / or /stream.mjpg or /frame.jpg\n")

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _stream(self) -> None:
        if not self.server.clients.acquire(blocking=False):
            self._send(503, "text/plain", f"too many preview clients (at most {self.server.max_clients})\n".encode())
            return
        try:
            self.send_response(200)
            self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            seen, latest = 0, self.server.latest
            while not latest.closed:
                if not latest.wait_newer(seen, CLIENT_POLL_S):
                    continue
                seen, jpeg = latest.jpeg()
                if not seen:
                    continue
                self.wfile.write(f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                                 f"Content-Length: {len(jpeg)}\r\n\r\n".encode() + jpeg + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the browser tab went away
        finally:
            self.server.clients.release()

    def log_message(self, format: str, *args) -> None:
        log.debug("preview: " + format, *args)


class _PreviewServer(ThreadingHTTPServer):
    daemon_threads = True  # a watching browser must not keep the process alive

    def __init__(self, port: int, latest: _LatestFrame, view: str, max_clients: int):
        self.latest, self.view, self.max_clients = latest, view, max_clients
        self.clients = threading.BoundedSemaphore(max_clients)
        super().__init__((HOST, port), _Handler)
        bound = self.server_address[1]
        self.allowed_hosts = {f"{HOST}:{bound}", f"localhost:{bound}"}


class PreviewSink(Sink):
    def __init__(self, port: int = DEFAULT_PORT, view: str = "self", max_clients: int = MAX_CLIENTS,
                 window: bool = False):
        super().__init__(view)
        self.requested_port, self.max_clients = port, max_clients
        self.name = f"preview:{port}"
        self.window_note = gui_unavailable_reason() if window else None
        self._window = window and self.window_note is None
        self._server: _PreviewServer | None = None
        self._thread: threading.Thread | None = None
        self._latest: _LatestFrame | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise SinkError("the preview is not open")
        return f"http://{HOST}:{self._server.server_address[1]}/"

    def format(self) -> str:
        if self._server is None:
            return "not open"
        text = f"MJPEG {self.size[0]}x{self.size[1]} at {self.url}"
        return f"{text} (no window: {self.window_note})" if self.window_note else text

    def _open(self, size: tuple[int, int], fps: float) -> None:
        self._latest = _LatestFrame(*size)
        try:
            self._server = _PreviewServer(self.requested_port, self._latest, self.view, self.max_clients)
        except OSError as error:
            raise SinkError(f"preview cannot listen on {HOST}:{self.requested_port}: "
                            f"{error.strerror or error}; choose another with --preview PORT") from error
        self.name = f"preview:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name=self.name, daemon=True)
        self._thread.start()
        if self.window_note:
            log.info("preview window not shown: %s", self.window_note)

    def _write(self, frame: np.ndarray, meta: FrameMeta) -> None:
        self._latest.put(frame)
        if self._window:  # same thread every time, as HighGUI requires
            cv2.imshow(WINDOW_TITLE, cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
            cv2.waitKey(1)

    def _close(self) -> None:
        self._latest.close()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        if self._window:
            cv2.destroyWindow(WINDOW_TITLE)
