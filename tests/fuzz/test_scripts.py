"""Hostile JSON scripts: parsed and run to the end, or one clear LayersError (ScriptError names the step)."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compositor.errors import LayersError
from compositor.sdk.facade import APIS
from compositor.sdk.script import MEETING_METHODS, load_script, parse_script, run_script
from tests.fuzz.strategies import FUZZ, hostile, numbers
from tests.sdk.conftest import ALL, FakeManager, MaskSegmenter
from compositor.sdk import ZoomSdk

json_values = st.recursive(st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70) | st.floats(allow_nan=False)
                           | st.text(max_size=12),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                       max_size=4), max_leaves=12)
methods = st.sampled_from(sorted(APIS) + ["config", *MEETING_METHODS, "nope"])
steps = st.fixed_dictionaries(
    {"method": st.one_of(methods, methods, methods, hostile)},           # mostly real names: get past parsing
    optional={"params": hostile | st.dictionaries(st.sampled_from(["x", "width", "imageData", "src", "fill",
                                                                   "participantUUID", "name", "camera", "role"]),
                                                  hostile | st.fixed_dictionaries({"src": hostile})
                                                  | st.fixed_dictionaries({"fill": hostile, "width": numbers,
                                                                           "height": numbers}), max_size=4),
              "at": st.one_of(st.floats(0, 0.01), numbers, hostile),
              "instance": st.one_of(st.sampled_from(["main", "camera", "moon"]), hostile),
              "as": st.one_of(st.text(max_size=4), hostile), "kind": st.one_of(st.just("call"), hostile)})
scripts = st.one_of(
    st.lists(steps, max_size=5),
    st.lists(steps, max_size=3).flatmap(lambda listed: st.fixed_dictionaries(
        {"steps": st.just(listed)}, optional={"dpr": st.one_of(numbers, hostile), "window": hostile,
                                              "renderTarget": hostile, "user": hostile})),
    st.fixed_dictionaries({"steps": st.lists(steps, max_size=4)},
                          optional={"user": hostile, "camera": hostile, "webview": hostile, "window": hostile,
                                    "dpr": hostile | numbers, "renderTarget": hostile, "calls": hostile}),
    json_values,
)


@FUZZ
@given(scripts)
def test_hostile_scripts_parse_and_run_or_fail_with_a_layers_error(tmp_path_factory, data):
    base = tmp_path_factory.getbasetemp() / "script-fuzz"
    base.mkdir(exist_ok=True)
    try:
        script = parse_script(data, base)
    except LayersError as error:
        assert str(error)
        return
    sdk = ZoomSdk(FakeManager(), segmenter=MaskSegmenter(), render_target=(64, 36), window=(96, 54),
                  base_dir=str(base))
    try:
        asyncio.run(sdk.config({"capabilities": ALL}))
        asyncio.run(run_script(sdk, script, sleep=lambda seconds: asyncio.sleep(0)))
    except LayersError as error:
        assert str(error)
    finally:
        sdk.close()


@pytest.mark.parametrize("data", [
    {"steps": [], "dpr": "abc"}, {"steps": [], "dpr": [1]}, {"steps": [], "dpr": float("nan")},
    {"steps": [], "renderTarget": [10 ** 9, 1]}, [{"method": "x", "as": [1]}], [{"method": "x", "instance": [1]}],
])
def test_bad_script_fields_are_layers_errors(data):
    with pytest.raises(LayersError):
        parse_script(data)


@pytest.mark.parametrize("step", [
    {"method": "meeting.leave", "params": {"participantUUID": [1]}},
    {"method": "meeting.setActiveSpeaker", "params": {"participantUUIDs": 5}},
    {"method": "meeting.join", "params": {"name": "x", "camera": {"fill": [1, 2, 3], "width": 10 ** 12}}},
    {"method": "drawImage", "params": {"imageData": {"fill": [1, 2, 3], "width": "4", "height": 4}}},
    {"method": "drawImage", "params": {"imageData": {"fill": [1, 2, 3], "width": 10 ** 6, "height": 10 ** 6}}},
    {"method": "drawImage", "params": {"imageData": {"src": 5}}},
    {"method": "meeting.join", "params": [1]},
])
def test_bad_step_parameters_are_script_errors(step):
    sdk = ZoomSdk(FakeManager(), render_target=(64, 36))
    try:
        asyncio.run(sdk.config({"capabilities": ALL}))
        asyncio.run(sdk.runRenderingContext({"view": "camera"}))
        with pytest.raises(LayersError) as info:
            asyncio.run(run_script(sdk, parse_script([step])))
        assert "step 1" in str(info.value)
    finally:
        sdk.close()


@pytest.mark.parametrize("text", ["", "{", "[1, 2", "\ud800", "null", "1e999", "[" * 10_000 + "]" * 10_000,
                                  '{"steps": [{"method": "drawImage", "params": {"imageData": {"src": "../../x"}}}]}'])
def test_malformed_script_files_are_clear(tmp_path, text):
    path = tmp_path / "s.json"
    path.write_text(text, errors="surrogatepass")
    try:
        load_script(path)
    except LayersError as error:
        assert "s.json" in str(error) or "script" in str(error)
