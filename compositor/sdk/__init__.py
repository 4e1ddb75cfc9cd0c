"""The zoomSdk facade: SDK-shaped calls in, scene snapshots out (see README.md in this folder)."""

from compositor.sdk.errors import Code
from compositor.sdk.events import EVENTS
from compositor.sdk.facade import ZoomSdk, supported_apis
from compositor.sdk.imagedata import decode_image_data, encode_wire, encoded_size
from compositor.sdk.meeting import Meeting, Participant
from compositor.sdk.webview import StillWebView

__all__ = ["Code", "EVENTS", "Meeting", "Participant", "StillWebView", "ZoomSdk", "decode_image_data",
           "encode_wire", "encoded_size", "supported_apis"]
