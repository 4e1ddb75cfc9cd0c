"""Decoding the page's PNG frames and the latest-frame holder."""

from __future__ import annotations

import base64

import cv2
import numpy as np
import pytest

from compositor.webview.frames import FramePump, WebViewFrames, decode_png


def png_base64(rgba: np.ndarray) -> str:
    ok, png = cv2.imencode(".png", cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA))
    assert ok
    return base64.b64encode(png.tobytes()).decode()


def test_decode_png_gives_premultiplied_rgba():
    straight = np.array([[[255, 0, 0, 255], [0, 0, 255, 128]], [[255, 255, 255, 0], [200, 100, 50, 51]]], np.uint8)
    frame = decode_png(png_base64(straight))
    assert frame.shape == (2, 2, 4) and not frame.flags.writeable
    assert frame[0, 0].tolist() == [255, 0, 0, 255]
    assert frame[0, 1].tolist() == [0, 0, 128, 128]          # 255 * 128 / 255
    assert frame[1, 0].tolist() == [0, 0, 0, 0]
    assert frame[1, 1].tolist() == [40, 20, 10, 51]           # round(c * 51 / 255)


def test_decode_png_rejects_a_frame_without_alpha():
    ok, png = cv2.imencode(".png", np.zeros((2, 2, 3), np.uint8))
    with pytest.raises(ValueError, match="not an RGBA PNG"):
        decode_png(base64.b64encode(png.tobytes()).decode())


def test_latest_frame_wins_and_never_blocks():
    frames = WebViewFrames()
    assert frames.latest() is None
    first, second = np.zeros((2, 2, 4), np.uint8), np.ones((2, 2, 4), np.uint8)
    frames.publish(first, 0.001)
    frames.publish(second, 0.003)
    assert frames.latest() is second
    stats = frames.stats()
    assert stats["delivered"] == 2 and stats["decode_ms"] == pytest.approx(2.0)
    frames.clear()
    assert frames.latest() is None


@pytest.mark.parametrize("fps", [0, -1, 61])
def test_frame_rate_is_capped(fps):
    with pytest.raises(ValueError, match="frame rate"):
        FramePump(None, "session", WebViewFrames(), fps)
