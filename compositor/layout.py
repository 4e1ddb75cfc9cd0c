"""Layout math: Zoom's PixelValue, canvas sizes, participant fitting and cutout geometry.

Three kinds of width appear in a draw (STYLE item 7):
  * the source size: the camera frame or image in its own pixels;
  * the requested box: what the app asked for (`x, y, width, height` after PixelValue conversion);
  * the fitted rect: where the pixels land, the source fitted inside the box ("contain", centred)
    and then cropped to the cutout's shape.
Everything here is integers in device pixels, except the source window, which may be fractional
because a crop of a scaled video maps back to fractional source pixels.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from compositor.errors import LayersValueError

RESOLUTIONS = {"720p": (1280, 720), "1080p": (1920, 1080)}
DEFAULT_CAMERA_CANVAS = RESOLUTIONS["720p"]       # config().media.renderTarget default
DEFAULT_IMMERSIVE_CANVAS = RESOLUTIONS["1080p"]   # the app window, width x height x dpr
CORNER_RADIUS_CSS = 30                            # "Corners for all shapes are rounded (30px radius)"
VERTICAL_ASPECT = 9 / 16                          # verticalRectangle: width / height

# A JavaScript number literal as parseFloat reads it, then an optional unit.
_PIXEL_VALUE = re.compile(r"^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*(px|%)?\s*$")


@dataclass(frozen=True, slots=True)
class Rect:
    x: int
    y: int
    width: int
    height: int

    @property
    def right(self) -> int:
        return self.x + self.width

    @property
    def bottom(self) -> int:
        return self.y + self.height

    def contains(self, other: "Rect") -> bool:
        return (self.x <= other.x and self.y <= other.y
                and other.right <= self.right and other.bottom <= self.bottom)

    def clip(self, width: int, height: int) -> "Rect":
        """The part of this rect inside a width x height canvas (possibly empty)."""
        x0, y0 = max(self.x, 0), max(self.y, 0)
        x1, y1 = min(self.right, width), min(self.bottom, height)
        return Rect(x0, y0, max(x1 - x0, 0), max(y1 - y0, 0))

    @property
    def empty(self) -> bool:
        return self.width <= 0 or self.height <= 0


@dataclass(frozen=True, slots=True)
class SourceWindow:
    """The part of a source (in source pixels, possibly fractional) mapped onto a fitted rect."""
    x: float
    y: float
    width: float
    height: float


def to_device_px(value, container_css: float, dpr: float, field: str = "value") -> float:
    """Convert a PixelValue to device pixels exactly as `@zoom/appssdk` does in JavaScript.

    A number passes unchanged (it is already device px); "Npx" is trunc(N * dpr); "N%" is
    trunc(N / 100 * container * dpr), the container being the calling page's window in CSS px
    (its width for x/width, its height for y/height); a bare numeric string is parseFloat'ed.
    Unlike JavaScript we reject what parseFloat would turn into NaN or silently truncate.
    """
    if isinstance(value, bool) or value is None:
        raise LayersValueError(f"{field} must be a number, 'Npx' or 'N%', got {value!r}")
    if isinstance(value, (int, float)):
        if not _is_js_number(value):
            raise LayersValueError(f"{field} must be a finite number, got {_short(value)}")
        return value
    if not isinstance(value, str):
        raise LayersValueError(f"{field} must be a number, 'Npx' or 'N%', got {type(value).__name__} {value!r}")
    match = _PIXEL_VALUE.match(value)
    if not match:
        raise LayersValueError(f"{field}: malformed PixelValue {value!r} (expected a number, 'Npx' or 'N%')")
    number, unit = float(match.group(1)), match.group(2)
    if not math.isfinite(number):
        raise LayersValueError(f"{field}: PixelValue {value!r} is not finite")
    if unit == "px":
        result = number * dpr
    elif unit == "%":
        result = number / 100 * container_css * dpr
    else:
        return int(number) if number.is_integer() else number
    if not math.isfinite(result):
        raise LayersValueError(f"{field}: PixelValue {value!r} is out of range")
    return math.trunc(result)


def _is_js_number(value: int | float) -> bool:
    """Finite and representable as a JavaScript number (a double): 10**400 is neither."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def parse_z_index(value, field: str = "zIndex") -> float:
    """zIndex: numbers pass unchanged, strings are parseInt'ed (as the SDK does)."""
    if isinstance(value, bool) or value is None:
        raise LayersValueError(f"{field} must be an integer, got {value!r}")
    if isinstance(value, (int, float)):
        if not _is_js_number(value):
            raise LayersValueError(f"{field} must be finite, got {_short(value)}")
        return int(value) if float(value).is_integer() else value
    if isinstance(value, str):
        match = re.match(r"^\s*([+-]?\d+)", value)
        if match:
            return int(match.group(1))
    raise LayersValueError(f"{field}: malformed integer {value!r}")


def device_rect(x: float, y: float, width: float, height: float, field: str = "rect") -> Rect:
    """Integer device-pixel rect from converted PixelValues; sizes must be positive."""
    w, h = math.trunc(width), math.trunc(height)
    if w <= 0 or h <= 0:
        raise LayersValueError(f"{field}: width and height must be positive, got {width!r} x {height!r}")
    return Rect(math.trunc(x), math.trunc(y), w, h)


def fit_contain(source_width: int, source_height: int, box: Rect) -> Rect:
    """The source fitted inside `box` keeping its aspect ratio, centred (transparent letterbox)."""
    scale = min(box.width / source_width, box.height / source_height)
    width = max(1, min(box.width, round(source_width * scale)))
    height = max(1, min(box.height, round(source_height * scale)))
    return Rect(box.x + (box.width - width) // 2, box.y + (box.height - height) // 2, width, height)


def centred_crop(rect: Rect, aspect: float) -> Rect:
    """The largest centred sub-rect of `rect` with width / height == aspect."""
    width, height = rect.width, round(rect.width / aspect)
    if height > rect.height:
        width, height = max(1, round(rect.height * aspect)), rect.height
    return Rect(rect.x + (rect.width - width) // 2, rect.y + (rect.height - height) // 2, width, height)


def cutout_rect(cutout: str, fitted: Rect) -> Rect:
    """Where a cutout's pixels land inside the fitted video rect."""
    if cutout in ("square", "circle"):
        return centred_crop(fitted, 1.0)
    if cutout == "verticalRectangle":
        return centred_crop(fitted, VERTICAL_ASPECT)
    return fitted          # standard, rectangle, person


def source_window(source_width: int, source_height: int, fitted: Rect, crop: Rect) -> SourceWindow:
    """The source pixels that land on `crop`, a sub-rect of the fitted video rect."""
    sx, sy = source_width / fitted.width, source_height / fitted.height
    return SourceWindow((crop.x - fitted.x) * sx, (crop.y - fitted.y) * sy, crop.width * sx, crop.height * sy)


def corner_radius(cutout: str, dpr: float = 1.0) -> float:
    """Corner radius in device px: 30 CSS px for every shape but 'standard' (and 'person')."""
    if cutout in ("standard", "person"):
        return 0.0
    return CORNER_RADIUS_CSS * dpr
