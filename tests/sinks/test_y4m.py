import av
import cv2
import numpy as np
import pytest

from compositor.errors import LayersValueError
from compositor.sinks.y4m import Y4MSink, y4m_header
from compositor.sinks.yuv import rgb_to_yuv444
from compositor.stats import FrameMeta

W, H = 8, 6


def frames(n):
    rng = np.random.default_rng(3)
    return [rng.integers(0, 256, (H, W, 3), np.uint8) for _ in range(n)]


def test_420_file_holds_exactly_header_and_i420_planes(tmp_path):
    path = tmp_path / "exact.y4m"
    images = frames(3)
    with Y4MSink(str(path)) as sink:
        sink.open((W, H), 30)
        for i, image in enumerate(images):
            sink.write(image, FrameMeta(i, "stream", 0, 0, 0))
    expected = b"YUV4MPEG2 W8 H6 F30:1 Ip A1:1 C420jpeg XCOLORRANGE=LIMITED\n" + b"".join(
        b"FRAME\n" + cv2.cvtColor(image, cv2.COLOR_RGB2YUV_I420).tobytes() for image in images)
    assert path.read_bytes() == expected


def test_444_keeps_every_chroma_sample_and_known_colours(tmp_path):
    path = tmp_path / "full.y4m"
    image = np.zeros((H, W, 3), np.uint8)
    image[:, : W // 2] = 255  # white | black
    with Y4MSink(str(path), chroma="444") as sink:
        sink.open((W, H), 25)
        sink.write(image, FrameMeta(0, "stream", 0, 0, 0))
    data = path.read_bytes()
    header, body = data.split(b"\n", 1)
    assert header == b"YUV4MPEG2 W8 H6 F25:1 Ip A1:1 C444 XCOLORRANGE=LIMITED"
    planes = np.frombuffer(body[len(b"FRAME\n"):], np.uint8).reshape(3, H, W)
    assert (planes[:, 0, 0] == (235, 128, 128)).all() and (planes[:, 0, -1] == (16, 128, 128)).all()
    assert np.array_equal(planes, rgb_to_yuv444(image))


def test_pyav_decodes_the_stream(tmp_path):
    path = tmp_path / "decoded.y4m"
    with Y4MSink(str(path)) as sink:
        sink.open((W * 4, H * 4), 30)
        for i in range(5):
            sink.write(np.full((H * 4, W * 4, 3), 40 * i, np.uint8), FrameMeta(i, "stream", 0, 0, 0))
    with av.open(str(path)) as container:
        decoded = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(decoded) == 5
    assert [int(f[5, 5, 1]) for f in decoded] == pytest.approx([0, 40, 80, 120, 160], abs=2)


def test_fractional_rate_is_an_exact_ratio():
    assert b" F30000:1001 " in y4m_header(W, H, 30000 / 1001)


def test_odd_size_needs_444(tmp_path):
    with pytest.raises(LayersValueError, match="7x6"):
        Y4MSink(str(tmp_path / "odd.y4m")).open((7, 6), 30)
    with Y4MSink(str(tmp_path / "odd.y4m"), chroma="444") as sink:
        sink.open((7, 6), 30)
    with pytest.raises(LayersValueError, match="'422'"):
        y4m_header(W, H, 30, chroma="422")
