"""Benchmarks: the reference scenes, the contenders, the harness behind `layers bench`."""
