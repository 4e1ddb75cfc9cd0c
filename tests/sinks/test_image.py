import cv2
import numpy as np
import pytest

from compositor.errors import LayersValueError, SinkError
from compositor.sinks.image import ImageSink
from compositor.stats import FrameMeta

W, H = 40, 30


def image(value):
    array = np.zeros((H, W, 3), np.uint8)
    array[..., 0] = value          # red carries the frame number
    array[:, : W // 2, 2] = 200    # blue on the left half: catches an RGB/BGR swap
    return array


def write_three(path):
    with ImageSink(str(path)) as sink:
        sink.open((W, H), 30)
        for i, value in enumerate((10, 20, 30)):
            sink.write(image(value), FrameMeta(i, "stream", 0, 0, 0))
        assert not path.exists(), "written at close"


def test_png_holds_exactly_the_last_frame(tmp_path):
    path = tmp_path / "last.png"
    write_three(path)
    saved = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    assert np.array_equal(saved, image(30))


@pytest.mark.parametrize("name", ["last.jpg", "last.jpeg"])
def test_jpeg_holds_the_last_frame_closely(tmp_path, name):
    path = tmp_path / name
    write_three(path)
    saved = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB).astype(int)
    assert np.abs(saved[5, 5] - (30, 0, 200)).max() <= 12
    assert np.abs(saved[5, -5] - (30, 0, 0)).max() <= 12


def test_no_frame_means_no_file_and_bad_paths_are_errors(tmp_path):
    with ImageSink(str(tmp_path / "none.png")) as sink:
        sink.open((W, H), 30)
    assert not (tmp_path / "none.png").exists()
    with pytest.raises(LayersValueError, match="'x.gif'"):
        ImageSink("x.gif")
    with pytest.raises(SinkError, match="does not exist"):
        ImageSink(str(tmp_path / "nowhere" / "a.png")).open((W, H), 30)
