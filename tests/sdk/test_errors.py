"""The error table: codes outside the SDK's ranges, Zoom's messages verbatim, the README in step."""

from pathlib import Path

from compositor.errors import ZoomApiError
from compositor.sdk.errors import DOCUMENTED_MESSAGES, PROJECT_CODES, Code, api_error, readme_table

README = Path(__file__).resolve().parents[2] / "compositor" / "sdk" / "README.md"
MAIN_README = Path(__file__).resolve().parents[2] / "README.md"


def test_project_codes_are_outside_the_sdk_ranges_and_all_documented():
    chosen = [code for code in Code if code not in DOCUMENTED_MESSAGES]
    assert chosen and all(19000 <= code < 20000 for code in chosen)
    assert set(chosen) == set(PROJECT_CODES)


def test_documented_codes_carry_zooms_message():
    error = api_error(Code.DECODE_FAILED)
    assert isinstance(error, ZoomApiError) and error.code == 10044
    assert error.to_wire() == {"errorCode": 10044, "errorMessage": "Failed to decode the virtual image data."}


def test_readme_lists_every_project_code():
    assert readme_table() in README.read_text()
    assert readme_table() in MAIN_README.read_text()
