"""The compositors `layers bench` races, one module each, all composing the same `BenchScene`.

Every module exposes:

- ``NAME: str``: the label printed in the table;
- ``available() -> str | None``: None, or why the contender cannot run here (a missing tool);
- ``prepare(scene, threads) -> Callable[[int], np.ndarray]``: does the once-per-scene work
  (static layers converted, mirrored, masked and scaled) and returns the per-frame function that
  composes output frame ``i`` and returns it as HxWx3 RGB uint8. Per-frame layers (cameras) are
  converted, mirrored, masked and scaled inside that function, every frame. Every layer is
  composited every frame: no contender may pre-merge static layers.
- optionally ``THREADED = False`` when ``threads`` has no effect (it is then run once, on 1 thread).

The returned function may carry a ``close()`` method (a subprocess to stop); the harness calls it.
Modules whose name starts with an underscore are helpers, not contenders.
"""
