"""Error codes and messages of the SDK facade, in one table.

Where `@zoom/appssdk` documents a code for a failure we reproduce, we use its code and its message
verbatim (for example 10044 "Failed to decode the virtual image data."). Where Zoom documents
nothing (a call before `config`, a method missing from `capabilities`, a malformed PixelValue, an
unknown imageId ...), we chose codes in the 19xxx range, outside every range the SDK uses
(10001-10300), so an app can never mistake one of ours for one of Zoom's. The table is copied into
the README (`compositor/sdk/README.md`); `tests/sdk/test_errors.py` checks the two agree.
"""

from __future__ import annotations

from enum import IntEnum

from compositor.errors import ZoomApiError


class Code(IntEnum):
    # Documented by Zoom (message fixed by the SDK reference).
    POST_MESSAGE_FAILED = 10038
    NOT_CONNECTED = 10041
    DECODE_FAILED = 10044
    NO_SMART_VB_PACKAGE = 10045
    HOST_ONLY = 10061
    IMAGE_SET_REMOVE_FAILED = 10068
    NO_VIDEO_FILTER = 10195
    # Chosen by this project: Zoom documents no code for these.
    NOT_CONFIGURED = 19001
    NOT_IN_CAPABILITIES = 19002
    UNSUPPORTED_API = 19003
    ROLE_NOT_ALLOWED = 19004
    WRONG_RUNNING_CONTEXT = 19005
    NO_RENDERING_CONTEXT = 19006
    IMMERSIVE_IN_USE = 19007
    INVALID_ARGUMENT = 19008
    UNKNOWN_PARTICIPANT = 19009
    UNKNOWN_IMAGE = 19010
    CAMERA_MODE_SELF_ONLY = 19011
    NO_WEBVIEW_SOURCE = 19012
    IMAGE_TOO_LARGE = 19013
    CAMERA_NOT_FOUND = 19014
    FILE_URL_FAILED = 19015
    CONTEXT_ALREADY_RUNNING = 19016
    TOO_MANY_CALLS = 19017


# Zoom's own messages, verbatim; our codes get a message built at the raise site, naming the value.
DOCUMENTED_MESSAGES = {
    Code.POST_MESSAGE_FAILED: "Failed to post message to connect app.",
    Code.NOT_CONNECTED: "Failed to do this action because app instances aren’t connected.",
    Code.DECODE_FAILED: "Failed to decode the virtual image data.",
    Code.NO_SMART_VB_PACKAGE: "No smart virtual backgrounds package, you need to download it.",
    Code.HOST_ONLY: "Only the host can perform this action.",
    Code.IMAGE_SET_REMOVE_FAILED: "Failed to set or remove the image.",
    Code.NO_VIDEO_FILTER: "No video filter exists.",
}

# What each project code means (the README table is generated from this).
PROJECT_CODES = {
    Code.NOT_CONFIGURED: "a call before `config` (the JS SDK throws a plain Error here)",
    Code.NOT_IN_CAPABILITIES: "the method (or event) is not in the capabilities given to `config`",
    Code.UNSUPPORTED_API: "`call()` with an API name this runtime does not implement (listed in `unsupportedApis`)",
    Code.ROLE_NOT_ALLOWED: "the user's role may not call it (drawParticipant/clearParticipant: host or co-host; "
                           "getMeetingParticipants/getMeetingContext: host or co-host)",
    Code.WRONG_RUNNING_CONTEXT: "the running context or rendering view forbids it (drawWebView outside camera mode, "
                                "setVideoFilter outside inMeeting/inWebinar)",
    Code.NO_RENDERING_CONTEXT: "a draw/clear call with no rendering context (call runRenderingContext first)",
    Code.IMMERSIVE_IN_USE: "another app instance already holds the meeting's immersive context",
    Code.INVALID_ARGUMENT: "a malformed or missing argument: PixelValue, zIndex, cutout, view, resolutionMode, "
                           "frameRate, booleans, unknown option names",
    Code.UNKNOWN_PARTICIPANT: "no participant with that participantUUID / participantId in the meeting",
    Code.UNKNOWN_IMAGE: "clearImage with an imageId that is not drawn",
    Code.CAMERA_MODE_SELF_ONLY: "drawParticipant of another participant in camera mode (self only)",
    Code.NO_WEBVIEW_SOURCE: "drawWebView when the session has no web-view frame source",
    Code.IMAGE_TOO_LARGE: "imageData over the documented limit after encoding (15 MB; 20 MB for setVideoFilter)",
    Code.CAMERA_NOT_FOUND: "setCamera / setVideoSettings with a camera id that listCameras does not list",
    Code.FILE_URL_FAILED: "setVirtualBackground's fileUrl could not be read (missing file, HTTP error, timeout, "
                          "over the size or time cap, not an image) or was refused (scheme, redirect, private "
                          "address without allow_private_urls, local path outside base_dir)",
    Code.CONTEXT_ALREADY_RUNNING: "runRenderingContext while this app already runs a rendering context",
    Code.TOO_MANY_CALLS: "a page of `layers app` posts more than 1000 native calls a second, or has 256 calls "
                         "still running: the call is refused unrun (the bridge's flood limits)",
}


def api_error(code: Code, message: str | None = None) -> ZoomApiError:
    """A ZoomApiError with the SDK's message for documented codes, or `message` for ours."""
    if message is None:
        message = DOCUMENTED_MESSAGES[code]
    return ZoomApiError(int(code), message)


def readme_table() -> str:
    """The markdown table of project-chosen codes, as the README shows it."""
    rows = ["| code | when |", "|---|---|"]
    rows += [f"| {int(code)} | {meaning} |" for code, meaning in PROJECT_CODES.items()]
    return "\n".join(rows)
