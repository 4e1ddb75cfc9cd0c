import http.client
import urllib.error
import urllib.request

import cv2
import numpy as np
import pytest

from compositor.sinks.preview import BOUNDARY, PreviewSink, gui_unavailable_reason
from compositor.stats import FrameMeta

W, H = 64, 48


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def picture():
    image = np.zeros((H, W, 3), np.uint8)
    image[:, : W // 2] = (255, 0, 0)  # red left, black right
    return image


@pytest.fixture
def preview():
    sink = PreviewSink(port=0, max_clients=1)
    sink.open((W, H), 30)
    yield sink
    sink.close()


def test_serves_page_frame_and_404(preview):
    assert preview.url.startswith("http://127.0.0.1:")
    assert preview.view == "self" and "self view" in preview.describe()
    status, kind, body = get(preview.url)
    assert status == 200 and kind.startswith("text/html") and b'<img src="/stream.mjpg"' in body
    assert get(preview.url + "frame.jpg")[0] == 503  # nothing rendered yet
    preview.write(picture(), FrameMeta(0, "self", 0, 0, 0))
    status, kind, body = get(preview.url + "frame.jpg")
    assert status == 200 and kind == "image/jpeg"
    decoded = cv2.cvtColor(cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    assert decoded.shape == (H, W, 3)
    assert np.abs(decoded[H // 2, 4].astype(int) - (255, 0, 0)).max() <= 20
    assert np.abs(decoded[H // 2, W - 4].astype(int)).max() <= 20
    assert get(preview.url + "nope")[0] == 404


def test_mjpeg_stream_sends_jpeg_parts_and_limits_clients(preview):
    preview.write(picture(), FrameMeta(0, "self", 0, 0, 0))
    port = int(preview.url.rsplit(":", 1)[1].strip("/"))
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", "/stream.mjpg")
    response = connection.getresponse()
    assert response.status == 200
    assert response.headers["Content-Type"] == f"multipart/x-mixed-replace; boundary={BOUNDARY}"
    assert response.readline() == f"--{BOUNDARY}\r\n".encode()
    assert response.readline() == b"Content-Type: image/jpeg\r\n"
    length = int(response.readline().split(b":")[1])
    response.readline()
    assert response.read(length)[:2] == b"\xff\xd8"  # a JPEG
    assert get(preview.url + "stream.mjpg")[0] == 503  # max_clients=1 and one is watching
    connection.close()


def test_closing_stops_the_server():
    sink = PreviewSink(port=0)
    sink.open((W, H), 30)
    url = sink.url
    sink.close()
    sink.close()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url, timeout=2)


def test_window_is_skipped_with_a_note_without_gui():
    reason = gui_unavailable_reason()
    sink = PreviewSink(port=0, window=True)
    assert sink.window_note == reason
    if reason:  # opencv-python-headless, or no display
        sink.open((W, H), 30)
        try:
            assert f"no window: {reason}" in sink.describe()
            sink.write(picture(), FrameMeta(0, "self", 0, 0, 0))
        finally:
            sink.close()
