"""ImageData in every form an app (or a script) hands the SDK, decoded to straight RGBA.

Accepted forms:
  * `{"width", "height", "data"}`: row-major RGBA8 with straight alpha, as a canvas `getImageData`
    returns it; `data` is bytes, bytearray, memoryview, a numpy array or a list of ints;
  * the wire form `{"width", "height", "bitmap": "data:object/Uint8ClampedArray;base64,..."}` that
    `@zoom/appssdk` sends to the client;
  * a numpy HxWx4 uint8 array (HxWx3 is taken as opaque);
  * a PIL image (any mode; converted to RGBA).
Anything malformed (wrong length, bad base64, zero or absurd sizes) is rejected with the SDK's
10044 "Failed to decode the virtual image data.", the reason appended so the caller can fix it.

`setVirtualBackground`'s `fileUrl` is fetched here too, the way the SDK does it in JavaScript: the
image is drawn onto a canvas 1280 px wide, aspect kept, and sent on as ImageData. An app may be
hostile, so fetching is fenced (issue 8): http, https and file only; a size cap and a wall-clock
deadline for the whole fetch (not only per socket read, so a server trickling bytes cannot hold a
worker); at most `MAX_REDIRECTS` redirects, never to another scheme; loopback, private, link-local
and other non-public addresses refused unless `allow_private` (checked on the connected socket, so a
DNS answer that changes between check and connect cannot slip through); local paths and file://
URLs only inside `base_dir` (symlinks resolved first).
"""

from __future__ import annotations

import base64
import binascii
import http.client
import io
import ipaddress
import math
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from compositor.errors import ZoomApiError
from compositor.sdk.errors import Code, DOCUMENTED_MESSAGES, api_error

WIRE_PREFIX = "data:object/Uint8ClampedArray;base64,"   # what the SDK's JS puts before the base64
MAX_SIDE = 16384          # larger than any canvas a browser will hand out: "absurd" beyond this
LIMIT_15MB = 15_000_000   # "limited to 15MB after encoding" (decimal MB: the d.ts numbers agree)
LIMIT_20MB = 20_000_000   # setVideoFilter: "limited to 15MB 20MB after encoding"
FILE_URL_WIDTH = 1280     # the SDK's getImageData() draws fileUrl images 1280 px wide
FILE_URL_MAX_BYTES = 50_000_000
FILE_URL_TIMEOUT_S = 20.0
FILE_URL_MAX_PIXELS = 50_000_000   # decoded size cap (an 8K photo is 33 MP): a tiny PNG can claim 16k x 16k
MAX_REDIRECTS = 5
READ_CHUNK = 64 * 1024


def scene_pixels(rgba: np.ndarray) -> np.ndarray:
    """Decoded straight RGBA as a scene holds it: premultiplied once, read-only (shared by snapshots)."""
    from native.premultiply import premultiply

    pixels = premultiply(rgba)
    pixels.flags.writeable = False
    return pixels


def decode_image_data(image_data, limit: int | None = None, field: str = "imageData") -> np.ndarray:
    """Decode any accepted ImageData form to a C-contiguous straight RGBA HxWx4 uint8 array.

    `limit` is the documented cap on the encoded size (`encoded_size`); over it the call fails
    with a clear IMAGE_TOO_LARGE error instead of 10044, because the data itself is fine.
    """
    rgba = _decode(image_data, field)
    height, width = rgba.shape[:2]
    if limit is not None and encoded_size(width, height) > limit:
        raise api_error(Code.IMAGE_TOO_LARGE,
                        f"{field} of {width}x{height} is {encoded_size(width, height) / 1e6:.1f} MB after "
                        f"encoding, over the SDK's {limit / 1e6:.0f} MB limit; scale it down")
    return rgba


def encoded_size(width: int, height: int) -> int:
    """Bytes the SDK sends for a width x height ImageData: the data-URL prefix plus base64 of RGBA."""
    return len(WIRE_PREFIX) + 4 * math.ceil(width * height * 4 / 3)


def encode_wire(rgba: np.ndarray) -> dict:
    """The wire form of straight RGBA pixels, as `@zoom/appssdk` serialises an ImageData."""
    rgba = np.ascontiguousarray(rgba, dtype=np.uint8)
    bitmap = WIRE_PREFIX + base64.b64encode(rgba.tobytes()).decode("ascii")
    return {"width": int(rgba.shape[1]), "height": int(rgba.shape[0]), "bitmap": bitmap}


def _fail(reason: str) -> ZoomApiError:
    return api_error(Code.DECODE_FAILED, f"{DOCUMENTED_MESSAGES[Code.DECODE_FAILED]} ({reason})")


def _decode(image_data, field: str) -> np.ndarray:
    if isinstance(image_data, Image.Image):
        return _check_array(np.asarray(image_data.convert("RGBA")), field)
    if isinstance(image_data, np.ndarray):
        return _check_array(image_data, field)
    if not isinstance(image_data, dict):
        raise _fail(f"{field} must be an ImageData dict, a numpy array or a PIL image, "
                    f"got {type(image_data).__name__}")
    width = _side(image_data.get("width"), f"{field}.width")
    height = _side(image_data.get("height"), f"{field}.height")
    if "bitmap" in image_data:
        raw = _bitmap_bytes(image_data["bitmap"], field)
    elif "data" in image_data:
        raw = _data_bytes(image_data["data"], field)
    else:
        raise _fail(f"{field} has neither 'data' nor 'bitmap'")
    if len(raw) != width * height * 4:
        raise _fail(f"{field} holds {len(raw)} bytes, expected {width}*{height}*4 = {width * height * 4}")
    return np.frombuffer(raw, np.uint8).reshape(height, width, 4).copy()


def _side(value, field: str) -> int:
    whole = isinstance(value, (int, np.integer)) or isinstance(value, float) and value.is_integer()
    if isinstance(value, bool) or not whole:           # is_integer: NaN and inf are not whole
        raise _fail(f"{field} must be a whole number, got {value!r}")
    if not 0 < value <= MAX_SIDE:
        raise _fail(f"{field} must be between 1 and {MAX_SIDE}, got {value!r}")
    return int(value)


def _bitmap_bytes(bitmap, field: str) -> bytes:
    if not isinstance(bitmap, str) or not bitmap.startswith("data:") or ";base64," not in bitmap:
        raise _fail(f"{field}.bitmap must be a 'data:...;base64,...' string")
    try:
        return base64.b64decode(bitmap.split(";base64,", 1)[1], validate=True)
    except (binascii.Error, ValueError) as error:
        raise _fail(f"{field}.bitmap is not valid base64: {error}") from None


def _data_bytes(data, field: str) -> bytes:
    if isinstance(data, np.ndarray):
        if data.dtype != np.uint8:
            raise _fail(f"{field}.data must hold uint8 values, got dtype {data.dtype}")
        return np.ascontiguousarray(data).tobytes()
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    if isinstance(data, (list, tuple)):
        if not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255 for v in data):
            raise _fail(f"{field}.data list must hold integers 0..255")
        return bytes(data)
    raise _fail(f"{field}.data must be bytes, bytearray, memoryview, a numpy array or a list, "
                f"got {type(data).__name__}")


def _check_array(array: np.ndarray, field: str) -> np.ndarray:
    if array.dtype != np.uint8:
        raise _fail(f"{field} array must be uint8, got dtype {array.dtype}")
    if array.ndim != 3 or array.shape[2] not in (3, 4):
        raise _fail(f"{field} array must be HxWx4 (or HxWx3), got shape {array.shape}")
    height, width = array.shape[:2]
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
        raise _fail(f"{field} size {width}x{height} is outside 1..{MAX_SIDE}")
    if array.shape[2] == 3:
        opaque = np.full((height, width, 1), 255, np.uint8)
        return np.ascontiguousarray(np.concatenate([array, opaque], axis=2))
    return np.ascontiguousarray(array).copy()


def load_file_url(url: str, *, base_dir: str | os.PathLike | None = None,
                  timeout: float = FILE_URL_TIMEOUT_S, max_bytes: int = FILE_URL_MAX_BYTES,
                  allow_private: bool = False) -> np.ndarray:
    """Fetch `fileUrl` (local path, file:// or http(s)) and decode it as the SDK does: 1280 px wide.

    Reads at most `max_bytes` and gives up once `timeout` seconds have passed in all (checked between
    reads; one socket read waits at most `timeout` itself, so the worst case is twice it); local paths resolve
    against `base_dir` (default: the working directory) and must stay inside it; http(s) to a
    loopback or private address is refused unless `allow_private`. Any failure is a clear
    FILE_URL_FAILED error naming the URL and the reason. Blocking: call it from a worker thread.
    """
    if not isinstance(url, str) or not url.strip():
        raise api_error(Code.INVALID_ARGUMENT, f"fileUrl must be a non-empty string, got {url!r}")
    try:
        encoded = _read_url(url, base_dir, time.monotonic() + timeout, max_bytes, allow_private)
        with Image.open(io.BytesIO(encoded)) as image:
            if image.width * image.height > FILE_URL_MAX_PIXELS:
                raise _url_error(url, f"{image.width}x{image.height} is over the "
                                      f"{FILE_URL_MAX_PIXELS / 1e6:.0f} megapixel cap")
            image = ImageOps.exif_transpose(image).convert("RGBA")   # browsers honour EXIF orientation
            height = max(1, math.floor(FILE_URL_WIDTH * image.height / image.width))
            image = image.resize((FILE_URL_WIDTH, height), Image.Resampling.BILINEAR)
            return np.ascontiguousarray(np.asarray(image))
    except ZoomApiError:
        raise
    except (OSError, ValueError, http.client.HTTPException, UnidentifiedImageError,
            Image.DecompressionBombError) as error:
        raise _url_error(url, f"could not be loaded: {error}") from None


def _url_error(url: str, reason: str) -> ZoomApiError:
    return api_error(Code.FILE_URL_FAILED, f"fileUrl {url[:200]!r} {reason}")


def _read_url(url: str, base_dir, deadline: float, max_bytes: int, allow_private: bool) -> bytes:
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme in ("http", "https"):
        _check_literal_host(urllib.parse.urlsplit(url).hostname, allow_private)   # refused before connecting
        opener = _opener(allow_private)
        request = urllib.request.Request(url, headers={"User-Agent": "layers-compositor"})
        with opener.open(request, timeout=_remaining(deadline, url)) as response:
            return _read_capped(response, url, max_bytes, deadline)
    if scheme == "file":
        path = urllib.request.url2pathname(urllib.parse.urlsplit(url).path)
    elif scheme == "":
        path = url
    else:
        raise _url_error(url, f"has unsupported scheme {scheme!r} (use http, https, file or a local path)")
    with open(_inside(path, base_dir, url), "rb") as handle:
        return _read_capped(handle, url, max_bytes, deadline)


def _inside(path: str, base_dir, url: str) -> Path:
    """`path` (relative to base_dir) resolved, refused unless it lies inside base_dir."""
    base = Path(base_dir if base_dir is not None else os.getcwd()).resolve()
    resolved = (base / path).resolve()
    if not resolved.is_relative_to(base):
        raise _url_error(url, f"is outside the app's directory {str(base)!r}; local images must be inside it")
    if resolved.exists() and not resolved.is_file():     # a FIFO or device would block or never end
        raise _url_error(url, "is not a regular file")
    return resolved


def _remaining(deadline: float, url: str) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise _url_error(url, "timed out")
    return left


def _read_capped(stream, url: str, max_bytes: int, deadline: float) -> bytes:
    """Read to the end in chunks, failing past `max_bytes` or the deadline (a slow server cannot stall)."""
    chunks, size = [], 0
    while True:
        chunk = stream.read1(READ_CHUNK) if hasattr(stream, "read1") else stream.read(READ_CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise _url_error(url, f"is larger than the {max_bytes / 1e6:.0f} MB cap")
        chunks.append(chunk)
        _remaining(deadline, url)


def _refuse(address) -> urllib.error.URLError:
    return urllib.error.URLError(f"refused to fetch from non-public address {address} (loopback and private "
                                 "networks need ZoomSdk(allow_private_urls=True))")


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _check_literal_host(host: str | None, allow_private: bool) -> None:
    """An IP-literal host that is not public is refused without a connection attempt."""
    if allow_private or host is None:
        return
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return                               # a name: checked on the connected socket
    if not _public(address):
        raise _refuse(address)


def _check_peer(sock, allow_private: bool) -> None:
    """Refuse a connection that reached a non-public address (checked after connect: no DNS race)."""
    if allow_private:
        return
    address = ipaddress.ip_address(sock.getpeername()[0].split("%", 1)[0])
    if not _public(address):
        sock.close()
        raise _refuse(address)


def _connection(base: type, allow_private: bool) -> type:
    """`base` whose socket is checked right after connect, before any byte (or TLS hello) is sent."""
    class Checked(base):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            create = self._create_connection

            def checked(*create_args, **create_kwargs):
                sock = create(*create_args, **create_kwargs)
                _check_peer(sock, allow_private)
                return sock
            self._create_connection = checked
    return Checked


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follow at most MAX_REDIRECTS redirects, and only to http(s) (urllib itself also allows ftp)."""

    max_redirections = MAX_REDIRECTS

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        scheme = urllib.parse.urlsplit(urllib.parse.urljoin(req.full_url, newurl)).scheme.lower()
        if scheme not in ("http", "https"):
            raise urllib.error.URLError(f"redirect to {newurl[:200]!r} refused: only http and https are followed")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class _Http(urllib.request.HTTPHandler):
    def __init__(self, allow_private: bool):
        super().__init__()
        self._connection = _connection(http.client.HTTPConnection, allow_private)

    def http_open(self, req):
        return self.do_open(self._connection, req)


class _Https(urllib.request.HTTPSHandler):
    def __init__(self, allow_private: bool):
        super().__init__()
        self._connection = _connection(http.client.HTTPSConnection, allow_private)

    def https_open(self, req):
        return self.do_open(self._connection, req, context=self._context, check_hostname=self._check_hostname)


def _opener(allow_private: bool) -> urllib.request.OpenerDirector:
    """urllib without proxies (a proxy would hide the peer address) and with the checks above."""
    return urllib.request.build_opener(urllib.request.ProxyHandler({}), _Http(allow_private),
                                       _Https(allow_private), _Redirects())
