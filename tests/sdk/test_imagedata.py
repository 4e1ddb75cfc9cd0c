"""ImageData decoding: every accepted form, every malformed one (10044), the size limit, fileUrl."""

from __future__ import annotations

import base64
import http.server
import threading
import time

import numpy as np
import pytest
from PIL import Image

from compositor.sdk import Code, decode_image_data, encode_wire, encoded_size
from compositor.sdk.imagedata import LIMIT_15MB, MAX_SIDE, WIRE_PREFIX, load_file_url

PIXELS = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)


@pytest.mark.parametrize("form", [
    {"width": 3, "height": 2, "data": PIXELS.tobytes()},
    {"width": 3, "height": 2, "data": bytearray(PIXELS.tobytes())},
    {"width": 3, "height": 2, "data": memoryview(PIXELS.tobytes())},
    {"width": 3, "height": 2, "data": PIXELS.ravel()},
    {"width": 3, "height": 2, "data": PIXELS.ravel().tolist()},
    {"width": 3.0, "height": 2, "data": PIXELS},
    encode_wire(PIXELS),
    PIXELS,
    Image.fromarray(PIXELS, "RGBA"),
])
def test_every_form_decodes_to_the_same_straight_rgba(form):
    rgba = decode_image_data(form)
    assert rgba.shape == (2, 3, 4) and rgba.dtype == np.uint8 and rgba.flags.c_contiguous
    np.testing.assert_array_equal(rgba, PIXELS)


def test_rgb_array_and_pil_rgb_are_opaque():
    rgb = np.full((2, 2, 3), 7, np.uint8)
    assert decode_image_data(rgb)[..., 3].min() == 255
    assert decode_image_data(Image.new("RGB", (2, 2), (1, 2, 3)))[0, 0].tolist() == [1, 2, 3, 255]


def test_wire_form_matches_what_the_sdk_sends():
    wire = encode_wire(PIXELS)
    assert wire["bitmap"].startswith("data:object/Uint8ClampedArray;base64,")
    assert base64.b64decode(wire["bitmap"][len(WIRE_PREFIX):]) == PIXELS.tobytes()
    assert encoded_size(3, 2) == len(wire["bitmap"])


@pytest.mark.parametrize("form, reason", [
    ({"width": 3, "height": 2, "data": b"\x00" * 23}, "holds 23 bytes"),
    ({"width": 0, "height": 2, "data": b""}, "between 1"),
    ({"width": -1, "height": 2, "data": b""}, "between 1"),
    ({"width": MAX_SIDE + 1, "height": 1, "data": b""}, "between 1"),
    ({"width": 2.5, "height": 2, "data": b""}, "whole number"),
    ({"width": True, "height": 2, "data": b""}, "whole number"),
    ({"width": "3", "height": 2, "data": b""}, "whole number"),
    ({"width": 1, "height": 1, "bitmap": "data:object/Uint8ClampedArray;base64,AAA"}, "base64"),
    ({"width": 1, "height": 1, "bitmap": "not a data url"}, "data:"),
    ({"width": 1, "height": 1}, "neither"),
    ({"width": 1, "height": 1, "data": "abcd"}, "bytes"),
    ({"width": 1, "height": 1, "data": [1, 2, 3, 256]}, "0..255"),
    ({"width": 1, "height": 1, "data": np.zeros(4, np.float32)}, "uint8"),
    (np.zeros((2, 2, 4), np.float32), "uint8"),
    (np.zeros((2, 2), np.uint8), "HxWx4"),
    (np.zeros((0, 2, 4), np.uint8), "outside"),
    (42, "got int"),
])
def test_malformed_image_data_is_10044(form, reason):
    with pytest.raises(Exception) as info:
        decode_image_data(form)
    assert info.value.code == Code.DECODE_FAILED
    assert info.value.message.startswith("Failed to decode the virtual image data.") and reason in info.value.message


def test_the_15mb_limit_uses_the_encoded_size():
    assert encoded_size(1920, 1080) < LIMIT_15MB < encoded_size(2560, 1440)
    decode_image_data(np.zeros((1080, 1920, 4), np.uint8), limit=LIMIT_15MB)
    with pytest.raises(Exception) as info:
        decode_image_data(np.zeros((1440, 2560, 4), np.uint8), limit=LIMIT_15MB)
    assert info.value.code == Code.IMAGE_TOO_LARGE and "19.7 MB" in info.value.message


def test_file_url_local_path_and_file_scheme_are_1280_wide(tmp_path):
    Image.new("RGB", (400, 300), (9, 8, 7)).save(tmp_path / "bg.jpg")
    rgba = load_file_url(str(tmp_path / "bg.jpg"), base_dir=tmp_path)
    assert rgba.shape == (960, 1280, 4) and rgba[0, 0, 3] == 255
    assert load_file_url("bg.jpg", base_dir=tmp_path).shape == (960, 1280, 4)
    assert load_file_url((tmp_path / "bg.jpg").as_uri(), base_dir=tmp_path).shape == (960, 1280, 4)


@pytest.mark.parametrize("url", ["/no/such.png", "ftp://example.com/x.png", ""])
def test_file_url_failures_are_clear(url, tmp_path):
    with pytest.raises(Exception) as info:
        load_file_url(url)
    assert info.value.code in (Code.FILE_URL_FAILED, Code.INVALID_ARGUMENT)


def test_file_url_not_an_image(tmp_path):
    (tmp_path / "x.png").write_text("hello")
    with pytest.raises(Exception) as info:
        load_file_url(str(tmp_path / "x.png"), base_dir=tmp_path)
    assert info.value.code == Code.FILE_URL_FAILED and "x.png" in info.value.message


@pytest.fixture
def server(tmp_path):
    """A local HTTP server on 127.0.0.1 serving tmp_path, plus a /slow path that never answers in time."""
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(tmp_path), **kwargs)

        def do_GET(self):
            if self.path == "/slow":
                time.sleep(1.0)              # answers nothing: the client has timed out by then
                return None
            return super().do_GET()

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_file_url_over_http_with_size_cap_and_timeout(server, tmp_path):
    Image.new("RGB", (640, 360), (1, 2, 3)).save(tmp_path / "bg.png")
    assert load_file_url(f"{server}/bg.png", allow_private=True).shape == (720, 1280, 4)
    with pytest.raises(Exception) as info:
        load_file_url(f"{server}/bg.png", max_bytes=100, allow_private=True)
    assert info.value.code == Code.FILE_URL_FAILED and "cap" in info.value.message
    with pytest.raises(Exception) as info:
        load_file_url(f"{server}/missing.png", allow_private=True)
    assert info.value.code == Code.FILE_URL_FAILED and "404" in info.value.message
    with pytest.raises(Exception) as info:
        load_file_url(f"{server}/slow", timeout=0.2, allow_private=True)
    assert info.value.code == Code.FILE_URL_FAILED
