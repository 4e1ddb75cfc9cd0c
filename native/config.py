"""The one place that holds numba compilation options.

Every kernel decorator takes its options from here (never literals at the decorator site),
so a single switch changes them everywhere; `tests/native/test_config.py` checks that.
"""

# cache: compiled code is written next to the module, so only the first run ever compiles.
# nogil: kernels release the GIL, so capture, sink and render threads run them concurrently.
# fastmath stays off: the kernels are integer code and must round exactly as the reference does.
NJIT = dict(cache=True, nogil=True, fastmath=False)
NJIT_PARALLEL = dict(NJIT, parallel=True)
# Small helpers inlined into their callers at numba's IR level, so literal arguments specialise
# the loops (a runtime step or channel count would block vectorisation).
NJIT_INLINE = dict(NJIT, inline="always")

# Rows handled by one parallel task. GStreamer's compositor splits work in bands of about
# 200 lines; ours are smaller: inside a band the compositor loops over layers, then rows, and a
# 32-row band of canvas (120 KB at 720p) stays in L2 while every layer crossing it is drawn, so
# the canvas still goes to memory once. 32 rows keeps two cores balanced on 720p (23 bands)
# without measurable overhead. A smarter split would weigh bands by the layers crossing them.
BAND_ROWS = 32
