"""Regenerate the small images the example scripts use (run from anywhere: python examples/make_assets.py).

lower-third.png: a 1280x720 transparent page with an opaque lower-third bar and a 50% white
                 strip, standing in for the camera-mode sample's web page (transparent body).
background.png:  a 640x360 gradient for setVirtualBackground's fileUrl (the SDK scales it to 1280 wide).
"""

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ASSETS = Path(__file__).resolve().parent / "assets"


def lower_third() -> Image.Image:
    page = Image.new("RGBA", (1280, 720), (0, 0, 0, 0))
    draw = ImageDraw.Draw(page)
    draw.rectangle([64, 560, 703, 639], fill=(20, 60, 160, 255))        # opaque bar
    draw.rectangle([64, 640, 703, 659], fill=(255, 255, 255, 128))      # translucent strip
    draw.text((84, 585), "Jane Doe - Product Lead", fill=(255, 255, 255, 255))
    return page


def background() -> Image.Image:
    x = np.linspace(0, 255, 640, dtype=np.float32)
    y = np.linspace(0, 255, 360, dtype=np.float32)[:, None]
    rgb = np.stack([np.broadcast_to(x, (360, 640)), np.broadcast_to(y, (360, 640)),
                    np.full((360, 640), 128, np.float32)], axis=2)
    return Image.fromarray(rgb.astype(np.uint8), "RGB")


if __name__ == "__main__":
    ASSETS.mkdir(exist_ok=True)
    lower_third().save(ASSETS / "lower-third.png", optimize=True)
    background().save(ASSETS / "background.png", optimize=True)
    print(f"wrote {ASSETS}/lower-third.png and background.png")
