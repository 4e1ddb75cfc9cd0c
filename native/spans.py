"""Run tables: where an alpha plane is transparent, opaque or partial, row by row, found once.

The compositor skips transparent pixels and copies opaque ones. Finding them while drawing costs
a sweep over every pixel of every frame, even where a layer is 80% empty (a web view, a
foreground border). Images and overlays change only when the app sends new ones, and a mask only
when segmentation delivers one, so the classification is done here, once per new content, and
the kernel then walks only the runs that draw something: a fully transparent row costs nothing.

A table is one flat int32 array, so a numba typed list can hold one per source or mask:
    table[y] .. table[y + 1]   the slice of `table` holding row y's runs (absolute indices)
    table[h + 1:]              the runs: (start, stop, kind) triplets of source columns
Columns are classified in chunks of `SPAN` (16) pixels aligned to column 0; a partial chunk
gives up its leading and trailing transparent or opaque pixels (`MIN_TRIM` or more) to runs of
their own, so an anti-aliased cutout's edge or a text stroke is partial only where it really is.
Consecutive pieces of one kind are merged into one run, transparent runs left out. Kinds: `FULL`
(every alpha 255) and `PARTIAL` (anything else that is not all 0).
"""

import numpy as np
from numba import njit

from native.config import NJIT

SPAN = 16
MIN_TRIM = 4      # opaque or transparent pixels at a partial chunk's ends worth a run of their own
FULL = 1
PARTIAL = 2


@njit(inline="always", **NJIT)
def _chunk_kind(alpha, first, count):
    """0, FULL or PARTIAL for alpha[first:first + count] (mask bytes, or RGBA pixel words whose
    zero means transparent and whose top byte is alpha). Unsigned indices: numba checks signed
    ones for < 0 (negative indexing), which stops LLVM from vectorising the sweep."""
    base = np.uint64(first)
    acc_or = alpha[base]
    acc_and = alpha[base]
    if count == SPAN:
        for k in range(SPAN):          # a literal trip count: unrolled and vectorised
            acc_or |= alpha[base + np.uint64(k)]
            acc_and &= alpha[base + np.uint64(k)]
    else:
        for k in range(count):
            acc_or |= alpha[base + np.uint64(k)]
            acc_and &= alpha[base + np.uint64(k)]
    if acc_or == 0:
        return 0
    if alpha.itemsize == 4:
        acc_and >>= 24
    return FULL if acc_and == 255 else PARTIAL


@njit(inline="always", **NJIT)
def _trimmed(alpha, first, count):
    """A PARTIAL chunk's own runs: its leading and trailing pixels that are all transparent or all
    opaque, when there are at least MIN_TRIM of them, are split off from the partial middle.
    Returns (lead, trail, lead_kind, trail_kind): [first, lead) is lead_kind, [lead, trail) is
    PARTIAL (possibly empty), [trail, first + count) is trail_kind."""
    stop = first + count
    lead_kind, lead = _chunk_kind(alpha, first, 1), first
    if lead_kind != PARTIAL:
        while lead < stop and _chunk_kind(alpha, lead, 1) == lead_kind:
            lead += 1
        if lead - first < MIN_TRIM:
            lead = first
    trail_kind, trail = _chunk_kind(alpha, stop - 1, 1), stop
    if trail_kind != PARTIAL:
        while trail > lead and _chunk_kind(alpha, trail - 1, 1) == trail_kind:
            trail -= 1
        if stop - trail < MIN_TRIM:
            trail = stop
    return lead, trail, lead_kind, trail_kind


@njit(inline="always", **NJIT)
def _extend(table, used, run_kind, run_start, at, kind):
    """Continue the row's current run with pixels of `kind` from column `at` on, or close it
    (transparent runs are not stored) and start a new one. Returns (used, run_kind, run_start)."""
    if kind == run_kind:
        return used, run_kind, run_start
    if run_kind != 0:
        table[used], table[used + 1], table[used + 2] = run_start, at, run_kind
        used += 3
    return used, kind, at


@njit(**NJIT)
def _fill(alpha2d):
    """The run table of a height x width plane of uint8 mask values or uint32 RGBA words."""
    height, width = alpha2d.shape
    chunks = (width + SPAN - 1) // SPAN
    table = np.empty(height + 1 + 9 * height * chunks, np.int32)   # <= 3 runs per chunk
    used = height + 1
    for y in range(height):
        table[y] = used
        row = alpha2d[y]
        run_kind, run_start = 0, 0
        for first in range(0, width, SPAN):
            count = min(SPAN, width - first)
            kind = _chunk_kind(row, first, count)
            if kind != PARTIAL:
                used, run_kind, run_start = _extend(table, used, run_kind, run_start, first, kind)
                continue
            lead, trail, lead_kind, trail_kind = _trimmed(row, first, count)
            if lead > first:
                used, run_kind, run_start = _extend(table, used, run_kind, run_start, first,
                                                    lead_kind)
            if trail > lead:
                used, run_kind, run_start = _extend(table, used, run_kind, run_start, lead,
                                                    PARTIAL)
            if trail < first + count:
                used, run_kind, run_start = _extend(table, used, run_kind, run_start, trail,
                                                    trail_kind)
        used, run_kind, run_start = _extend(table, used, run_kind, run_start, width, 0)
        table[y + 1] = used
    return table[:used].copy()


def run_table(plane: np.ndarray) -> np.ndarray:
    """The run table (see the module docstring) of a 2-D uint8 mask or an HxWx4 premultiplied RGBA
    image (at most one run per chunk)."""
    if plane.dtype != np.uint8 or plane.ndim not in (2, 3) or (plane.ndim == 3 and plane.shape[2] != 4):
        raise ValueError(f"run_table needs a 2-D uint8 mask or HxWx4 uint8 RGBA, got "
                         f"{plane.dtype} {plane.shape}")
    plane = np.ascontiguousarray(plane)
    if plane.ndim == 3:
        plane = plane.view(np.uint32).reshape(plane.shape[0], plane.shape[1])
    else:
        plane = plane.view()
    # Always a read-only view: numba compiles per writability, and a second specialisation met
    # for the first time mid-run would stall a live frame while it compiles (or loads).
    plane.setflags(write=False)
    return _fill(plane)


def runs_of_row(table: np.ndarray, y: int) -> list[tuple[int, int, int]]:
    """Row y's runs as (start, stop, kind) tuples (for tests and debugging)."""
    lo, hi = int(table[y]), int(table[y + 1])
    return [tuple(int(v) for v in table[i:i + 3]) for i in range(lo, hi, 3)]
