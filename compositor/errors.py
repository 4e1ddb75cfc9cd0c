"""One exception hierarchy for the whole runtime.

Every error raised on purpose is a `LayersError`; the subclasses also inherit the builtin that
fits, so callers can catch `ValueError` or `LookupError` as they would anywhere else.
`ZoomApiError` is what the SDK facade raises: it carries the SDK's numeric `code` and its
`message`, as `@zoom/appssdk` rejects a promise (`{errorCode, errorMessage}`).
"""

from __future__ import annotations


class LayersError(Exception):
    """Base of every error this project raises on purpose."""


class LayersValueError(LayersError, ValueError):
    """An argument has the wrong type, shape or value."""


class CameraNotFound(LayersError, LookupError):
    """No camera with that id (or path) exists."""


class CameraError(LayersError, OSError):
    """A camera could not be opened or stopped delivering frames."""


class DeviceBusy(CameraError):
    """The device exists but another process holds it."""


class SinkError(LayersError, OSError):
    """An output (file, virtual camera, pipe, preview) failed."""


class ZoomApiError(LayersError):
    """An SDK call was rejected, with the SDK's error code and message.

    `code` is the SDK's documented code where it has one (for example 10044 "Failed to decode
    the virtual image data."); codes this project had to choose are listed in the README.
    """

    def __init__(self, code: int, message: str):
        super().__init__(f"{message} (code {code})")
        self.code = code
        self.message = message

    def to_wire(self) -> dict:
        """The `{errorCode, errorMessage}` pair the native client answers with."""
        return {"errorCode": self.code, "errorMessage": self.message}
