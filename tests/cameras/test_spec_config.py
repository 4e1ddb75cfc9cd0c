"""Camera specs (CLI and config strings) and the persisted camera config."""

import json

import numpy as np
import pytest

from cameras import CameraManager, DeviceCamera, FileCamera, StillCamera, TestPatternCamera, camera_from_spec
from cameras.config import add_configured_camera, default_config_path, load_config, save_default_camera
from compositor.errors import LayersValueError


@pytest.mark.parametrize("spec,kind,camera_id", [
    ("test", TestPatternCamera, "test:1280x720@30"),
    ("test:640x360@15", TestPatternCamera, "test:640x360@15"),
    ("test:320x240", TestPatternCamera, "test:320x240@30"),
    ("file:/tmp/clip.mp4", FileCamera, "file:/tmp/clip.mp4"),
    ("rtsp://127.0.0.1/live", FileCamera, "rtsp://127.0.0.1/live"),
    ("still:/tmp/me.png", StillCamera, "still:/tmp/me.png"),
    ("me.jpg", StillCamera, "still:me.jpg"),
    ("/dev/video2", DeviceCamera, "/dev/video2"),
])
def test_specs_make_cameras_whose_ids_are_specs(spec, kind, camera_id):
    camera = camera_from_spec(spec)
    assert type(camera) is kind and camera.id == camera_id
    assert camera_from_spec(camera.id).id == camera.id  # ids round-trip


def test_bare_video_path(clip):
    camera = camera_from_spec(str(clip))
    assert isinstance(camera, FileCamera) and camera.id == f"file:{clip}"


@pytest.mark.parametrize("spec", ["", "nothing-here", "test:12x", 5])
def test_bad_specs_say_what_is_accepted(spec):
    with pytest.raises(LayersValueError, match="spec"):
        camera_from_spec(spec)


def test_config_paths_follow_xdg(tmp_path):
    assert default_config_path() == tmp_path / "xdg" / "layers-compositor" / "cameras.json"
    assert load_config().default_camera is None and load_config().cameras == []


def test_save_and_add_keep_each_other(tmp_path):
    save_default_camera("test:64x48@30")
    add_configured_camera("file:/x.mp4")
    add_configured_camera("file:/x.mp4")
    config = load_config()
    assert config.default_camera == "test:64x48@30" and config.cameras == ["file:/x.mp4"]
    assert not list(default_config_path().parent.glob("*.tmp"))


@pytest.mark.parametrize("content,match", [
    ("{not json", "cannot read"),
    ("[1, 2]", "JSON object"),
    ('{"default_camera": 3}', "default_camera"),
    ('{"cameras": "test"}', "cameras"),
])
def test_broken_config_names_the_file_and_the_problem(tmp_path, content, match):
    path = tmp_path / "cams.json"
    path.write_text(content)
    with pytest.raises(LayersValueError, match=match) as caught:
        load_config(path)
    assert "cams.json" in str(caught.value)


def test_a_saved_spec_default_recreates_its_camera():
    save_default_camera("test:64x48@30")
    still = StillCamera(np.zeros((4, 4, 3), np.uint8), name="k")
    with CameraManager([still], discover_devices=False) as manager:
        assert manager.active.id == "test:64x48@30"
        assert json.loads(default_config_path().read_text()) == {"default_camera": "test:64x48@30"}
