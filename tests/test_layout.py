"""PixelValue exactly as @zoom/appssdk converts it, fitting and cutout geometry."""

import pytest

from compositor.errors import LayersValueError
from compositor.layout import (Rect, centred_crop, cutout_rect, fit_contain, parse_z_index,
                               source_window, to_device_px)


# "33.3%" of 1000 is 332 in JavaScript too: 33.3 / 100 * 1000 == 332.99999999999994, truncated.
@pytest.mark.parametrize("value, container, dpr, expected", [
    ("89px", 1280, 2, 178), ("50%", 1280, 2, 1280), (1088, 1280, 2, 1088), ("0px", 1280, 2, 0),
    ("40", 1280, 2, 40), ("12.5px", 100, 1, 12), ("33.3%", 1000, 1, 332), ("-10px", 100, 1.5, -15),
    (12.7, 100, 1, 12.7), (10**300, 100, 1, 10**300),
])
def test_pixel_values_as_the_sdk_converts_them(value, container, dpr, expected):
    assert to_device_px(value, container, dpr) == expected


@pytest.mark.parametrize("bad", ["", "px", "12em", "abc", "1e400px", "1e308%", None, True, [1],
                                 float("nan"), float("inf"), 10**400])
def test_malformed_pixel_values_are_clear_errors(bad):
    with pytest.raises(LayersValueError):
        to_device_px(bad, 1e308, 10)


def test_z_index_parse():
    assert parse_z_index("3") == 3 and parse_z_index(" -2abc") == -2 and parse_z_index(2.0) == 2
    for bad in ("x", None, float("nan"), False, 10**400):
        with pytest.raises(LayersValueError):
            parse_z_index(bad)


def test_contain_fit_and_crops():
    fitted = fit_contain(1280, 720, Rect(0, 0, 500, 500))
    assert fitted == Rect(0, 109, 500, 281)
    assert cutout_rect("square", fitted) == Rect(109, 109, 281, 281)
    assert centred_crop(Rect(0, 0, 1280, 720), 9 / 16) == Rect(437, 0, 405, 720)
    window = source_window(1280, 720, fitted, cutout_rect("circle", fitted))
    assert window.height == pytest.approx(720) and window.width == pytest.approx(281 * 1280 / 500)
