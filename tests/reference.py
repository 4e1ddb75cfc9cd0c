"""A slow, obvious float64 compositor with the kernels' semantics (STYLE item 9).

Per layer: sample the source and its source mask (bilinear, pixel centres aligned, clamped to
the source; exact when the mapping is 1:1), multiply the masks, and composite "over" the 8-bit
canvas, all in float64, rounding once per layer. The kernels round in between (fixed-point
weights, 8-bit colour samples); a test allows them 1 level per layer, which holds as long as
their error before the final rounding stays under one level. No cleverness: every pixel is
computed the same way, so it can be trusted as the oracle the numba kernels must match.
"""

import numpy as np

from native.compose import (DEST_MASK, DEST_MASK_MIRROR, DH, DW, DX, DY, MIRROR, SH, SOURCE,
                            SOURCE_MASK, SW, SX, SY)


def premultiply(rgba):
    rgba = rgba.astype(np.float64)
    out = rgba.copy()
    out[..., :3] = rgba[..., :3] * rgba[..., 3:4] / 255
    return np.floor(out + 0.5).astype(np.uint8)


def _axis(dest_coords, d0, dn, s0, sn, limit, mirror):
    m = dest_coords - d0
    if mirror:
        m = dn - 1 - m
    f = s0 + (m + 0.5) * sn / dn - 0.5
    f = np.clip(f, 0, limit - 1)
    i0 = np.floor(f).astype(np.int64)
    i1 = np.minimum(i0 + 1, limit - 1)
    return i0, i1, f - i0


def sample(image, ys, xs, p):
    """Float64 samples of `image` (HxW or HxWxC) at canvas rows ys, columns xs."""
    identity = (p[SW] == p[DW] and p[SH] == p[DH] and float(p[SX]).is_integer()
                and float(p[SY]).is_integer())
    mirror = bool(p[MIRROR])
    h, w = image.shape[:2]
    img = image.astype(np.float64)
    if identity:
        m = xs - p[DX]
        if mirror:
            m = p[DW] - 1 - m
        cols = (p[SX] + m).astype(np.int64)
        rows = (p[SY] + ys - p[DY]).astype(np.int64)
        return img[rows][:, cols]
    r0, r1, fy = _axis(ys, p[DY], p[DH], p[SY], p[SH], h, False)
    c0, c1, fx = _axis(xs, p[DX], p[DW], p[SX], p[SW], w, mirror)
    if img.ndim == 3:
        fy, fx = fy[:, None, None], fx[None, :, None]
    else:
        fy, fx = fy[:, None], fx[None, :]
    top = img[r0][:, c0] * (1 - fx) + img[r0][:, c1] * fx
    bottom = img[r1][:, c0] * (1 - fx) + img[r1][:, c1] * fx
    return top * (1 - fy) + bottom * fy


def compose(out, params, sources, masks=(), background=(0, 0, 0), clear=True):
    """Reference composite into `out` (HxWx3 uint8), same arguments as native.compose.compose."""
    height, width = out.shape[:2]
    if clear:
        out[:] = np.asarray(background, np.uint8)
    for p in np.asarray(params, np.float64):
        dx, dy, dw, dh = (int(v) for v in p[DX:DH + 1])
        x0, x1 = max(dx, 0), min(dx + dw, width)
        y0, y1 = max(dy, 0), min(dy + dh, height)
        if x0 >= x1 or y0 >= y1:
            continue
        ys, xs = np.arange(y0, y1, dtype=np.float64), np.arange(x0, x1, dtype=np.float64)
        src = sources[int(p[SOURCE])]
        pix = sample(src, ys, xs, p)
        color = pix[..., :3]
        alpha = pix[..., 3] if src.shape[2] == 4 else np.full(color.shape[:2], 255.0)
        mask = np.full(alpha.shape, 255.0)
        if p[SOURCE_MASK] >= 0:
            mask = sample(masks[int(p[SOURCE_MASK])], ys, xs, p)
        if p[DEST_MASK] >= 0:
            dmask = masks[int(p[DEST_MASK])].astype(np.float64)
            cols = np.arange(x0, x1) - dx
            if p[DEST_MASK_MIRROR]:
                cols = dw - 1 - cols
            dm = dmask[np.arange(y0, y1) - dy][:, cols]
            mask = mask * dm / 255
        dst = out[y0:y1, x0:x1].astype(np.float64)
        result = color * (mask / 255)[..., None] + dst * (1 - alpha * mask / 65025)[..., None]
        out[y0:y1, x0:x1] = np.clip(np.floor(result + 0.5), 0, 255).astype(np.uint8)
    return out
