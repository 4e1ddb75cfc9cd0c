"""Coverage-guided fuzzing of the SDK's input boundaries with atheris (libFuzzer), outside pytest.

    .venv/bin/python tests/fuzz/atheris_boundaries.py -atheris_runs=20000      # about a minute
    .venv/bin/python tests/fuzz/atheris_boundaries.py                          # until stopped or a crash

Each input is bytes read as JSON (or, when it is not JSON, as a raw ImageData bitmap) and sent
through ImageData decoding, script parsing and a facade call. Anything but a result,
ZoomApiError or LayersError is a crash that libFuzzer reports with the input that caused it.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from compositor.errors import LayersError
    from compositor.sdk import ZoomSdk, decode_image_data, supported_apis
    from compositor.sdk.facade import APIS
    from compositor.sdk.imagedata import WIRE_PREFIX
    from compositor.sdk.script import parse_script

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.sdk.conftest import FakeManager, MaskSegmenter  # noqa: E402

METHODS = sorted(APIS)
SDK = ZoomSdk(FakeManager(), render_target=(64, 36), window=(96, 54), segmenter=MaskSegmenter(),
              require_capabilities=False)
asyncio.run(SDK.config({"capabilities": sorted(supported_apis())}))
asyncio.run(SDK.runRenderingContext({"view": "camera"}))


def one_input(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    choice = provider.ConsumeIntInRange(0, 3)
    rest = provider.ConsumeBytes(len(data))
    try:
        value = json.loads(rest.decode("utf-8", "surrogatepass"))
    except (ValueError, RecursionError):
        value = {"width": 4, "height": max(1, len(rest) // 16), "bitmap": WIRE_PREFIX + base64.b64encode(rest).decode()}
    try:
        if choice == 0:
            decode_image_data(value)
        elif choice == 1:
            parse_script(value)
        else:
            method = METHODS[len(rest) % len(METHODS)]
            options = value if not isinstance(value, dict) else {k: v for k, v in value.items() if k != "fileUrl"}
            asyncio.run(SDK.call(method, options))
            if SDK.scene.context is None:
                asyncio.run(SDK.runRenderingContext({"view": "camera"}))
            SDK.render()
    except LayersError:
        pass


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
