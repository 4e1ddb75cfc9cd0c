"""Hypothesis strategies for hostile input: what a careless or malicious app can hand the SDK."""

from __future__ import annotations

import base64
import os

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from compositor.sdk.imagedata import MAX_SIDE, WIRE_PREFIX

# Examples per property. Fixed and derandomised so CI runs the same inputs every time and the
# README's counts are true; LAYERS_FUZZ=long explores 20 times as many, with fresh randomness.
EXAMPLES = 150
settings.register_profile("fuzz", max_examples=EXAMPLES, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("long", max_examples=20 * EXAMPLES, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FUZZ = settings.get_profile(os.environ.get("LAYERS_FUZZ", "fuzz"))

# Numbers at every edge a parser can trip on: zero, negative, huge, not finite, bool (an int in Python).
numbers = st.one_of(
    st.integers(-3, 3), st.integers(-2 ** 70, 2 ** 70), st.sampled_from([0, -1, 2 ** 31, 2 ** 63, -2 ** 63, 10 ** 400]),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([float("nan"), float("inf"), -float("inf"), 1e308, -0.0]),
)
pixel_strings = st.one_of(
    st.from_regex(r"\A[ +-]?[0-9]{0,5}(\.[0-9]{0,4})?([eE][+-]?[0-9]{1,4})?(px|%)?\s?\Z"),
    st.sampled_from(["1e400px", "1e308%", "-1e308px", "NaNpx", "Infinity%", "50%%", "px", "%", "0x10px", "１０px",
                     "10 px", "\u0000", "9" * 400 + "px"]),
    st.text(max_size=12),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, pixel_strings, st.text(max_size=20), st.binary(max_size=16))
hostile = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                        st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                       max_leaves=16)


def deeply_nested(depth: int):
    """[[[...]]] and {"a": {"a": ...}} deeper than Python's recursion limit."""
    value: object = 1
    for level in range(depth):
        value = [value] if level % 2 else {"a": value}
    return value


def side_values():
    return st.one_of(st.integers(-2, 6), st.sampled_from([MAX_SIDE, MAX_SIDE + 1, 2 ** 40]), numbers, st.text(max_size=4))


def wire_bitmaps():
    """Bitmap strings: valid base64 of random length, broken padding, other prefixes, non-ASCII."""
    valid = st.binary(max_size=64).map(lambda raw: WIRE_PREFIX + base64.b64encode(raw).decode())
    return st.one_of(valid, valid.map(lambda s: s[:-1]), st.text(max_size=40).map(lambda s: WIRE_PREFIX + s),
                     st.text(max_size=40), st.sampled_from(["data:;base64,", "data:image/png;base64,AAAA",
                                                            WIRE_PREFIX + "ü", WIRE_PREFIX + "====", "base64,"]))


def arrays():
    """numpy arrays of every small shape and several dtypes (most of them wrong)."""
    shapes = st.lists(st.integers(0, 5), min_size=0, max_size=4).map(tuple)
    dtypes = st.sampled_from([np.uint8, np.uint8, np.int16, np.float32, np.float64, np.bool_, object])
    return st.builds(lambda shape, dtype: np.zeros(shape, dtype), shapes, dtypes)


def image_data():
    data = st.one_of(st.binary(max_size=80), st.lists(st.one_of(st.integers(-1, 256), scalars), max_size=20),
                     arrays(), scalars)
    plain = st.fixed_dictionaries({"width": side_values(), "height": side_values(), "data": data})
    wire = st.fixed_dictionaries({"width": side_values(), "height": side_values(), "bitmap": wire_bitmaps()})
    return st.one_of(plain, wire, arrays(), hostile,
                     st.dictionaries(st.sampled_from(["width", "height", "data", "bitmap"]), hostile, max_size=4))
