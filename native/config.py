"""The one place that holds numba compilation options.

Every kernel decorator takes its options from here (never literals at the decorator site),
so a single switch changes them everywhere; `tests/native/test_config.py` checks that.
"""

# cache: compiled code is written next to the module, so only the first run ever compiles.
# nogil: kernels release the GIL, so capture, sink and render threads run them concurrently.
# fastmath stays off: the kernels are integer code and must round exactly as the reference does.
NJIT = dict(cache=True, nogil=True, fastmath=False)
NJIT_PARALLEL = dict(NJIT, parallel=True)

# Rows handled by one parallel task. GStreamer's compositor splits work in bands of about
# 200 lines; our kernels walk each band row by row with every layer touching the row while it
# is in L1, so a smaller band only costs scheduling. 32 rows keeps two cores balanced on
# 720p (23 bands) without measurable overhead. A smarter split would weigh bands by the
# number of layers crossing them.
BAND_ROWS = 32
