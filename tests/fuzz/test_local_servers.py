"""Local servers: bound to 127.0.0.1 only, and the preview serves the preview and nothing else.

(The JS bridge and the web view's server belong to compositor/webview/ and are checked there.)
"""

from __future__ import annotations

import http.client
import re
import socket
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from compositor.sinks import PreviewSink
from compositor.stats import FrameMeta
from tests.fuzz.strategies import FUZZ

ROOT = Path(__file__).resolve().parents[2]
SECRET = "layers-test-secret-3b1f"


@pytest.fixture(scope="module")
def preview(tmp_path_factory):
    (tmp_path_factory.getbasetemp() / "secret.txt").write_text(SECRET)
    sink = PreviewSink(port=0)
    sink.open((64, 36), 30)
    sink.write(np.full((36, 64, 3), 128, np.uint8), FrameMeta(0, "self", 0.0, 0.0, 0.0))
    yield sink
    sink.close()


def get(sink, path, host=None, method="GET"):
    port = sink._server.server_address[1]
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", host if host is not None else f"127.0.0.1:{port}")
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read(200_000) if path != "/stream.mjpg" else b""
    finally:
        connection.close()


def test_the_preview_listens_on_loopback_only(preview):
    assert preview._server.socket.getsockname()[0] == "127.0.0.1"
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 1))                   # no packet is sent: it only picks a route
        address = probe.getsockname()[0]
    except OSError:
        address = "127.0.0.1"
    finally:
        probe.close()
    if address.startswith("127."):
        pytest.skip("this machine has no non-loopback address to try")
    with pytest.raises(OSError):
        socket.create_connection((address, preview._server.server_address[1]), timeout=2).close()


def test_every_server_in_the_source_binds_loopback():
    """No module outside the web view starts a server on anything but 127.0.0.1."""
    servers = re.compile(r"(HTTPServer|TCPServer|\.bind)\(\s*\(\s*([^,]+),")
    for path in [*ROOT.glob("compositor/**/*.py"), *ROOT.glob("cameras/**/*.py")]:
        if "webview" in path.parts:
            continue
        for match in servers.finditer(path.read_text()):
            assert match.group(2).strip() in ("HOST", '"127.0.0.1"', "'127.0.0.1'"), (path, match.group(0))


def test_only_the_three_routes_answer(preview):
    assert get(preview, "/")[0] == 200
    assert get(preview, "/frame.jpg")[0] == 200 and get(preview, "/frame.jpg")[1][:2] == b"\xff\xd8"
    port = preview._server.server_address[1]
    assert get(preview, "/", host=f"localhost:{port}")[0] == 200


@pytest.mark.parametrize("path", [
    "/../secret.txt", "/../../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "//etc/passwd", "/frame.jpg/../../x",
    "/./frame.jpg/..", "/..%2fsecret.txt", "/secret.txt", "/stream.mjpg%00", "http://127.0.0.1/etc/passwd",
    "/" + "a" * 60_000,
])
def test_traversal_and_other_paths_get_nothing(preview, path):
    status, body = get(preview, path)
    assert status in (400, 404, 414), status
    assert SECRET.encode() not in body and b"root:" not in body


@pytest.mark.parametrize("host", ["evil.example:80", "attacker.test", "", "127.0.0.1", "127.0.0.1:1"])
def test_a_foreign_host_header_is_refused(preview, host):
    """A page on a rebound DNS name sends its own Host: it must not read the camera."""
    for path in ("/", "/frame.jpg", "/stream.mjpg"):
        status, body = get(preview, path, host=host)
        assert status == 403 and b"\xff\xd8" not in body


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS", "TRACE"])
def test_other_methods_are_not_served(preview, method):
    assert get(preview, "/frame.jpg", method=method)[0] == 501


@FUZZ
@given(st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=80))
def test_fuzzed_paths_serve_the_preview_or_nothing(preview, suffix):
    status, body = get(preview, "/" + suffix)
    path = "/" + suffix.lstrip("/") if suffix.startswith("/") else "/" + suffix   # http.server folds "//x" to "/x"
    route = path.split("?", 1)[0]
    if route in ("/", "/frame.jpg"):
        assert status == 200
    else:
        assert status in (400, 404), (suffix, status)
        assert SECRET.encode() not in body
