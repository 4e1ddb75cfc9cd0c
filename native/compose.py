"""The frame compositor: one entry point draws a whole draw list in one pass over the output.

Inputs are plain arrays (STYLE items 1-2):
  out      HxWx3 uint8 RGB, the canvas (written in place)
  params   n x PARAMS float64, one row per layer, bottom to top (columns below)
  sources  typed list of HxWxC uint8 arrays: C == 3 opaque RGB (camera frames), C == 4
           premultiplied RGBA (images, web view, overlays)
  words    typed list of HxW uint32 views of the RGBA sources (one word per pixel, so a span of
           fully transparent pixels is found by OR-ing words: premultiplied transparent == 0)
  masks    typed list of 2-D uint8 alpha multipliers: a "source" mask has the source's size and
           follows its sampling (person mask); a "dest" mask has the layer's DW x DH size (cutout)

Per pixel, with the source sampled as premultiplied (c, a) and the mask m (255 when none):
    out = round((c * m * 255 + out * (255 * 255 - a * m)) / (255 * 255))
one rounding per layer, which is exactly 8-bit premultiplied "over" with correct rounding.
Scaling is bilinear by index math (pixel centres aligned, edges clamped to the source), with
11-bit weights and a single rounding after both axes; mirroring reflects the index.

Work is split in bands of `BAND_ROWS` rows (prange); inside a band each output row is visited
once and every layer crossing it is drawn while the row is in L1, so the canvas is read and
written from memory once per frame.
"""

import numpy as np
from numba import njit, prange

from native.config import BAND_ROWS, NJIT, NJIT_PARALLEL
from native.premultiply import div255

# Columns of `params`.
SOURCE = 0            # index into sources (and words)
DX, DY, DW, DH = 1, 2, 3, 4          # destination rect on the canvas (may lie partly outside)
SX, SY, SW, SH = 5, 6, 7, 8          # source window mapped onto it (fractional allowed)
MIRROR = 9            # 1: the source is sampled mirrored horizontally within its window
SOURCE_MASK = 10      # index into masks, or -1: alpha multiplier in source space
DEST_MASK = 11        # index into masks, or -1: alpha multiplier in destination space
DEST_MASK_MIRROR = 12  # 1: the destination mask is read mirrored (self-view mirroring)
PARAMS = 13

WEIGHT_BITS = 11                      # bilinear weights in 1/2048: position error < 0.0003 px
WEIGHT_ONE = 1 << WEIGHT_BITS
ROUND_2D = 1 << (2 * WEIGHT_BITS - 1)
SPAN = 16                             # pixels classified at once (all transparent / opaque / mixed)
FULL = 255 * 255


@njit(**NJIT)
def tap_table(d0, dn, s0, sn, limit, mirror, lo, hi, first, second, weight):
    """Bilinear taps for destination coordinates lo..hi-1 (absolute canvas coordinates).

    Destination pixel d maps to source coordinate s0 + (d - d0 + 0.5) * sn / dn - 0.5, clamped
    to [0, limit - 1]; `first`/`second` receive the two source indices and `weight` the 11-bit
    weight of the second.
    """
    scale = sn / dn
    for d in range(lo, hi):
        m = d - d0
        if mirror:
            m = dn - 1 - m
        f = s0 + (m + 0.5) * scale - 0.5
        if f <= 0.0:
            i, w = 0, 0
        elif f >= limit - 1:
            i, w = limit - 1, 0
        else:
            i = int(f)
            w = int((f - i) * WEIGHT_ONE + 0.5)
            if w == WEIGHT_ONE:
                i, w = i + 1, 0
        first[d - lo] = i
        second[d - lo] = min(i + 1, limit - 1)
        weight[d - lo] = w


@njit(**NJIT)
def _blend_rgba(orow, x, c0, c1, c2, a, m):
    """Premultiplied (c, a) with mask m over the opaque canvas pixel orow[x], one rounding."""
    if m == 255:
        if a == 255:
            orow[3 * x] = c0
            orow[3 * x + 1] = c1
            orow[3 * x + 2] = c2
        elif a != 0:
            k = 255 - a
            orow[3 * x] = min(255, c0 + div255(np.int32(orow[3 * x]) * k))
            orow[3 * x + 1] = min(255, c1 + div255(np.int32(orow[3 * x + 1]) * k))
            orow[3 * x + 2] = min(255, c2 + div255(np.int32(orow[3 * x + 2]) * k))
    else:
        am = a * m
        if am != 0:
            k = FULL - am
            m255 = m * 255
            orow[3 * x] = min(255, (c0 * m255 + np.int32(orow[3 * x]) * k + FULL // 2) // FULL)
            orow[3 * x + 1] = min(255, (c1 * m255 + np.int32(orow[3 * x + 1]) * k + FULL // 2) // FULL)
            orow[3 * x + 2] = min(255, (c2 * m255 + np.int32(orow[3 * x + 2]) * k + FULL // 2) // FULL)


@njit(**NJIT)
def _blend_rgb(orow, x, c0, c1, c2, m):
    """Opaque colour c with mask m over orow[x]: round((c * m + out * (255 - m)) / 255)."""
    k = 255 - m
    orow[3 * x] = div255(c0 * m + np.int32(orow[3 * x]) * k)
    orow[3 * x + 1] = div255(c1 * m + np.int32(orow[3 * x + 1]) * k)
    orow[3 * x + 2] = div255(c2 * m + np.int32(orow[3 * x + 2]) * k)


@njit(**NJIT)
def _mask_row(mrow, n, y, x0, dx, dy, dw, sy, s_first, step, smask, has_smask,
              dmask, has_dmask, dmask_mirror):
    """The effective mask of one identity row, for canvas columns x0 .. x0 + n - 1."""
    for k in range(n):
        value = np.int32(255)
        if has_smask:
            value = np.int32(smask[sy, s_first + step * k])
        if has_dmask:
            mx = x0 + k - dx
            if dmask_mirror:
                mx = dw - 1 - mx
            value = div255(value * np.int32(dmask[y - dy, mx]))
        mrow[k] = value


@njit(**NJIT)
def _span_class(values, lo, hi):
    """0 if values[lo:hi] are all 0, 2 if all 255, else 1."""
    acc_or = np.int32(0)
    acc_and = np.int32(255)
    if hi - lo == SPAN:
        for k in range(SPAN):     # a literal trip count: LLVM unrolls and vectorises it
            acc_or |= values[lo + k]
            acc_and &= values[lo + k]
    else:
        for k in range(lo, hi):
            acc_or |= values[k]
            acc_and &= values[k]
    if acc_or == 0:
        return 0
    return 2 if acc_and == 255 else 1


@njit(**NJIT)
def _word_span(wrow, start, step, count):
    """OR and AND of `count` pixel words from `start` going `step` (+1 or -1)."""
    acc_or = np.uint32(0)
    acc_and = np.uint32(0xFFFFFFFF)
    if step == 1 and count == SPAN:
        for k in range(SPAN):
            word = wrow[start + k]
            acc_or |= word
            acc_and &= word
    else:
        for k in range(count):
            word = wrow[start + step * k]
            acc_or |= word
            acc_and &= word
    return acc_or, acc_and


@njit(**NJIT)
def _copy_pixels(orow, srow, channels, x0, s_first, step, lo, hi):
    """Copy the colour of pixels lo..hi-1 of a row span (canvas x0 + k <- source s_first + step k)."""
    if step == 1 and channels == 3:
        count = 3 * (hi - lo)
        dst = orow[3 * (x0 + lo):3 * (x0 + lo) + count]
        source = srow[3 * (s_first + lo):3 * (s_first + lo) + count]
        for i in range(count):   # an explicit loop: numba's slice assignment is ~10x slower
            dst[i] = source[i]
        return
    for k in range(lo, hi):
        s = channels * (s_first + step * k)
        o = 3 * (x0 + k)
        orow[o] = srow[s]
        orow[o + 1] = srow[s + 1]
        orow[o + 2] = srow[s + 2]


@njit(**NJIT)
def _masked_rgb(orow, srow, x0, n, s_first, step, mrow):
    """Opaque RGB under a mask: spans where the mask is 0 are skipped, 255 copied."""
    for lo in range(0, n, SPAN):
        hi = min(lo + SPAN, n)
        kind = _span_class(mrow, lo, hi)
        if kind == 0:
            continue
        if kind == 2:
            _copy_pixels(orow, srow, 3, x0, s_first, step, lo, hi)
            continue
        for k in range(lo, hi):
            s = 3 * (s_first + step * k)
            o = 3 * (x0 + k)
            m = mrow[k]
            inv = 255 - m
            orow[o] = div255(np.int32(srow[s]) * m + np.int32(orow[o]) * inv)
            orow[o + 1] = div255(np.int32(srow[s + 1]) * m + np.int32(orow[o + 1]) * inv)
            orow[o + 2] = div255(np.int32(srow[s + 2]) * m + np.int32(orow[o + 2]) * inv)


@njit(**NJIT)
def _over_rgba(orow, srow, wrow, x0, n, s_first, step, mrow, masked):
    """Premultiplied RGBA: spans of transparent pixels (word 0) are skipped without reading
    their bytes, fully opaque unmasked spans copied, the rest blended."""
    for lo in range(0, n, SPAN):
        hi = min(lo + SPAN, n)
        acc_or, acc_and = _word_span(wrow, s_first + step * lo, step, hi - lo)
        if acc_or == 0:
            continue
        if masked:
            if _span_class(mrow, lo, hi) == 0:
                continue
            for k in range(lo, hi):
                s = 4 * (s_first + step * k)
                _blend_rgba(orow, x0 + k, np.int32(srow[s]), np.int32(srow[s + 1]),
                            np.int32(srow[s + 2]), np.int32(srow[s + 3]), mrow[k])
        elif (acc_and >> 24) == 255:
            _copy_pixels(orow, srow, 4, x0, s_first, step, lo, hi)
        else:
            for k in range(lo, hi):
                s = 4 * (s_first + step * k)
                o = 3 * (x0 + k)
                inv = 255 - np.int32(srow[s + 3])
                orow[o] = min(255, srow[s] + div255(np.int32(orow[o]) * inv))
                orow[o + 1] = min(255, srow[s + 1] + div255(np.int32(orow[o + 1]) * inv))
                orow[o + 2] = min(255, srow[s + 2] + div255(np.int32(orow[o + 2]) * inv))


@njit(**NJIT)
def _row_scaled(orow, src, channels, x0, x1, r0, r1, wy, first, second, weight,
                smask, has_smask, dmask_row, has_dmask, dmask_mirror, dx, dw, vert, vmask):
    """A scaled layer row: a vertical pass over the needed source columns into `vert`
    (11-bit fixed point), then horizontal taps from it; one rounding for both axes."""
    n = x1 - x0
    lo = min(first[0], first[n - 1])
    hi = max(second[0], second[n - 1]) + 1
    top, bottom = src[r0], src[r1]
    wt = WEIGHT_ONE - wy
    for s in range(lo, hi):
        for c in range(channels):
            vert[(s - lo) * 4 + c] = np.int32(top[s, c]) * wt + np.int32(bottom[s, c]) * wy
    if has_smask:
        mtop, mbottom = smask[r0], smask[r1]
        for s in range(lo, hi):
            vmask[s - lo] = np.int32(mtop[s]) * wt + np.int32(mbottom[s]) * wy
    for k in range(n):
        m = np.int32(255)
        if has_dmask:
            mx = x0 + k - dx
            if dmask_mirror:
                mx = dw - 1 - mx
            m = np.int32(dmask_row[mx])
            if m == 0:
                continue
        i0, i1 = first[k] - lo, second[k] - lo
        wx = weight[k]
        wl = WEIGHT_ONE - wx
        if has_smask:
            ms = (vmask[i0] * wl + vmask[i1] * wx + ROUND_2D) >> (2 * WEIGHT_BITS)
            m = div255(m * ms)
            if m == 0:
                continue
        j0, j1 = i0 * 4, i1 * 4
        a = np.int32(255)
        if channels == 4:
            a = (vert[j0 + 3] * wl + vert[j1 + 3] * wx + ROUND_2D) >> (2 * WEIGHT_BITS)
            if a == 0:
                continue
        c0 = (vert[j0] * wl + vert[j1] * wx + ROUND_2D) >> (2 * WEIGHT_BITS)
        c1 = (vert[j0 + 1] * wl + vert[j1 + 1] * wx + ROUND_2D) >> (2 * WEIGHT_BITS)
        c2 = (vert[j0 + 2] * wl + vert[j1 + 2] * wx + ROUND_2D) >> (2 * WEIGHT_BITS)
        if channels == 3:
            if m == 255:
                orow[3 * (x0 + k)] = c0
                orow[3 * (x0 + k) + 1] = c1
                orow[3 * (x0 + k) + 2] = c2
            else:
                _blend_rgb(orow, x0 + k, c0, c1, c2, m)
        else:
            _blend_rgba(orow, x0 + k, c0, c1, c2, a, m)


@njit(**NJIT)
def _is_identity(p):
    return (p[SW] == p[DW] and p[SH] == p[DH]
            and p[SX] == np.floor(p[SX]) and p[SY] == np.floor(p[SY]))


@njit(**NJIT)
def compose_rows(out, params, sources, words, masks, background, clear, y0, y1,
                 first, second, weight, scratch_width):
    """Draw rows y0..y1-1 of the canvas. `first/second/weight` hold each layer's column taps
    (row i of each, indexed from the layer's first visible column), from `column_taps`."""
    width = out.shape[1]
    mrow = np.empty(width, np.int32)
    vert = np.empty(scratch_width * 4, np.int32)
    vmask = np.empty(scratch_width, np.int32)
    for y in range(y0, y1):
        orow = out[y].reshape(width * 3)
        if clear:
            for x in range(width):
                orow[3 * x] = background[0]
                orow[3 * x + 1] = background[1]
                orow[3 * x + 2] = background[2]
        for i in range(params.shape[0]):
            p = params[i]
            dx, dy, dw, dh = int(p[DX]), int(p[DY]), int(p[DW]), int(p[DH])
            if y < dy or y >= dy + dh:
                continue
            x0, x1 = max(dx, 0), min(dx + dw, width)
            if x0 >= x1:
                continue
            src = sources[int(p[SOURCE])]
            channels = src.shape[2]
            mirror = p[MIRROR] != 0
            smask_index, dmask_index = int(p[SOURCE_MASK]), int(p[DEST_MASK])
            has_smask, has_dmask = smask_index >= 0, dmask_index >= 0
            smask = masks[max(smask_index, 0)]
            dmask_row = masks[max(dmask_index, 0)][y - dy if has_dmask else 0]
            dmask_mirror = p[DEST_MASK_MIRROR] != 0
            if _is_identity(p):
                sy = int(p[SY]) + y - dy
                if mirror:
                    s_first, step = int(p[SX]) + dw - 1 - (x0 - dx), -1
                else:
                    s_first, step = int(p[SX]) + x0 - dx, 1
                masked = has_smask or has_dmask
                if masked:
                    _mask_row(mrow, x1 - x0, y, x0, dx, dy, dw, sy, s_first, step, smask,
                              has_smask, masks[max(dmask_index, 0)], has_dmask, dmask_mirror)
                n = x1 - x0
                srow = src[sy].reshape(src.shape[1] * channels)
                if channels == 4:
                    _over_rgba(orow, srow, words[int(p[SOURCE])][sy], x0, n, s_first, step,
                               mrow, masked)
                elif masked:
                    _masked_rgb(orow, srow, x0, n, s_first, step, mrow)
                else:
                    _copy_pixels(orow, srow, 3, x0, s_first, step, 0, n)
            else:
                fy = p[SY] + (y - dy + 0.5) * p[SH] / dh - 0.5
                limit = src.shape[0]
                if fy <= 0.0:
                    r0, wy = 0, 0
                elif fy >= limit - 1:
                    r0, wy = limit - 1, 0
                else:
                    r0 = int(fy)
                    wy = int((fy - r0) * WEIGHT_ONE + 0.5)
                    if wy == WEIGHT_ONE:
                        r0, wy = r0 + 1, 0
                r1 = min(r0 + 1, limit - 1)
                _row_scaled(orow, src, channels, x0, x1, r0, r1, wy, first[i], second[i],
                            weight[i], smask, has_smask, dmask_row, has_dmask, dmask_mirror,
                            dx, dw, vert, vmask)


@njit(**NJIT)
def column_taps(params, sources, width):
    """Column tap tables for every scaled layer (computed once per frame, not per band)."""
    n = params.shape[0]
    first = np.zeros((n, width), np.int32)
    second = np.zeros((n, width), np.int32)
    weight = np.zeros((n, width), np.int32)
    for i in range(n):
        p = params[i]
        if _is_identity(p):
            continue
        dx, dw = int(p[DX]), int(p[DW])
        x0, x1 = max(dx, 0), min(dx + dw, width)
        if x0 < x1:
            tap_table(dx, dw, p[SX], p[SW], sources[int(p[SOURCE])].shape[1], p[MIRROR] != 0,
                      x0, x1, first[i], second[i], weight[i])
    return first, second, weight


@njit(**NJIT)
def _widest(sources):
    widest = 1
    for source in sources:
        widest = max(widest, source.shape[1])
    return widest


@njit(**NJIT_PARALLEL)
def compose_parallel(out, params, sources, words, masks, background, clear):
    """Compose the whole canvas, bands of BAND_ROWS rows in parallel."""
    height = out.shape[0]
    first, second, weight = column_taps(params, sources, out.shape[1])
    scratch_width = _widest(sources)
    bands = (height + BAND_ROWS - 1) // BAND_ROWS
    for b in prange(bands):
        y0 = b * BAND_ROWS
        compose_rows(out, params, sources, words, masks, background, clear, y0,
                     min(y0 + BAND_ROWS, height), first, second, weight, scratch_width)


@njit(**NJIT)
def compose_serial(out, params, sources, words, masks, background, clear):
    """The same on the calling thread only."""
    first, second, weight = column_taps(params, sources, out.shape[1])
    compose_rows(out, params, sources, words, masks, background, clear, 0, out.shape[0],
                 first, second, weight, _widest(sources))


_NO_WORDS = np.zeros((1, 1), np.uint32)
_NO_MASK = np.zeros((1, 1), np.uint8)


def source_words(source: np.ndarray) -> np.ndarray:
    """The uint32-per-pixel view of a premultiplied RGBA source (a dummy for RGB)."""
    if source.shape[2] != 4:
        return _NO_WORDS
    return source.view(np.uint32).reshape(source.shape[0], source.shape[1])


def typed_list(arrays):
    """A numba typed list of same-typed arrays (the kernels' view of a Python list)."""
    from numba.typed import List
    result = List()
    for array in arrays:
        result.append(array)
    return result


def compose(out, params, sources, masks=(), background=(0, 0, 0), clear=True, parallel=True):
    """Convenience entry for tests and benchmarks: Python lists in, canvas `out` composed.

    The renderer keeps its typed lists between frames instead of rebuilding them here.
    """
    sources = [np.ascontiguousarray(s) for s in sources]
    kernel = compose_parallel if parallel else compose_serial
    kernel(out, np.ascontiguousarray(params, dtype=np.float64), typed_list(sources),
           typed_list([source_words(s) for s in sources]),
           typed_list([np.ascontiguousarray(m) for m in masks] or [_NO_MASK]),
           np.asarray(background, np.int32), bool(clear))
    return out


def layer_params(source_index, dest, window=None, mirror=False, source_mask=-1, dest_mask=-1,
                 dest_mask_mirror=False, source_shape=None):
    """One row of `params`. `dest` is (x, y, w, h); `window` (sx, sy, sw, sh) defaults to the
    whole source, whose (height, width) must then be given as `source_shape`."""
    if window is None:
        window = (0, 0, source_shape[1], source_shape[0])
    row = np.empty(PARAMS, np.float64)
    row[SOURCE] = source_index
    row[DX:DH + 1] = dest
    row[SX:SH + 1] = window
    row[MIRROR] = bool(mirror)
    row[SOURCE_MASK] = source_mask
    row[DEST_MASK] = dest_mask
    row[DEST_MASK_MIRROR] = bool(dest_mask_mirror)
    return row
