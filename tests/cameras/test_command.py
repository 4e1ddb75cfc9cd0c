"""`layers cameras` on this machine: no devices, configured and ad-hoc cameras, JSON, defaults."""

import json

from cameras.config import load_config
from compositor.cli import main


def test_no_cameras_prints_none_found_and_a_hint(capsys):
    assert main(["cameras"]) == 0
    out = capsys.readouterr().out
    assert "none found" in out and "layers cameras --add test" in out


def test_ad_hoc_cameras_are_probed_for_their_format(capsys, clip):
    assert main(["cameras", "--camera", "test:64x48@15", "--camera", f"file:{clip}", "--camera", "/dev/video9"]) == 0
    out = capsys.readouterr().out
    assert "test:64x48@15" in out and "64x48 @ 15 fps rgb24 via synthetic" in out
    assert "160x96 @ 30 fps yuv420p via pyav" in out
    assert "/dev/video9" in out and "cannot open" in out
    assert "No camera found" not in out and load_config().cameras == []  # --camera saves nothing


def test_add_and_set_default_persist_and_json_reports_them(capsys):
    assert main(["cameras", "--add", "test:64x48@30", "--set-default", "test:64x48@30", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["devices"] == []
    assert report["configured"] == [{"id": "test:64x48@30", "name": "Test pattern 64x48 @ 30 fps",
                                     "backend": "synthetic", "width": 64, "height": 48, "fps": 30.0,
                                     "pixel_format": "rgb24"}]
    assert report["default_camera"] == "test:64x48@30"
    assert main(["cameras", "--no-probe", "--json"]) == 0  # the saved camera is listed on the next run
    assert json.loads(capsys.readouterr().out)["configured"] == [{"id": "test:64x48@30", "name": "Test pattern 64x48 @ 30 fps"}]


def test_unknown_default_is_a_one_line_error(capsys):
    assert main(["cameras", "--set-default", "nope"]) == 2
    err = capsys.readouterr().err
    assert "no camera with id 'nope'" in err and err.count("\n") == 1
    assert main(["cameras", "--add", "bogus-spec"]) == 2
    assert "unknown camera spec" in capsys.readouterr().err
