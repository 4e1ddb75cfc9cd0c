"""layers-compositor: a local runtime for Zoom's Layers API."""

from compositor.errors import LayersError, ZoomApiError

__all__ = ["LayersError", "ZoomApiError"]
