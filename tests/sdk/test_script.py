"""JSON scripts and `layers run`: parsing, variables, image sources, failures, the shipped examples."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from PIL import Image

from compositor.cli import main
from compositor.errors import LayersValueError
from compositor.sdk import ZoomSdk
from compositor.sdk.script import ScriptError, build_sdk, load_script, parse_script, run_script
from tests.sdk.conftest import FakeManager, MaskSegmenter, run

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TRACES = Path("/work/shared/reference/traces")


@pytest.fixture(autouse=True)
def private_config(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def sdk_for(script, **kwargs):
    return ZoomSdk(FakeManager(), base_dir=str(script.base_dir), **kwargs)


def test_steps_variables_and_image_sources(tmp_path):
    Image.new("RGBA", (5, 4), (255, 0, 0, 255)).save(tmp_path / "logo.png")
    script = parse_script([
        {"method": "config", "params": {"capabilities": ["runRenderingContext", "drawImage", "drawParticipant",
                                                         "clearImage"]}},
        {"method": "runRenderingContext", "params": {"view": "camera"}},
        {"method": "drawParticipant", "params": {"participantUUID": "$me"}},
        {"method": "drawImage", "params": {"imageData": {"src": "logo.png"}, "x": 10, "zIndex": 2}, "as": "logo"},
        {"method": "drawImage", "params": {"imageData": {"fill": [0, 0, 255], "width": 3, "height": 3}}, "as": "dot"},
        {"method": "clearImage", "params": {"imageId": "$dot"}},
    ], tmp_path)
    sdk = sdk_for(script)
    seen = []
    values = run(run_script(sdk, script, on_step=lambda step, result: seen.append(step.method)))
    assert seen[-1] == "clearImage" and len(seen) == 6
    layers = sdk.scene.layers
    assert [type(layer).__name__ for layer in layers] == ["ParticipantLayer", "ImageLayer"]
    assert layers[1].image_id == values["logo"] and layers[1].rect.width == 5
    assert layers[0].participant_uuid == values["me"] == sdk.participant_uuid
    sdk.close()


def test_failing_step_reports_index_method_and_code(tmp_path):
    script = parse_script([
        {"method": "config", "params": {"capabilities": ["runRenderingContext"]}},
        {"method": "runRenderingContext", "params": {"view": "camera"}},
        {"method": "drawWebView", "params": {}},
    ], tmp_path)
    sdk = sdk_for(script)
    with pytest.raises(ScriptError) as info:
        run(run_script(sdk, script))
    assert str(info.value).startswith("step 3 (drawWebView): ") and "(code 19002)" in str(info.value)
    assert info.value.code == 19002
    sdk.close()


def test_timed_steps_wait_for_their_time(tmp_path):
    script = parse_script([{"method": "config", "params": {"capabilities": []}},
                           {"method": "config", "params": {"capabilities": []}, "at": 5.0}], tmp_path)
    now, sleeps = [100.0], []

    async def fake_sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds

    sdk = sdk_for(script)
    run(run_script(sdk, script, clock=lambda: now[0], sleep=fake_sleep))
    assert sleeps == [5.0]
    sdk.close()


def test_rendered_instance_steps_and_meeting_steps(tmp_path):
    script = parse_script({"steps": [
        {"method": "meeting.join", "params": {"name": "Bob"}, "as": "bob"},
        {"instance": "sidebar", "method": "config", "params": {"capabilities": ["runRenderingContext"]}},
        {"instance": "sidebar", "method": "runRenderingContext", "params": {"view": "immersive"}},
        {"instance": "immersive", "method": "config", "params": {"capabilities": ["drawParticipant"]}},
        {"instance": "immersive", "method": "drawParticipant", "params": {"participantUUID": "$bob"}},
        {"method": "meeting.setActiveSpeaker", "params": {"participantUUIDs": ["$bob"]}},
        {"method": "meeting.leave", "params": {"participantUUID": "$bob"}},
    ]}, tmp_path)
    sdk = sdk_for(script)
    run(run_script(sdk, script))
    assert sdk.scene.layers == () and len(sdk.meeting.participants) == 1
    sdk.close()


def test_rendered_step_without_context_fails_clearly(tmp_path):
    script = parse_script([{"instance": "camera", "method": "getRunningContext"}], tmp_path)
    sdk = sdk_for(script)
    with pytest.raises(ScriptError, match="step 1 .*runRenderingContext"):
        run(run_script(sdk, script))
    sdk.close()


@pytest.mark.parametrize("data", [{"nosteps": []}, "text", [{"params": {}}], [{"method": "x", "at": -1}],
                                  [{"method": "x", "instance": "elsewhere"}], {"steps": [], "window": [0, 1]}])
def test_malformed_scripts_are_rejected(data, tmp_path):
    with pytest.raises(LayersValueError):
        parse_script(data, tmp_path)


def test_load_script_errors(tmp_path):
    with pytest.raises(LayersValueError, match="cannot read"):
        load_script(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(LayersValueError, match="not valid JSON"):
        load_script(tmp_path / "bad.json")


@pytest.mark.skipif(not TRACES.exists(), reason="reference traces not present")
def test_a_reference_trace_runs_as_a_script():
    """Only the trace's kind=call entries run; the camera trace works with its own participantUUID."""
    script = load_script(TRACES / "cameramode-vuejs_immersive.json")
    assert [step.method for step in script.steps][:2] == ["config", "runRenderingContext"]
    sdk = ZoomSdk(FakeManager(), participant_uuid="5CD79298-48C6-550B-8838-13593015AA7C", segmenter=MaskSegmenter())
    run(run_script(sdk, script))
    assert sdk.scene.context is None         # the trace ends with closeRenderingContext
    sdk.close()


@pytest.mark.parametrize("name", ["camera-mode.json", "immersive.json", "sidebar-video-apis.json"])
def test_examples_run(name):
    script = load_script(EXAMPLES / name)
    sdk = build_sdk(script, camera="test:320x180@30", segmenter=MaskSegmenter())
    try:
        run(run_script(sdk, script, sleep=lambda seconds: asyncio.sleep(0)))    # timed steps without waiting
    finally:
        sdk.close()


def test_layers_run_command_prints_steps_and_reports_failures(tmp_path, capsys):
    good = tmp_path / "good.json"
    good.write_text(json.dumps([{"method": "config", "params": {"capabilities": ["getRunningContext"]}},
                                {"method": "getRunningContext"}]))
    assert main(["run", str(good), "--camera", "test:64x36@30"]) == 0
    assert 'step 2 getRunningContext: {"context": "inMeeting"}' in capsys.readouterr().out
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"method": "getRunningContext"}]))
    assert main(["run", str(bad), "--camera", "test:64x36@30"]) == 2
    assert "step 1 (getRunningContext): must call zoomSdk.config" in capsys.readouterr().err
