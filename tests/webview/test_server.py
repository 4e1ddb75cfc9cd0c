"""The local app server: 127.0.0.1 only, per-run token, never a file outside the app directory."""

from __future__ import annotations

import http.client
import os

import pytest

from compositor.errors import LayersValueError
from compositor.webview.server import AppServer, origin_of


@pytest.fixture
def app_dir(tmp_path):
    app = tmp_path / "app"
    app.mkdir()
    (app / "index.html").write_text("<p>hello</p>")
    (app / "js").mkdir()
    (app / "js" / "app.js").write_text("console.log(1)")
    (tmp_path / "secret.txt").write_text("do not serve")
    os.symlink(tmp_path / "secret.txt", app / "link.txt")
    return app


def get(server: AppServer, path: str, host: str | None = None) -> tuple[int, bytes]:
    port = int(server.origin.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.putrequest("GET", path, skip_host=True)
    connection.putheader("Host", host or f"127.0.0.1:{port}")
    connection.endheaders()
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body


def test_serves_the_app_under_its_token_on_loopback(app_dir):
    with AppServer(app_dir) as server:
        assert server.origin.startswith("http://127.0.0.1:")
        assert server.url == f"{server.origin}/{server.token}/index.html"
        assert get(server, f"/{server.token}/index.html") == (200, b"<p>hello</p>")
        assert get(server, f"/{server.token}/js/app.js")[0] == 200


def test_refuses_requests_without_the_token_or_from_another_host(app_dir):
    with AppServer(app_dir) as server:
        assert get(server, "/index.html")[0] == 404
        assert get(server, "/wrong-token/index.html")[0] == 404
        assert get(server, f"/{server.token}/index.html", host="evil.example:80")[0] == 404


@pytest.mark.parametrize("path", ["../secret.txt", "%2e%2e/secret.txt", "js/../../secret.txt", "link.txt"])
def test_never_serves_a_file_outside_the_directory(app_dir, path):
    with AppServer(app_dir) as server:
        status, body = get(server, f"/{server.token}/{path}")
        assert status == 404 and b"do not serve" not in body


def test_a_missing_directory_or_entry_is_named(tmp_path):
    with pytest.raises(LayersValueError, match="does not exist"):
        AppServer(tmp_path / "nope")
    with pytest.raises(LayersValueError, match="has no index.html"):
        AppServer(tmp_path)


def test_origin_of():
    assert origin_of("http://127.0.0.1:8000/x/index.html") == "http://127.0.0.1:8000"
    with pytest.raises(LayersValueError, match="file:///x"):
        origin_of("file:///x")
