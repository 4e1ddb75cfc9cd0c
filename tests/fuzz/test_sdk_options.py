"""Hostile option dicts for every SDK method: a result, or ZoomApiError/LayersError with the scene untouched.

One SDK per property keeps its state between examples (layers drawn, contexts opened and closed), so
later calls meet the scene earlier ones left, as in a real session; every accepted call must still
render. fileUrl is left out here (it would read local files and resolve host names): it has its own
tests against local servers in test_file_url.py.
"""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from compositor.errors import LayersError, ZoomApiError
from compositor.sdk import Code, ZoomSdk
from compositor.sdk.facade import APIS, POST_MESSAGE_LIMIT
from compositor.sdk.webview import StillWebView
from tests.fuzz.strategies import FUZZ, deeply_nested, hostile, image_data, numbers, pixel_strings
from tests.sdk.conftest import ALL, FakeManager, MaskSegmenter, SolidCamera

OPTION_KEYS = ["x", "y", "width", "height", "zIndex", "participantUUID", "participantId", "imageId", "imageData",
               "cutout", "cameraModeMirroring", "view", "defaultCutout", "resolutionMode", "frameRate", "blur",
               "persistence", "applyToAllFutureMeetings", "mirrorMyVideo", "id", "save", "cameraDeviceId",
               "hdVideo", "capabilities", "webviewId"]
METHODS = sorted(APIS) + ["config"]


def values_for(key: str):
    """Hostile values, plus plausible ones so that calls get past the first check to the next."""
    plausible = {
        "x": pixel_strings | numbers, "y": pixel_strings | numbers, "width": pixel_strings | numbers,
        "height": pixel_strings | numbers, "zIndex": numbers | pixel_strings,
        "participantUUID": st.sampled_from(["$me", "$guest", "nobody", ""]),
        "imageData": image_data() | st.just("$image"),
        "cutout": st.sampled_from(["standard", "circle", "square", "rectangle", "verticalRectangle", "person"]),
        "view": st.sampled_from(["camera", "immersive", "speaker"]),
        "resolutionMode": st.sampled_from(["720p", "1080p", "4k"]),
        "imageId": st.sampled_from(["$last"]),
        "id": st.sampled_from(["solid", "other", 0]),
    }.get(key)
    return hostile if plausible is None else st.one_of(plausible, hostile)


options = st.one_of(
    st.lists(st.sampled_from(OPTION_KEYS), max_size=6, unique=True).flatmap(
        lambda keys: st.fixed_dictionaries({key: values_for(key) for key in keys})),
    st.dictionaries(st.text(max_size=10), hostile, max_size=5),
    hostile,
)


class Session:
    """A configured SDK with a guest in the meeting, a web view and a segmenter; remembers the last imageId."""

    def __init__(self):
        self.sdk = ZoomSdk(FakeManager([SolidCamera(), SolidCamera((0, 0, 255), id="other")]),
                           render_target=(64, 36), window=(96, 54), segmenter=MaskSegmenter(),
                           webview=StillWebView(np.full((8, 8, 4), 255, np.uint8)), require_capabilities=False)
        self.guest = self.sdk.meeting.join("Guest", camera=SolidCamera((0, 255, 0), id="guest"), role="attendee")
        self.last_image = "none"
        asyncio.run(self.sdk.config({"capabilities": ALL}))

    def resolve(self, value):
        """Fill the "$" placeholders in a generated option dict with this session's real ids."""
        names = {"$me": self.sdk.participant_uuid, "$guest": self.guest, "$last": self.last_image,
                 "$image": np.zeros((4, 4, 4), np.uint8)}
        if isinstance(value, dict):
            return {key: self.resolve(item) for key, item in value.items()}
        return names.get(value, value) if isinstance(value, str) else value

    def call(self, method: str, options):
        """The invariant: a result dict, or a ZoomApiError / LayersError and the very same scene."""
        sdk = self.sdk
        if sdk.scene.context is None and method != "runRenderingContext":
            asyncio.run(sdk.runRenderingContext({"view": "camera"}))
        if isinstance(options, dict):
            options = {key: value for key, value in self.resolve(options).items() if key != "fileUrl"}
        before = sdk.scene
        try:
            result = asyncio.run(sdk.call(method, options))
        except (ZoomApiError, LayersError) as error:
            assert sdk.scene is before, f"{method} failed ({error}) but changed the scene"
            assert str(error)
            return None
        assert isinstance(result, dict)
        if "imageId" in result:
            self.last_image = result["imageId"]
        frame = sdk.render()
        assert frame.dtype == np.uint8 and frame.shape[2] == 3
        return result

    def close(self):
        self.sdk.close()


@pytest.fixture(scope="module")
def session():
    made = Session()
    yield made
    made.close()


@FUZZ
@given(method=st.sampled_from(METHODS), options=options)
def test_every_method_survives_hostile_options(session, method, options):
    session.call(method, options)


@FUZZ
@given(method=st.sampled_from(["drawParticipant", "drawImage", "drawWebView"]),
       geometry=st.fixed_dictionaries({}, optional={key: pixel_strings | numbers
                                                    for key in ("x", "y", "width", "height", "zIndex")}))
def test_geometry_is_rendered_or_refused(session, method, geometry):
    """PixelValues and zIndex at every edge (NaN, inf, 1e308%, 10**400): drawn and rendered, or 19008."""
    extra = {"drawParticipant": {"participantUUID": "$me", "cutout": "circle"},
             "drawImage": {"imageData": "$image"}, "drawWebView": {}}[method]
    session.call(method, {**geometry, **extra})


@pytest.mark.parametrize("method", ["postMessage", "drawImage", "setVideoSettings", "config"])
def test_nesting_deeper_than_the_recursion_limit(session, method):
    session.call(method, {"payload": deeply_nested(5000), "imageData": deeply_nested(5000),
                          "hdVideo": deeply_nested(5000), "capabilities": deeply_nested(5000)})


def test_oversized_post_message_is_10038(session):
    sdk = session.sdk
    asyncio.run(sdk.connect())
    with pytest.raises(ZoomApiError) as info:
        asyncio.run(sdk.postMessage({"blob": "x" * POST_MESSAGE_LIMIT}))
    assert info.value.code == Code.POST_MESSAGE_FAILED and "512 KB" in info.value.message


def test_unknown_api_names_are_refused(session):
    for name in ["", "__init__", "render", "close", "_admit", "call", "x" * 10_000, "drawImage\x00"]:
        with pytest.raises(ZoomApiError) as info:
            asyncio.run(session.sdk.call(name, {}))
        assert info.value.code == Code.UNSUPPORTED_API
