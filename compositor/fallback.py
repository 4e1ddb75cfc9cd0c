"""What is drawn for a participant who sends no video: Zoom's last fallback, the user's name.

Zoom tries "user avatar, telephone icon (if applicable), CRC icon (if applicable), user name"
(layers-behaviour.md §2.5). The emulated meeting has no avatars, phones or room connectors, so
the name it is: a dark tile the size of the participant's video, the screen name centred on it
in white, shrunk to fit and cut with an ellipsis when too long. Cards are made once per name
and size (Pillow's built-in scalable font) and drawn through the same cutouts as video.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

CARD_COLOUR = (35, 35, 35)          # Zoom's dark video tile
NAME_COLOUR = (255, 255, 255)
NAME_HEIGHT = 0.12                  # font size as a fraction of the card's height
MARGIN = 0.08                       # of the card's width, kept clear on each side
ELLIPSIS = "\u2026"


@lru_cache(maxsize=8)    # a few people without video, one size each; up to 6 MB a card at 1080p
def name_card(name: str, width: int, height: int) -> np.ndarray:
    """A read-only height x width x 3 RGB card showing `name` (any text; blank draws none)."""
    card = Image.new("RGB", (width, height), CARD_COLOUR)
    text = " ".join(name.split())
    size = max(6, round(height * NAME_HEIGHT))
    if text and height >= 8 and width >= 8:
        font = ImageFont.load_default(size=size)
        text = _fitted(text, font, width * (1 - 2 * MARGIN))
        draw = ImageDraw.Draw(card)
        draw.text((width / 2, height / 2), text, fill=NAME_COLOUR, font=font, anchor="mm")
    pixels = np.asarray(card).copy()
    pixels.setflags(write=False)
    return pixels


def _fitted(text: str, font, room: float) -> str:
    """`text`, cut at the end with an ellipsis until it is no wider than `room` pixels."""
    if font.getlength(text) <= room:
        return text
    while text and font.getlength(text + ELLIPSIS) > room:
        text = text[:-1]
    return text.rstrip() + ELLIPSIS if text else ""
