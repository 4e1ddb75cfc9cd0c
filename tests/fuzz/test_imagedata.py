"""Hostile ImageData and zIndex values: a decoded image or ZoomApiError / LayersValueError, nothing else.

PixelValues are fuzzed through the facade (test_sdk_options.py), where they are checked end to end.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from compositor.errors import ZoomApiError
from compositor.sdk import Code, decode_image_data, encode_wire, encoded_size
from compositor.sdk.facade import _z_index
from compositor.sdk.imagedata import LIMIT_15MB, MAX_SIDE
from tests.fuzz.strategies import FUZZ, image_data, pixel_strings, scalars


@FUZZ
@given(image_data(), st.sampled_from([None, 64, LIMIT_15MB]))
def test_image_data_decodes_or_fails_with_10044_or_the_limit(value, limit):
    try:
        rgba = decode_image_data(value, limit=limit)
    except ZoomApiError as error:
        assert error.code in (Code.DECODE_FAILED, Code.IMAGE_TOO_LARGE), error
        assert error.message
        return
    assert rgba.dtype == np.uint8 and rgba.ndim == 3 and rgba.shape[2] == 4 and rgba.flags.c_contiguous
    assert 0 < rgba.shape[0] <= MAX_SIDE and 0 < rgba.shape[1] <= MAX_SIDE


@FUZZ
@given(st.binary(max_size=4 * 6 * 6))
def test_wire_form_round_trips_or_names_the_length(raw):
    """Any bytes under the wire prefix: decoded exactly when the length fits 6x(len/24), else 10044."""
    height = len(raw) // 24
    wire = encode_wire(np.frombuffer(raw[: height * 24], np.uint8).reshape(height, 6, 4)) if height else None
    if wire is not None:
        assert decode_image_data(wire).tobytes() == raw[: height * 24]
    bad = {"width": 6, "height": height + 1, "bitmap": (wire or {"bitmap": "data:x;base64,"})["bitmap"]}
    with pytest.raises(ZoomApiError) as info:
        decode_image_data(bad)
    assert info.value.code == Code.DECODE_FAILED and "expected" in info.value.message


@pytest.mark.parametrize("width, height, ok", [
    (MAX_SIDE, 1, True), (1, MAX_SIDE, True), (MAX_SIDE + 1, 1, False), (1, MAX_SIDE + 1, False),
    (0, 1, False), (-1, 1, False), (2 ** 64, 1, False), (float("nan"), 1, False), (float("inf"), 1, False),
    (1.5, 1, False), (True, 1, False), ("1", 1, False),
])
def test_sizes_at_and_past_the_side_limit(width, height, ok):
    pixels = bytes(4 * width * height) if ok else b""
    if ok:
        assert decode_image_data({"width": width, "height": height, "data": pixels}).shape == (height, width, 4)
    else:
        with pytest.raises(ZoomApiError) as info:
            decode_image_data({"width": width, "height": height, "data": pixels})
        assert info.value.code == Code.DECODE_FAILED and "width" in info.value.message or "height" in info.value.message


def test_the_15mb_limit_is_exact():
    """The largest 1-row image under 15 MB encoded passes; one pixel more is IMAGE_TOO_LARGE."""
    width = 1
    while encoded_size(width * 2, 1) <= LIMIT_15MB:
        width *= 2
    low, high = width, width * 2            # encoded_size(low) <= limit < encoded_size(high)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if encoded_size(middle, 1) <= LIMIT_15MB else (low, middle)
    rows = math.ceil(low / MAX_SIDE)        # the same pixel count in a legal shape
    fits = np.zeros((rows, low // rows, 4), np.uint8)
    assert decode_image_data(fits, limit=LIMIT_15MB).shape == fits.shape
    too_big = np.zeros((rows, low // rows + 8, 4), np.uint8)
    with pytest.raises(ZoomApiError) as info:
        decode_image_data(too_big, limit=LIMIT_15MB)
    assert info.value.code == Code.IMAGE_TOO_LARGE and "15 MB" in info.value.message


@FUZZ
@given(st.one_of(pixel_strings, scalars))
def test_z_index_parses_or_fails_clearly(value):
    """zIndex as the facade reads it (compositor/layout.py's parse_z_index behind one boundary)."""
    try:
        z = _z_index({"zIndex": value})
    except ZoomApiError as error:
        assert error.code == Code.INVALID_ARGUMENT and "zIndex" in error.message
        return
    assert isinstance(z, int) and not isinstance(z, bool) or isinstance(z, float) and math.isfinite(z)
