"""layers-compositor: a local runtime for Zoom's Layers API.

    from compositor import ZoomSdk, ZoomApiError
"""

from compositor.errors import LayersError, ZoomApiError
from compositor.sdk import ZoomSdk

__all__ = ["LayersError", "ZoomApiError", "ZoomSdk"]
