"""Serve an app directory on 127.0.0.1 only, under a per-run secret path, never outside the directory.

    with AppServer("examples/camera-app") as server:
        server.url            # http://127.0.0.1:PORT/<token>/index.html

Why the token: any local process (or a web page doing DNS rebinding) could otherwise read the
app's files while it runs; requests without the token, or with a Host that is not ours, get 404.
Paths are resolved (symlinks included) and must stay inside the directory.
"""

from __future__ import annotations

import http.server
import os
import secrets
import sys
import threading
from functools import partial
from pathlib import Path
from urllib.parse import unquote, urlsplit

from compositor.errors import LayersValueError

INDEX = "index.html"


class _Handler(http.server.SimpleHTTPRequestHandler):
    """SimpleHTTPRequestHandler confined to `root` and to paths that start with /<token>/."""

    def __init__(self, *args, root: Path, token: str, **kwargs):
        self._root, self._token = root, token
        super().__init__(*args, directory=str(root), **kwargs)

    def send_head(self):
        if not self._allowed():
            self.send_error(404, "Not found")
            return None
        return super().send_head()

    def _allowed(self) -> bool:
        host = self.headers.get("Host", "")
        if host != f"127.0.0.1:{self.server.server_address[1]}":
            return False
        path = unquote(urlsplit(self.path).path)
        prefix = f"/{self._token}/"
        if not path.startswith(prefix):
            return False
        self.path = "/" + self.path.split(prefix, 1)[1]
        target = Path(self.translate_path(self.path)).resolve()
        return target == self._root or self._root in target.parents

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format, *args):      # quiet: the command reports what matters
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """A page closed while its file was being sent (a camera page closing): not worth a traceback."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class AppServer:
    """A ThreadingHTTPServer for one app directory on 127.0.0.1 (context manager)."""

    def __init__(self, directory: str | os.PathLike, entry: str = INDEX):
        root = Path(directory).resolve()
        if not root.is_dir():
            raise LayersValueError(f"app directory {str(directory)!r} does not exist")
        if not (root / entry).is_file():
            raise LayersValueError(f"app directory {str(directory)!r} has no {entry}")
        self.root, self.token = root, secrets.token_urlsafe(16)
        handler = partial(_Handler, root=root, token=self.token)
        self._server = _Server(("127.0.0.1", 0), handler)
        self.origin = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.url = f"{self.origin}/{self.token}/{entry}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="app server", daemon=True)
        self._thread.start()

    def close(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def __enter__(self) -> "AppServer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def origin_of(url: str) -> str:
    """scheme://host[:port] of a URL, as the browser reports an execution context's origin."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise LayersValueError(f"app URL must be http(s)://..., got {url!r}")
    return f"{parts.scheme}://{parts.netloc}"
