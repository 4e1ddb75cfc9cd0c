"""Numba kernels: arrays in, arrays out. No I/O, no SDK types."""
