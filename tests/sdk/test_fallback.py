"""Participants who send no video are drawn as Zoom's last fallback: a card with their name."""

from __future__ import annotations

import numpy as np

from compositor.fallback import CARD_COLOUR, MARGIN, NAME_COLOUR, name_card
from tests.sdk.conftest import MaskSegmenter, SolidCamera, run

GREEN = (40, 160, 60)


def _text_columns(card):
    """Columns holding any pixel brighter than the card (the name's strokes)."""
    return np.flatnonzero((card.astype(int) - CARD_COLOUR).max(axis=(0, 2)) > 60)


def test_card_is_the_dark_tile_with_the_name_centred_in_white():
    card = name_card("Ada Lovelace", 640, 360)
    assert card.shape == (360, 640, 3) and card.dtype == np.uint8 and not card.flags.writeable
    assert tuple(card[0, 0]) == CARD_COLOUR and tuple(card[-1, -1]) == CARD_COLOUR
    rows = np.flatnonzero((card.astype(int) - CARD_COLOUR).max(axis=(1, 2)) > 60)
    columns = _text_columns(card)
    assert abs((rows[0] + rows[-1]) / 2 - 180) < 12 and abs((columns[0] + columns[-1]) / 2 - 320) < 12
    assert 150 < columns[-1] - columns[0] < 500                     # a name, not a dot or the tile
    assert (card == NAME_COLOUR).all(axis=2).sum() > 200            # solid white strokes


def test_a_long_name_is_cut_with_an_ellipsis_inside_the_margins():
    card = name_card("Wolfgang Amadeus Mozart of Salzburg and Vienna, composer", 320, 180)
    columns = _text_columns(card)
    assert columns[0] >= 320 * MARGIN - 1 and columns[-1] <= 320 * (1 - MARGIN) + 1


def test_blank_names_and_tiny_cards_are_plain_tiles_and_cards_are_made_once():
    assert (name_card("   ", 64, 36) == CARD_COLOUR).all()
    assert (name_card("Bo", 6, 4) == CARD_COLOUR).all()
    assert name_card("Bo", 64, 36) is name_card("Bo", 64, 36)


def test_a_guest_without_video_is_drawn_as_a_name_card_through_the_cutout(make_sdk):
    sdk = make_sdk(window=(1280, 720))
    bob = sdk.meeting.join("Bob Dylan")                       # joins with no camera
    run(sdk.runRenderingContext({"view": "immersive", "defaultCutout": "circle"}))
    run(sdk.drawParticipant({"participantUUID": bob, "x": "50%", "width": 640, "height": 360}))
    frame = sdk.render()
    tile = frame[:360, 640:]
    assert tuple(tile[20, 320]) == CARD_COLOUR                # inside the circle, above the name
    assert tuple(tile[5, 150]) == (0, 0, 0)                   # outside it: the canvas
    assert len(_text_columns(tile[150:210, 180:460])) > 50    # the name at the centre
    sdk.meeting.get(bob).camera = SolidCamera(GREEN)          # video starts: the video replaces it
    assert tuple(sdk.render()[180, 960]) == GREEN
    sdk.meeting.leave(bob)                                    # gone: nothing at all
    assert tuple(sdk.render()[180, 960]) == (0, 0, 0)


def test_a_person_cutout_without_video_shows_the_whole_card(make_sdk):
    sdk = make_sdk(window=(1280, 720), segmenter=MaskSegmenter())
    bob = sdk.meeting.join("Bob")
    run(sdk.runRenderingContext({"view": "immersive"}))
    run(sdk.drawParticipant({"participantUUID": bob, "width": 640, "height": 360, "cutout": "person"}))
    frame = sdk.render()
    assert tuple(frame[2, 2]) == CARD_COLOUR and tuple(frame[357, 637]) == CARD_COLOUR
