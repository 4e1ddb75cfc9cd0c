"""fileUrl against hostile servers and paths, all on 127.0.0.1: every one a clear 19015, nothing let in.

The servers misbehave on purpose: redirect loops and chains, redirects to other schemes, endless and
trickling bodies, non-image content, a decompression bomb. Loopback is refused unless the caller
allows private addresses, so the tests that must reach these servers say `allow_private=True`.
"""

from __future__ import annotations

import asyncio
import http.server
import io
import os
import socket
import threading
import time
from contextlib import contextmanager
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from compositor.errors import ZoomApiError
from compositor.sdk import Code, ZoomSdk
from compositor.sdk.imagedata import load_file_url
from tests.fuzz.strategies import FUZZ
from tests.sdk.conftest import ALL, FakeManager, MaskSegmenter


def png(width=32, height=18, mode="RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (width, height)).save(buffer, "PNG")
    return buffer.getvalue()


PNG = png()
BOMB = png(10_000, 6_000, mode="1")      # 60 megapixels in a few kB


class Hostile(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self):  # noqa: N802
        route = self.path.split("?")[0]
        if route == "/ok.png":
            return self._send(200, "image/png", PNG)
        if route == "/loop":
            return self._redirect("/loop")
        if route.startswith("/chain/"):
            left = int(route.rsplit("/", 1)[1])
            return self._redirect(f"/chain/{left - 1}" if left else "/ok.png")
        if route == "/to-ftp":
            return self._redirect("ftp://127.0.0.1/x.png")
        if route == "/to-file":
            return self._redirect("file:///etc/passwd")
        if route == "/text":
            return self._send(200, "text/html", b"<html>not an image</html>")
        if route == "/bomb.png":
            return self._send(200, "image/png", BOMB)
        if route == "/endless":
            self.send_response(200)
            self.end_headers()
            try:
                while True:
                    self.wfile.write(b"\0" * 65536)
            except OSError:
                return None
        if route == "/trickle":
            self.send_response(200)
            self.end_headers()
            try:
                for _ in range(400):           # 1 byte every 20 ms: each read is quick, the whole is not
                    self.wfile.write(b"\x89")
                    self.wfile.flush()
                    time.sleep(0.02)
            except OSError:
                return None
        return self._send(404, "text/plain", b"no")

    def _send(self, status, content_type, body):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location):
        self.send_response(302)
        self.send_header("Location", location)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def refused(url, reason_part, **options):
    with pytest.raises(ZoomApiError) as info:
        load_file_url(url, **options)
    assert info.value.code == Code.FILE_URL_FAILED, info.value
    assert reason_part in info.value.message, info.value.message
    return info.value


def test_a_good_image_loads_only_when_private_addresses_are_allowed(server):
    assert load_file_url(f"{server}/ok.png", allow_private=True).shape == (720, 1280, 4)
    refused(f"{server}/ok.png", "non-public address 127.0.0.1")
    port = server.rsplit(":", 1)[1]
    refused(f"http://localhost:{port}/ok.png", "non-public address")        # a name is checked once connected
    refused(f"http://0.0.0.0:{port}/ok.png", "non-public address")
    for host in ("10.1.2.3", "192.168.0.1", "172.16.0.1", "169.254.169.254", "[::1]", "[fd00::1]", "100.64.0.1",
                 "[::ffff:127.0.0.1]", "224.0.0.1"):
        refused(f"http://{host}:{port}/ok.png", "non-public address")   # literal: refused without connecting


@pytest.mark.parametrize("path, reason", [
    ("/loop", "redirect"), ("/chain/9", "redirect"), ("/to-ftp", "only http and https are followed"),
    ("/to-file", "edirect"), ("/text", "cannot identify image"), ("/bomb.png", "megapixel cap"),
    ("/missing.png", "404"),
])
def test_hostile_servers_are_clear_errors(server, path, reason):
    refused(f"{server}{path}", reason, allow_private=True)


def test_a_short_redirect_chain_is_followed(server):
    assert load_file_url(f"{server}/chain/3", allow_private=True).shape == (720, 1280, 4)


def test_endless_body_stops_at_the_size_cap(server):
    refused(f"{server}/endless", "MB cap", allow_private=True, max_bytes=1_000_000)


def test_trickling_server_stops_at_the_deadline(server):
    start = time.monotonic()
    refused(f"{server}/trickle", "timed out", allow_private=True, timeout=0.5)
    assert time.monotonic() - start < 5.0          # not 400 x 20 ms: the deadline covers the whole fetch


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/x.png", "data:image/png;base64,AAAA", "javascript:alert(1)",
                                 "gopher://127.0.0.1/", "ssh://127.0.0.1/x", "\\\\server\\share\\x.png"])
def test_other_schemes_are_refused(url, tmp_path):
    with pytest.raises(ZoomApiError) as info:
        load_file_url(url, base_dir=tmp_path)
    assert info.value.code == Code.FILE_URL_FAILED


def test_local_paths_stay_inside_base_dir(tmp_path):
    app, outside = tmp_path / "app", tmp_path / "secret"
    app.mkdir()
    outside.mkdir()
    (app / "bg.png").write_bytes(PNG)
    (outside / "x.png").write_bytes(PNG)
    (app / "link.png").symlink_to(outside / "x.png")
    assert load_file_url("bg.png", base_dir=app).shape == (720, 1280, 4)
    assert load_file_url((app / "bg.png").as_uri(), base_dir=app).shape == (720, 1280, 4)
    for url in ("../secret/x.png", str(outside / "x.png"), (outside / "x.png").as_uri(), "link.png",
                "/etc/passwd", "file:///etc/passwd"):
        refused(url, "outside the app's directory", base_dir=app)
    os.mkfifo(app / "pipe.png")                  # opening a FIFO with no writer would block forever
    refused("pipe.png", "not a regular file", base_dir=app)
    refused(".", "not a regular file", base_dir=app)


@contextmanager
def loopback_only():
    """Name lookups for anything but loopback fail here, so no fuzzed URL can reach the network."""
    real = socket.getaddrinfo

    def guarded(host, *args, **kwargs):
        if host not in ("127.0.0.1", "localhost", "::1", "0.0.0.0"):
            raise socket.gaierror(socket.EAI_NONAME, f"test: lookup of {host!r} blocked")
        return real(host, *args, **kwargs)

    with mock.patch("socket.getaddrinfo", guarded):
        yield


@FUZZ
@given(scheme=st.sampled_from(["http", "https", "HTTP", "file", "ftp", "", "data", "h\u0000ttp"]),
       host=st.sampled_from(["127.0.0.1", "localhost", "[::1]", "10.0.0.1", "169.254.169.254", "0", "", "a" * 300,
                             "127.0.0.1:99999", "user:pw@127.0.0.1", "[zz]", "%00"]),
       path=st.one_of(st.sampled_from(["/ok.png", "/loop", "/../../etc/passwd", "/%2e%2e/x", ""]), st.text(max_size=30)))
def test_fuzzed_urls_never_fetch_without_permission(server, tmp_path_factory, scheme, host, path):
    """Without allow_private nothing local is fetched; everything is either refused or fails, as 19015."""
    port = server.rsplit(":", 1)[1]
    host = host.replace("127.0.0.1", f"127.0.0.1:{port}") if ":" not in host else host
    url = f"{scheme}://{host}{path}" if scheme else f"{host}{path}"
    base = tmp_path_factory.getbasetemp() / "fuzz-app"
    base.mkdir(exist_ok=True)
    with loopback_only():
        try:
            load_file_url(url, base_dir=base, timeout=2.0)
        except ZoomApiError as error:
            assert error.code in (Code.FILE_URL_FAILED, Code.INVALID_ARGUMENT)
        else:
            pytest.fail(f"{url!r} was fetched")


def test_the_sdk_refuses_loopback_unless_allowed_and_keeps_the_scene(server):
    for allow in (False, True):
        sdk = ZoomSdk(FakeManager(), segmenter=MaskSegmenter(), allow_private_urls=allow)
        asyncio.run(sdk.config({"capabilities": ALL}))
        before = sdk.scene
        try:
            if allow:
                asyncio.run(sdk.setVirtualBackground({"fileUrl": f"{server}/ok.png"}))
                assert sdk.scene.my_video.background.pixels.shape == (720, 1280, 4)
            else:
                with pytest.raises(ZoomApiError) as info:
                    asyncio.run(sdk.setVirtualBackground({"fileUrl": f"{server}/ok.png"}))
                assert info.value.code == Code.FILE_URL_FAILED and "allow_private_urls" in info.value.message
                assert sdk.scene is before
        finally:
            sdk.close()
