"""Real Zoom Apps in the loop: headless Chromium pages, the native bridge and the web view layer.

`WebApp(sdk, app, frames)` runs an app (directory, HTML file or URL) against a `ZoomSdk` built with
`webview=frames` (a `WebViewFrames`); see `compositor/webview/app.py`.
"""

from compositor.webview.app import WebApp
from compositor.webview.browser import BrowserNotFound, find_browser
from compositor.webview.frames import WebViewFrames

__all__ = ["BrowserNotFound", "WebApp", "WebViewFrames", "find_browser"]
