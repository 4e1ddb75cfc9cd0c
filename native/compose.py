"""The frame compositor: one entry point draws a whole draw list in one pass over the output.

Inputs are plain arrays (STYLE items 1-2):
  out      HxWx3 uint8 RGB, the canvas (written in place)
  params   n x PARAMS float64, one row per layer, bottom to top (columns below, `layer_params`)
  sources  typed list of HxWxC uint8 arrays: C == 3 opaque RGB (camera frames), C == 4
           premultiplied RGBA (images, web view, overlays)
  words    typed list of HxW uint32 views of the RGBA sources (one word per pixel, so a chunk of
           fully transparent pixels is found by OR-ing words: premultiplied transparent == 0)
  masks    typed list of 2-D uint8 alpha multipliers: a "source" mask has the source's size and
           follows its sampling (person mask); a "dest" mask has the layer's DW x DH size (cutout)
  *_runs   run tables (`native.spans`) of every RGBA source and every mask: where each row is
           transparent, opaque or partial, worked out once when the content arrives
`compose()` builds all of that per call; `Composer` keeps it between frames (the render path).

Per pixel, with the source sampled as premultiplied (c, a) and the mask m (255 when none):
    out = round((c * m * 255 + out * (255 * 255 - a * m)) / (255 * 255))
one rounding per layer, which is exactly 8-bit premultiplied "over" with correct rounding.
Scaling is bilinear by index math (pixel centres aligned, edges clamped to the source), with
11-bit weights and a single rounding after both axes; mirroring reflects the index. A scaled
layer's colour is rounded to 8 bits before the blend, its alpha and mask coverage are not
(`_coverage`), so its error before the final rounding stays under one level and each layer
lands within 1 of the float64 reference (tests/reference.py).

How it stays near the memory-bandwidth floor:
- 1:1 layers (the camera-mode scene) are drawn as runs: a row's runs come from the run table of
  its one alpha plane (RGBA alpha, or the one mask of a camera frame), so transparent stretches
  cost nothing, opaque ones are plain copies and only partial ones are blended. A layer with two
  alpha planes classifies chunks of SPAN pixels of both while drawing.
- Scaled layers (camera tiles) run a vertical pass over the source columns the row needs into
  a small int32 scratch row, then the horizontal taps; both are hand-written vector code
  (`native.vector`: 16 columns, or two pixels, per step). A cutout's run table bounds the
  columns and keeps the masked formula to its anti-aliased edge.
- Rows under an unmasked full-width RGB layer skip the layers below it and the background.
- Work is split in bands of `BAND_ROWS` rows (prange). Inside a band layers are the outer loop:
  a typed-list lookup costs tens of ns, too much per layer per row; the band stays in L2.
numba details that matter here: numba checks signed indices for < 0 (wrap-around), which
stops vectorisation, so hot loops index views by the loop counter or by `_u(...)` unsigned
indices; numba's slice assignment is ~10x slower than an explicit loop; loops with a runtime
step or channel count do not vectorise, so those branch once per run into literal loops; and
calls between kernels cost tens of ns each, so the smallest per-chunk helpers are inlined.
"""

import numpy as np
from numba import njit, prange

from native.config import BAND_ROWS, NJIT, NJIT_INLINE, NJIT_PARALLEL
from native import spans
from native.premultiply import div255
from native.vector import ROW_LANES, lerp_rgb_pair, lerp_rows_16

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
SPAN = spans.SPAN                     # pixels classified at once (all transparent / opaque / mixed)
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


@njit(**NJIT_INLINE)
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


@njit(**NJIT_INLINE)
def _blend_rgb(orow, x, c0, c1, c2, m):
    """Opaque colour c with mask m over orow[x]: round((c * m + out * (255 - m)) / 255)."""
    k = 255 - m
    orow[3 * x] = div255(c0 * m + np.int32(orow[3 * x]) * k)
    orow[3 * x + 1] = div255(c1 * m + np.int32(orow[3 * x + 1]) * k)
    orow[3 * x + 2] = div255(c2 * m + np.int32(orow[3 * x + 2]) * k)


# Chunk kinds of a 1:1 row: what a run of chunks needs done.
SKIP = 0      # fully transparent or masked out: nothing to read or write
COPY = 1      # opaque and unmasked (or mask 255): copy the colour
OVER = 2      # premultiplied RGBA with partial alpha, no mask: c + out * (255 - a) / 255
MASKED = 3    # anything under a partial mask: the full formula


@njit(**NJIT_INLINE)
def _u(index):
    """An index numba will not wrap: numba checks every signed index for < 0 (Python's negative
    indexing), which costs a compare per access and stops LLVM from vectorising the loop."""
    return np.uint64(index)


@njit(**NJIT_INLINE)
def _or_and(values, first, count, ones):
    """OR and AND of values[first:first + count] (uint8 mask bytes or uint32 pixel words)."""
    acc_or = values.dtype.type(0)
    acc_and = values.dtype.type(ones)
    base = _u(first)
    if count == SPAN:
        for k in range(SPAN):      # a literal trip count: LLVM unrolls and vectorises it
            acc_or |= values[base + _u(k)]
            acc_and &= values[base + _u(k)]
    else:
        for k in range(count):
            acc_or |= values[base + _u(k)]
            acc_and &= values[base + _u(k)]
    return acc_or, acc_and


@njit(**NJIT_INLINE)
def _chunk_kind(channels, wrow, s_lo, mrow, m_lo, count, masked):
    """The kind of one chunk: RGBA pixel words (premultiplied transparent is the zero word, the
    top byte is alpha) and mask bytes, OR-ed and AND-ed in one vectorised sweep each."""
    kind = COPY
    if channels == 4:
        w_or, w_and = _or_and(wrow, s_lo, count, 0xFFFFFFFF)
        if w_or == 0:
            return SKIP
        if (w_and >> 24) != 255:
            kind = OVER
    if masked:
        m_or, m_and = _or_and(mrow, m_lo, count, 255)
        if m_or == 0:
            return SKIP
        if m_and != 255:
            return MASKED
    return kind


# The pixel loops below take views of one run (`dst`: canvas bytes, `src`: the run's source
# pixels in memory order, `mask`: its mask bytes in memory order) and keep separate loops per
# direction, so the common forward case is a plain vectorisable loop over the loop counter.

@njit(**NJIT)
def _copy(dst, src, channels, count, mirror):
    """Copy the colour of `count` opaque pixels (RGB, or premultiplied RGBA dropping alpha)."""
    if channels == 3 and not mirror:
        for i in range(3 * count):
            dst[i] = src[i]
        return
    for k in range(count):
        j = channels * (count - 1 - k if mirror else k)
        dst[3 * k] = src[_u(j)]
        dst[3 * k + 1] = src[_u(j + 1)]
        dst[3 * k + 2] = src[_u(j + 2)]


@njit(**NJIT)
def _over(dst, src, count, mirror):
    """Premultiplied RGBA over the canvas, no mask: out = c + round(out * (255 - a) / 255)."""
    if not mirror:
        for k in range(count):
            inv = 255 - np.int32(src[4 * k + 3])
            dst[3 * k] = min(255, src[4 * k] + div255(np.int32(dst[3 * k]) * inv))
            dst[3 * k + 1] = min(255, src[4 * k + 1] + div255(np.int32(dst[3 * k + 1]) * inv))
            dst[3 * k + 2] = min(255, src[4 * k + 2] + div255(np.int32(dst[3 * k + 2]) * inv))
        return
    for k in range(count):
        j = 4 * (count - 1 - k)
        inv = 255 - np.int32(src[_u(j + 3)])
        dst[3 * k] = min(255, src[_u(j)] + div255(np.int32(dst[3 * k]) * inv))
        dst[3 * k + 1] = min(255, src[_u(j + 1)] + div255(np.int32(dst[3 * k + 1]) * inv))
        dst[3 * k + 2] = min(255, src[_u(j + 2)] + div255(np.int32(dst[3 * k + 2]) * inv))


@njit(**NJIT)
def _masked(dst, src, channels, count, mirror, mask, mask_mirror):
    """Any source under a mask (the rare partial-mask chunks: edges of masks and cutouts)."""
    for k in range(count):
        j = channels * (count - 1 - k if mirror else k)
        m = np.int32(mask[_u(count - 1 - k if mask_mirror else k)])
        c0, c1, c2 = np.int32(src[_u(j)]), np.int32(src[_u(j + 1)]), np.int32(src[_u(j + 2)])
        if channels == 3:
            _blend_rgb(dst, k, c0, c1, c2, m)
        else:
            _blend_rgba(dst, k, c0, c1, c2, np.int32(src[_u(j + 3)]), m)


@njit(**NJIT)
def _draw_run(orow, srow, channels, x0, n, s_first, mirror, mrow, m_first, m_mirror, kind, a, b):
    """Draw pixels a..b-1 of a 1:1 row (see `_layer_row`), all of one kind."""
    if kind == SKIP or a >= b:
        return
    count = b - a
    s_lo = s_first + (n - b if mirror else a)
    dst = orow[3 * (x0 + a):3 * (x0 + b)]
    src = srow[channels * s_lo:channels * (s_lo + count)]
    if kind == COPY:
        _copy(dst, src, channels, count, mirror)
    elif kind == OVER:
        _over(dst, src, count, mirror)
    else:
        m_lo = m_first + (n - b if m_mirror else a)
        _masked(dst, src, channels, count, mirror, mrow[m_lo:m_lo + count], m_mirror)


@njit(**NJIT)
def _layer_row(orow, srow, wrow, channels, x0, n, s_first, mirror, mrow, m_first, m_mirror,
               masked):
    """One 1:1 row drawn at canvas x0..x0+n-1 from source pixels s_first..s_first+n-1 (memory
    order; read backwards when mirrored), under the mask mrow[m_first..m_first+n-1] (backwards
    when m_mirror) if `masked`. The row is cut in chunks of SPAN pixels, each classified by
    alpha and mask; consecutive chunks of one kind are drawn as one run, so a soft person mask
    or a mostly transparent web view costs one cheap sweep plus a few long copies."""
    if channels == 3 and not masked:
        _draw_run(orow, srow, 3, x0, n, s_first, mirror, mrow, m_first, m_mirror, COPY, 0, n)
        return
    run_kind, run_lo = SKIP, 0
    for lo in range(0, n, SPAN):
        count = min(SPAN, n - lo)
        s_lo = s_first + (n - lo - count if mirror else lo)
        m_lo = m_first + (n - lo - count if m_mirror else lo)
        kind = _chunk_kind(channels, wrow, s_lo, mrow, m_lo, count, masked)
        if kind != run_kind:
            _draw_run(orow, srow, channels, x0, n, s_first, mirror, mrow, m_first, m_mirror,
                      run_kind, run_lo, lo)
            run_kind, run_lo = kind, lo
    _draw_run(orow, srow, channels, x0, n, s_first, mirror, mrow, m_first, m_mirror,
              run_kind, run_lo, n)


@njit(**NJIT)
def _table_row(orow, srow, channels, x0, n, s_first, mirror, mrow, m_first, m_mirror,
               table, ty, t_first, t_mirror, partial_kind):
    """A 1:1 row (arguments as `_layer_row`) whose alpha comes from one plane with a run table
    (`native.spans`): row ty of that plane, memory columns t_first..t_first+n-1, read backwards
    when t_mirror. Only the runs that draw are visited; transparent stretches cost nothing."""
    t_stop = t_first + n
    for r in range(table[ty], table[ty + 1], 3):
        start, stop = max(table[r], t_first), min(table[r + 1], t_stop)
        if stop <= start:
            if table[r] >= t_stop:
                break               # runs are sorted: the rest lie right of the window
            continue
        kind = COPY if table[r + 2] == spans.FULL else partial_kind
        if t_mirror:
            a, b = t_stop - stop, t_stop - start
        else:
            a, b = start - t_first, stop - t_first
        _draw_run(orow, srow, channels, x0, n, s_first, mirror, mrow, m_first, m_mirror, kind, a, b)


@njit(**NJIT)
def _identity_row(orow, p, y, x0, x1, src, sflat, wsrc, src_table, smask, smask_table, has_smask,
                  dmask, dmask_table, has_dmask, scratch):
    """Draw canvas row y, columns x0..x1-1, of a layer whose source maps 1:1 (possibly mirrored).

    Canvas columns x0..x1-1 read a contiguous run of source columns (backwards when mirrored),
    and a contiguous run of each mask; a single mask is read in place, two are multiplied into
    `scratch` (in canvas order) first."""
    dx, dy, dw = int(p[DX]), int(p[DY]), int(p[DW])
    n = x1 - x0
    sy = int(p[SY]) + y - dy
    mirror = p[MIRROR] != 0
    # first source / destination-mask column of the run, in memory order
    s_first = int(p[SX]) + (dx + dw - x1 if mirror else x0 - dx)
    d_mirror = p[DEST_MASK_MIRROR] != 0
    d_first = dx + dw - x1 if d_mirror else x0 - dx
    mrow, m_first, m_mirror = scratch, 0, False
    if has_smask and has_dmask:
        srow_mask, drow_mask = smask[sy], dmask[y - dy]
        for k in range(n):
            s = s_first + (n - 1 - k if mirror else k)
            d = d_first + (n - 1 - k if d_mirror else k)
            scratch[k] = div255(np.int32(srow_mask[s]) * np.int32(drow_mask[d]))
    elif has_smask:
        mrow, m_first, m_mirror = smask[sy], s_first, mirror
    elif has_dmask:
        mrow, m_first, m_mirror = dmask[y - dy], d_first, d_mirror
    channels = src.shape[2]
    row_len = src.shape[1] * channels
    srow = sflat[sy * row_len:(sy + 1) * row_len]
    masked = has_smask or has_dmask
    if channels == 4 and not masked:
        _table_row(orow, srow, 4, x0, n, s_first, mirror, mrow, m_first, m_mirror,
                   src_table, sy, s_first, mirror, OVER)
    elif channels == 3 and has_smask != has_dmask:
        table, ty = (smask_table, sy) if has_smask else (dmask_table, y - dy)
        _table_row(orow, srow, 3, x0, n, s_first, mirror, mrow, m_first, m_mirror,
                   table, ty, m_first, m_mirror, MASKED)
    else:   # two alpha planes (or none): classify chunks of both while drawing
        _layer_row(orow, srow, wsrc[sy if channels == 4 else 0], channels, x0, n, s_first,
                   mirror, mrow, m_first, m_mirror, masked)


@njit(**NJIT_INLINE)
def _row_taps(p, y, limit):
    """The two source rows and the 11-bit weight of the second for canvas row y (scaled layer)."""
    dh = int(p[DH])
    fy = p[SY] + (y - int(p[DY]) + 0.5) * p[SH] / dh - 0.5
    if fy <= 0.0:
        return 0, 0, 0
    if fy >= limit - 1:
        return limit - 1, limit - 1, 0
    r0 = int(fy)
    wy = int((fy - r0) * WEIGHT_ONE + 0.5)
    if wy == WEIGHT_ONE:
        r0, wy = r0 + 1, 0
    return r0, min(r0 + 1, limit - 1), wy


@njit(**NJIT_INLINE)
def _table_bounds(table, ty, t_first, n, t_mirror):
    """The first and one-past-last k in 0..n-1 that a mask's runs reach on row ty (memory columns
    t_first..t_first+n-1, backwards when t_mirror): a circle cutout's corners are neither
    sampled nor drawn. (0, 0) when the row is empty."""
    lo, hi = t_first + n, t_first
    for r in range(table[ty], table[ty + 1], 3):
        start, stop = max(table[r], t_first), min(table[r + 1], t_first + n)
        if start < stop:
            lo, hi = min(lo, start), max(hi, stop)
    if lo >= hi:
        return 0, 0
    if t_mirror:
        return t_first + n - hi, t_first + n - lo
    return lo - t_first, hi - t_first


@njit(**NJIT_INLINE)
def _vertical_pass(vert, top, bottom, wy):
    """vert = top * (2048 - wy) + bottom * wy over flattened source row pieces: the first half
    of a bilinear sample, kept in 11-bit fixed point; 16 samples at a time in `native.vector`."""
    wt = WEIGHT_ONE - wy
    n = top.shape[0]
    body = n - n % ROW_LANES
    for i in range(0, body, ROW_LANES):
        lerp_rows_16(vert, top, bottom, i, wt, wy)
    for i in range(body, n):
        vert[i] = np.int32(top[i]) * wt + np.int32(bottom[i]) * wy


@njit(**NJIT_INLINE)
def _interpolate_rgb(dst, vert, first, second, weight):
    """Opaque RGB, the common scaled case (camera tiles): the second half of the bilinear sample
    for every pixel of `dst` from `vert` (first/second: element offsets of the two taps),
    written as is. Pairs of pixels go through the vector code of `native.vector`; the last
    pixel or two, whose spare byte would land past `dst`, through the same formula in scalar:
    v0 * 2048 + (v1 - v0) * wx is v0 * (2048 - wx) + v1 * wx with one multiply fewer."""
    n = first.shape[0]
    k = 0
    while k + 2 < n:
        lerp_rgb_pair(dst, 3 * k, vert, first[k], first[k + 1], weight[k], weight[k + 1])
        k += 2
    for k in range(k, n):
        # The second tap is the next column, or has weight 0 (clamped at the source's edge), so
        # it is read as j0 + 3 without loading `second`: `vert` is padded for the last column.
        j0 = _u(first[k])
        wx = weight[k]
        v0, v1, v2 = vert[j0], vert[j0 + _u(1)], vert[j0 + _u(2)]
        dst[3 * k] = (v0 * WEIGHT_ONE + (vert[j0 + _u(3)] - v0) * wx + ROUND_2D) >> (2 * WEIGHT_BITS)
        dst[3 * k + 1] = (v1 * WEIGHT_ONE + (vert[j0 + _u(4)] - v1) * wx + ROUND_2D) >> (2 * WEIGHT_BITS)
        dst[3 * k + 2] = (v2 * WEIGHT_ONE + (vert[j0 + _u(5)] - v2) * wx + ROUND_2D) >> (2 * WEIGHT_BITS)


@njit(**NJIT_INLINE)
def _interpolate_rgb_masked(dst, vert, first, second, weight, mask, mirror):
    """The same under a destination mask (pixel k reads mask[k], mask[n - 1 - k] if mirrored):
    the anti-aliased edge of a cutout."""
    n = first.shape[0]
    for k in range(n):
        m = np.int32(mask[_u(n - 1 - k if mirror else k)])
        if m == 0:
            continue
        j0, j1 = _u(first[k]), _u(second[k])
        wx = weight[k]
        v0, v1, v2 = vert[j0], vert[j0 + _u(1)], vert[j0 + _u(2)]
        c0 = (v0 * WEIGHT_ONE + (vert[j1] - v0) * wx + ROUND_2D) >> (2 * WEIGHT_BITS)
        c1 = (v1 * WEIGHT_ONE + (vert[j1 + _u(1)] - v1) * wx + ROUND_2D) >> (2 * WEIGHT_BITS)
        c2 = (v2 * WEIGHT_ONE + (vert[j1 + _u(2)] - v2) * wx + ROUND_2D) >> (2 * WEIGHT_BITS)
        _blend_rgb(dst, k, c0, c1, c2, m)


@njit(**NJIT_INLINE)
def _scaled_rgb_runs(orow, vert, x0, first, second, weight, mask_row, table, ty, d_first, n,
                     d_mirror):
    """A scaled RGB row under a destination mask with a run table: FULL runs interpolated with
    the plain loop, PARTIAL runs (edges) with the masked one, transparent runs not at all."""
    t_stop = d_first + n
    for r in range(table[ty], table[ty + 1], 3):
        start, stop = max(table[r], d_first), min(table[r + 1], t_stop)
        if stop <= start:
            continue
        if d_mirror:
            a, b = t_stop - stop, t_stop - start
        else:
            a, b = start - d_first, stop - d_first
        dst = orow[3 * (x0 + a):3 * (x0 + b)]
        if table[r + 2] == spans.FULL:
            _interpolate_rgb(dst, vert, first[a:b], second[a:b], weight[a:b])
        else:
            _interpolate_rgb_masked(dst, vert, first[a:b], second[a:b], weight[a:b],
                                    mask_row[start:stop], d_mirror)


@njit(**NJIT_INLINE)
def _runs_extent(table, row0, row1, lo, hi):
    """The source columns within lo..hi-1 where a mask's rows row0 or row1 have any run (are not
    transparent), as (start, stop); start >= stop when both rows are empty there."""
    start, stop = hi, lo
    for row in (row0, row1):
        for r in range(table[row], table[row + 1], 3):
            a, b = max(table[r], lo), min(table[r + 1], hi)
            if a < b:
                start, stop = min(start, a), max(stop, b)
    return start, stop


@njit(**NJIT_INLINE)
def _taps_within(first, second, k_lo, k_hi, lo, hi, channels):
    """The k range within k_lo..k_hi-1 whose taps touch source columns lo..hi-1: taps are
    monotonic in k (decreasing when mirrored), so two binary searches."""
    ascending = first[k_lo] <= first[k_hi - 1]
    a, b = k_lo, k_hi                   # first k whose taps reach lo (ascending) or stay below hi
    while a < b:
        mid = (a + b) // 2
        if (second[mid] // channels >= lo) if ascending else (first[mid] // channels < hi):
            b = mid
        else:
            a = mid + 1
    start = a
    a, b = start, k_hi                  # first k whose taps lie wholly past the columns
    while a < b:
        mid = (a + b) // 2
        if (first[mid] // channels >= hi) if ascending else (second[mid] // channels < lo):
            b = mid
        else:
            a = mid + 1
    return start, a


COVER_BITS = 16                       # a sampled mask's coverage in 1/65536: 0..COVER_ONE
COVER_ONE = 1 << COVER_BITS
INV_FULL = 66051                      # 2**32 / 65025, rounded up
INV_SHIFT = 32 + 2 * WEIGHT_BITS - COVER_BITS


@njit(**NJIT_INLINE)
def _coverage(sampled, d):
    """A pixel's coverage (0..COVER_ONE) from its bilinear source-mask sample (`sampled`, up to
    255 << 22) times its destination mask byte d, kept to 16 bits rather than rounded to 8:
    rounding the sample, then the product, then blending would add up to more than a level.
    m * d * 2**16 / (65025 * 2**22) as a multiply and a shift: 66051 / 2**32 is 1 / 65025 within
    2.4e-7, just above it, so full coverage comes out as COVER_ONE after the clamp. (Scalars
    only: an array argument would be reference-counted per pixel, atomically, and two threads
    counting on the same mask array slow each other down.)"""
    return np.int64(min(COVER_ONE, (sampled * d * INV_FULL + (1 << (INV_SHIFT - 1))) >> INV_SHIFT))


@njit(**NJIT_INLINE)
def _interpolate_rgb_covered(dst, vert, first, second, weight, coverage):
    """Scaled RGB under a 16-bit coverage per pixel: out = c * cov + out * (1 - cov), rounded
    once (the soft edge of a person in a tile)."""
    for k in range(first.shape[0]):
        cover = np.int64(coverage[k])
        if cover == 0:
            continue
        j0, j1 = _u(first[k]), _u(second[k])
        wx = weight[k]
        keep = COVER_ONE - cover
        for c in range(3):
            v = vert[j0 + _u(c)]
            sample = (v * WEIGHT_ONE + (vert[j1 + _u(c)] - v) * wx + ROUND_2D) >> (2 * WEIGHT_BITS)
            dst[3 * k + c] = (sample * cover + np.int64(dst[3 * k + c]) * keep
                              + COVER_ONE // 2) >> COVER_BITS


@njit(**NJIT_INLINE)
def _scaled_rgb_under_mask(dst, vert, first, second, weight, vmask, mask, mirror, has_dmask,
                           coverage):
    """A scaled RGB row under a source mask (a person cutout in a tile), times the destination
    mask if any. First the row's coverage per pixel (`_coverage`) into `coverage`; then runs of
    it: none skipped, full through the vector interpolation, the rest blended per pixel. A
    person mask is mostly 0 or 255, so most pixels take the fast paths."""
    n = first.shape[0]
    for k in range(n):
        wx = weight[k]
        sampled = (np.int64(vmask[_u(first[k] // 3)]) * (WEIGHT_ONE - wx)
                   + np.int64(vmask[_u(second[k] // 3)]) * wx)
        d = np.int64(mask[_u(n - 1 - k if mirror else k)]) if has_dmask else np.int64(255)
        coverage[k] = _coverage(sampled, d)
    run_kind, run_lo = SKIP, 0
    for lo in range(0, n + SPAN, SPAN):
        kind = SKIP
        if lo < n:
            any_cover, all_full = 0, True
            for k in range(lo, min(lo + SPAN, n)):
                any_cover |= coverage[k]
                all_full &= coverage[k] == COVER_ONE
            kind = SKIP if any_cover == 0 else (COPY if all_full else MASKED)
        if kind != run_kind or lo >= n:
            a, b = run_lo, min(lo, n)
            if run_kind == COPY:
                _interpolate_rgb(dst[3 * a:3 * b], vert, first[a:b], second[a:b], weight[a:b])
            elif run_kind == MASKED:
                _interpolate_rgb_covered(dst[3 * a:3 * b], vert, first[a:b], second[a:b],
                                         weight[a:b], coverage[a:b])
            run_kind, run_lo = kind, lo


# out = c * cov + out * (1 - a * cov) for premultiplied (c, a): a kept unrounded (in 1/2**22),
# cov in 1/2**16, so the denominator is 255 * 2**38 and the numerator stays under 2**55.
RGBA_ONE = 255 << (2 * WEIGHT_BITS + COVER_BITS)


@njit(**NJIT)
def _horizontal_rgba(dst, vert, first, second, weight, vmask, has_smask, mask, mirror,
                     has_dmask):
    """Scaled premultiplied RGBA, under masks or not: colour samples rounded to 8 bits, alpha
    and coverage kept finer, one rounding of the result (so the error stays under a level)."""
    n = first.shape[0]
    for k in range(n):
        j0, j1 = _u(first[k]), _u(second[k])
        wx = weight[k]
        wl = WEIGHT_ONE - wx
        cover = np.int64(COVER_ONE)
        if has_smask or has_dmask:
            d = np.int64(mask[_u(n - 1 - k if mirror else k)]) if has_dmask else np.int64(255)
            sampled = np.int64(255 << (2 * WEIGHT_BITS))
            if has_smask:
                sampled = (np.int64(vmask[_u(first[k] // 4)]) * wl
                           + np.int64(vmask[_u(second[k] // 4)]) * wx)
            cover = _coverage(sampled, d)
            if cover == 0:
                continue
        alpha = np.int64(vert[j0 + _u(3)]) * wl + np.int64(vert[j1 + _u(3)]) * wx   # 255 << 22 max
        if alpha == 0:
            continue
        keep = RGBA_ONE - alpha * cover
        for c in range(3):
            sample = (np.int64(vert[j0 + _u(c)]) * wl + np.int64(vert[j1 + _u(c)]) * wx
                      + ROUND_2D) >> (2 * WEIGHT_BITS)
            value = (sample * cover * (255 << (2 * WEIGHT_BITS)) + np.int64(dst[3 * k + c]) * keep
                     + RGBA_ONE // 2) // RGBA_ONE
            dst[3 * k + c] = min(255, value)


@njit(**NJIT_INLINE)
def _scaled_row(orow, p, y, x0, x1, src, sflat, smask, smask_table, has_smask, dmask, dmask_table,
                has_dmask, first, second, weight, vert, vmask, coverage):
    """Draw canvas row y, columns x0..x1-1, of a scaled layer: a vertical pass over the source
    columns the visible taps need into `vert` (11-bit fixed point), then horizontal taps from it;
    one rounding for both axes. `first/second/weight` (from `column_taps`) are indexed from x0;
    `vert` and `vmask` are indexed like a source row, only columns lo..hi-1 filled."""
    dx, dy, dw = int(p[DX]), int(p[DY]), int(p[DW])
    n = x1 - x0
    k_lo, k_hi = 0, n
    d_mirror = p[DEST_MASK_MIRROR] != 0
    d_first = dx + dw - x1 if d_mirror else x0 - dx     # the window's first mask column in memory
    if has_dmask:
        k_lo, k_hi = _table_bounds(dmask_table, y - dy, d_first, n, d_mirror)
        if k_lo >= k_hi:
            return
    channels = src.shape[2]
    r0, r1, wy = _row_taps(p, y, src.shape[0])
    # the source columns the taps need, lo..hi-1 (taps are monotonic, mirrored or not)
    lo = min(first[k_lo], first[k_hi - 1]) // channels
    hi = max(second[k_lo], second[k_hi - 1]) // channels + 1
    row_len = src.shape[1] * channels
    if has_smask and channels == 3:
        # A person in a tile: only pixels whose taps touch the mask's runs on these two rows
        # can show, and they sample only those columns and one beside them.
        s_lo, s_hi = _runs_extent(smask_table, r0, r1, lo, hi)
        if s_lo >= s_hi:
            return
        lo, hi = max(lo, s_lo - 1), min(hi, s_hi + 1)
        k_lo, k_hi = _taps_within(first, second, k_lo, k_hi, s_lo, s_hi, 3)
        if k_lo >= k_hi:
            return
    # the cutout under canvas columns k_lo..k_hi-1, in memory order
    m_lo = d_first + (n - k_hi if d_mirror else k_lo)
    mask = dmask[y - dy if has_dmask else 0][m_lo:m_lo + k_hi - k_lo]
    if has_smask:
        _vertical_pass(vmask[lo:hi], smask[r0][lo:hi], smask[r1][lo:hi], wy)
    _vertical_pass(vert[channels * lo:channels * hi],
                   sflat[r0 * row_len + channels * lo:r0 * row_len + channels * hi],
                   sflat[r1 * row_len + channels * lo:r1 * row_len + channels * hi], wy)
    dst = orow[3 * (x0 + k_lo):3 * (x0 + k_hi)]
    taps = first[k_lo:k_hi], second[k_lo:k_hi], weight[k_lo:k_hi]
    if channels == 3 and not has_smask and not has_dmask:
        _interpolate_rgb(dst, vert, taps[0], taps[1], taps[2])
    elif channels == 3 and not has_smask:
        _scaled_rgb_runs(orow, vert, x0, first, second, weight, dmask[y - dy], dmask_table,
                         y - dy, d_first, n, d_mirror)
    elif channels == 3:
        _scaled_rgb_under_mask(dst, vert, taps[0], taps[1], taps[2], vmask, mask, d_mirror,
                               has_dmask, coverage[:k_hi - k_lo])
    else:
        _horizontal_rgba(dst, vert, taps[0], taps[1], taps[2], vmask, has_smask, mask, d_mirror,
                         has_dmask)


@njit(**NJIT)
def _is_identity(p):
    return (p[SW] == p[DW] and p[SH] == p[DH]
            and p[SX] == np.floor(p[SX]) and p[SY] == np.floor(p[SY]))


@njit(**NJIT)
def covering_layers(params, sources, width):
    """Per layer: True when it paints every pixel of each of its rows opaquely (an unmasked RGB
    source across the full canvas width), so nothing below it, nor the background, is drawn
    there. Worked out once per frame: the kernels never touch the typed lists per row."""
    covers = np.zeros(params.shape[0], np.bool_)
    for i in range(params.shape[0]):
        p = params[i]
        dx = int(p[DX])
        covers[i] = (sources[int(p[SOURCE])].shape[2] == 3 and p[SOURCE_MASK] < 0
                     and p[DEST_MASK] < 0 and dx <= 0 and dx + int(p[DW]) >= width)
    return covers


@njit(**NJIT)
def _lowest_shown(params, covers, y0, y1, lowest):
    """lowest[y - y0]: the lowest layer that shows on canvas row y (0, or the topmost covering
    layer crossing the row); -1 marks rows no layer covers, which get the background."""
    lowest[:] = -1
    for i in range(params.shape[0]):
        if covers[i]:
            dy, dh = int(params[i, DY]), int(params[i, DH])
            for y in range(max(y0, dy), min(y1, dy + dh)):
                lowest[y - y0] = i


@njit(**NJIT)
def compose_rows(out, params, sources, words, source_runs, masks, mask_runs, background, clear,
                 y0, y1, first, second, weight, covers, scratch_width):
    """Draw rows y0..y1-1 of the canvas (a band), layer after layer.

    Layers are the outer loop: a numba typed-list lookup costs tens of ns, too much once per
    layer per row (thousands per frame), so each layer's arrays are fetched once per band; the
    band (BAND_ROWS rows) stays in L2 while every layer crossing it is drawn. `first/second/
    weight` hold each layer's column taps (from `column_taps`), `covers` comes from
    `covering_layers`."""
    width = out.shape[1]
    scratch = np.empty(width, np.uint8)
    coverage = np.empty(width, np.int32)                # see _scaled_rgb_under_mask
    vert = np.zeros(scratch_width * 4 + 8, np.int32)   # + a padding column, see _interpolate_rgb
    vmask = np.empty(scratch_width, np.int32)
    # Rows are slices of flat views: numba's reshape goes through a C helper, tens of ns a call.
    row_len = width * 3
    oflat = out.reshape(out.shape[0] * row_len)
    lowest = np.empty(y1 - y0, np.int64)
    _lowest_shown(params, covers, y0, y1, lowest)
    if clear:
        for y in range(y0, y1):
            if lowest[y - y0] < 0:
                orow = oflat[y * row_len:(y + 1) * row_len]
                for x in range(width):
                    orow[3 * x] = background[0]
                    orow[3 * x + 1] = background[1]
                    orow[3 * x + 2] = background[2]
    for i in range(params.shape[0]):
        p = params[i]
        dx, dy, dw, dh = int(p[DX]), int(p[DY]), int(p[DW]), int(p[DH])
        x0, x1 = max(dx, 0), min(dx + dw, width)
        if x0 >= x1 or dy >= y1 or dy + dh <= y0:
            continue
        source = int(p[SOURCE])
        src, wsrc, src_table = sources[source], words[source], source_runs[source]
        sflat = src.reshape(src.size)
        smask_index, dmask_index = int(p[SOURCE_MASK]), int(p[DEST_MASK])
        smask, smask_table = masks[max(smask_index, 0)], mask_runs[max(smask_index, 0)]
        dmask, dmask_table = masks[max(dmask_index, 0)], mask_runs[max(dmask_index, 0)]
        identity = _is_identity(p)
        for y in range(max(y0, dy), min(y1, dy + dh)):
            if i < lowest[y - y0]:
                continue            # hidden under an opaque layer on this row
            orow = oflat[y * row_len:(y + 1) * row_len]
            if identity:
                _identity_row(orow, p, y, x0, x1, src, sflat, wsrc, src_table, smask, smask_table,
                              smask_index >= 0, dmask, dmask_table, dmask_index >= 0, scratch)
            else:
                _scaled_row(orow, p, y, x0, x1, src, sflat, smask, smask_table, smask_index >= 0,
                            dmask, dmask_table, dmask_index >= 0, first[i], second[i], weight[i],
                            vert, vmask, coverage)


@njit(**NJIT)
def column_taps(params, sources, width):
    """Column tap tables for every scaled layer (computed once per frame, not per band): for
    canvas column x0 + k, the element offsets (source column x channels) of its two taps in a
    source row and the 11-bit weight of the second."""
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
            source = sources[int(p[SOURCE])]
            tap_table(dx, dw, p[SX], p[SW], source.shape[1], p[MIRROR] != 0,
                      x0, x1, first[i], second[i], weight[i])
            # as element offsets into a row of `channels` interleaved samples
            first[i] *= source.shape[2]
            second[i] *= source.shape[2]
    return first, second, weight


@njit(**NJIT)
def _widest(sources):
    widest = 1
    for source in sources:
        widest = max(widest, source.shape[1])
    return widest


@njit(**NJIT_PARALLEL)
def compose_parallel(out, params, sources, words, source_runs, masks, mask_runs, background, clear):
    """Compose the whole canvas, bands of BAND_ROWS rows in parallel."""
    height = out.shape[0]
    first, second, weight = column_taps(params, sources, out.shape[1])
    covers = covering_layers(params, sources, out.shape[1])
    scratch_width = _widest(sources)
    bands = (height + BAND_ROWS - 1) // BAND_ROWS
    for b in prange(bands):
        y0 = b * BAND_ROWS
        compose_rows(out, params, sources, words, source_runs, masks, mask_runs, background,
                     clear, y0, min(y0 + BAND_ROWS, height), first, second, weight, covers,
                     scratch_width)


@njit(**NJIT)
def compose_serial(out, params, sources, words, source_runs, masks, mask_runs, background, clear):
    """The same on the calling thread only."""
    first, second, weight = column_taps(params, sources, out.shape[1])
    covers = covering_layers(params, sources, out.shape[1])
    for y0 in range(0, out.shape[0], BAND_ROWS):
        compose_rows(out, params, sources, words, source_runs, masks, mask_runs, background,
                     clear, y0, min(y0 + BAND_ROWS, out.shape[0]), first, second, weight, covers,
                     _widest(sources))


_NO_WORDS = np.zeros((1, 1), np.uint32)
_NO_MASK = np.zeros((1, 1), np.uint8)
_NO_RUNS = np.zeros(1, np.int32)


def source_words(source: np.ndarray) -> np.ndarray:
    """The uint32-per-pixel view of a premultiplied RGBA source (a dummy for RGB)."""
    if source.shape[2] != 4:
        return _NO_WORDS
    return source.view(np.uint32).reshape(source.shape[0], source.shape[1])


def source_runs(source: np.ndarray) -> np.ndarray:
    """The run table (`native.spans`) of a premultiplied RGBA source (a dummy for RGB)."""
    if source.shape[2] != 4:
        return _NO_RUNS
    return spans.run_table(source)


def typed_list(arrays):
    """A numba typed list of same-typed arrays (the kernels' view of a Python list).

    The item type is always the read-only array type: scene content is read-only, camera frames
    are not, and a list typed by whichever came first would compile the kernels once per mix.
    """
    import numba
    from numba import types
    from numba.typed import List
    arrays = [readonly(array) for array in arrays]
    item = types.Array(numba.typeof(arrays[0]).dtype, arrays[0].ndim, "C", readonly=True)
    result = List.empty_list(item)
    for array in arrays:
        result.append(array)
    return result


def readonly(array: np.ndarray) -> np.ndarray:
    """A read-only view. Typed-list methods are compiled per item type (and not cached on disk),
    so handing them writable and read-only arrays alike would compile twice, mid-run."""
    if not array.flags.writeable:
        return array
    view = array.view()
    view.setflags(write=False)
    return view


def compose(out, params, sources, masks=(), background=(0, 0, 0), clear=True, parallel=True):
    """Convenience entry for tests and one-off frames: Python lists in, canvas `out` composed.

    Every call converts the lists and classifies every RGBA source and mask (`native.spans`),
    which costs about a pass over them; a caller composing frame after frame keeps a `Composer`.
    """
    return Composer(sources, masks).compose(out, params, background, clear, parallel)


class Composer:
    """The kernel's inputs kept between frames: typed lists of sources and masks with their
    pixel words and run tables, so a frame costs only the kernel plus what really changed.

    Typed-list construction costs several µs per element and a run table about one pass over
    its plane, so both are paid when content arrives, not per frame:

        composer = Composer([background, camera_frame, web_view_rgba], [person_mask])
        for frame, mask in camera:
            composer.set_source(1, frame)      # RGB camera frame: nothing to classify
            composer.set_mask(0, mask)         # a new mask: classified once (~0.25 ms at 720p)
            composer.compose(out, params)

    Sources are HxWx3 RGB or HxWx4 premultiplied RGBA uint8, masks 2-D uint8; indices are the
    ones `layer_params` refers to. The arrays are read, never written, and must not change
    while `compose` runs; an RGBA source or a mask whose pixels change in place must be set again.
    """

    def __init__(self, sources, masks=()):
        if not len(sources):
            raise ValueError("Composer needs at least one source")
        sources = [_checked_source(s, i) for i, s in enumerate(sources)]
        masks = [_checked_mask(m, i) for i, m in enumerate(masks)] or [_NO_MASK]
        self._sources = typed_list(sources)
        self._words = typed_list([source_words(s) for s in sources])
        self._source_runs = typed_list([source_runs(s) for s in sources])
        self._masks = typed_list(masks)
        self._mask_runs = typed_list([spans.run_table(m) for m in masks])

    def set_source(self, index: int, source: np.ndarray) -> None:
        """Replace source `index` (e.g. this frame's camera image)."""
        source = _checked_source(source, index)
        self._sources[index] = readonly(source)
        self._words[index] = readonly(source_words(source))
        self._source_runs[index] = readonly(source_runs(source))

    def set_mask(self, index: int, mask: np.ndarray) -> None:
        """Replace mask `index` (e.g. this frame's person mask)."""
        mask = _checked_mask(mask, index)
        self._masks[index] = readonly(mask)
        self._mask_runs[index] = readonly(spans.run_table(mask))

    def compose(self, out: np.ndarray, params, background=(0, 0, 0), clear: bool = True,
                parallel: bool = True) -> np.ndarray:
        """Draw `params` (rows of `layer_params`, bottom to top) into `out` (HxWx3 uint8)."""
        kernel = compose_parallel if parallel else compose_serial
        kernel(out, np.ascontiguousarray(params, dtype=np.float64), self._sources, self._words,
               self._source_runs, self._masks, self._mask_runs,
               np.asarray(background, np.int32), bool(clear))
        return out


def _checked_source(source: np.ndarray, index: int) -> np.ndarray:
    if source.dtype != np.uint8 or source.ndim != 3 or source.shape[2] not in (3, 4):
        raise ValueError(f"source {index} must be HxWx3 or HxWx4 uint8, got {source.dtype} "
                         f"{source.shape}")
    return np.ascontiguousarray(source)


def _checked_mask(mask: np.ndarray, index: int) -> np.ndarray:
    if mask.dtype != np.uint8 or mask.ndim != 2:
        raise ValueError(f"mask {index} must be a 2-D uint8 array, got {mask.dtype} {mask.shape}")
    return np.ascontiguousarray(mask)


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
