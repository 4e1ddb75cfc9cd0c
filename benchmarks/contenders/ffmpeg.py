"""FFmpeg's filter graph, run in-process through PyAV's ``av.filter.Graph``: what a user gets from
``ffmpeg -filter_complex`` without the encoder and the process around it.

One graph per scene: a black ``buffer`` canvas, and per layer a ``buffer`` source, ``alphamerge``
for the person mask (``alphaextract`` + ``blend=multiply`` when the source has alpha of its own),
``hflip``, ``scale`` (bilinear) and the cutout merged the same way, then a chain of ``overlay``
filters (``format=rgb``: straight alpha, blended in RGB) into a ``buffersink``. Static layers run
through the same chain once, in a one-shot graph, and are then fed finished. Threads: the graph's
slice threads (``overlay``) and ``scale``'s own ``threads`` option.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Callable

import av
import av.filter
import numpy as np

from benchmarks.scenes import BenchLayer, BenchScene, opaque_backdrop

NAME = "FFmpeg overlay"

TIME_BASE = Fraction(1, 30)

Feed = tuple[av.filter.context.FilterContext, Callable[[int], av.VideoFrame]]


def available() -> str | None:
    missing = [name for name in ("buffer", "buffersink", "overlay", "alphamerge", "alphaextract",
                                 "blend", "hflip", "scale") if name not in av.filter.filters_available]
    return f"this FFmpeg build lacks the filters {', '.join(missing)}" if missing else None


def prepare(scene: BenchScene, threads: int) -> Callable[[int], np.ndarray]:
    graph = av.filter.Graph()
    graph.threads = threads
    feeds: list[Feed] = []
    layers = list(scene.layers)
    if opaque_backdrop(scene):  # the bottom layer is the canvas: overlay onto it, not onto black
        bottom = _source(graph, layers.pop(0), feeds, threads)
    else:
        canvas = _frame(np.zeros((scene.height, scene.width, 3), np.uint8))
        bottom = graph.add_buffer(width=scene.width, height=scene.height, format="rgb24", time_base=TIME_BASE)
        feeds.append((bottom, lambda index: canvas))
    for layer in layers:
        top = _source(graph, layer, feeds, threads)
        overlay = graph.add("overlay", f"x={layer.x}:y={layer.y}:format=rgb")
        bottom.link_to(overlay, 0, 0)
        top.link_to(overlay, 0, 1)
        bottom = overlay
    sink = _then(graph, bottom, "format", "pix_fmts=rgb24")
    sink = _then(graph, sink, "buffersink")
    graph.configure()

    def compose(index: int) -> np.ndarray:
        for source, frame_for in feeds:
            frame = frame_for(index)
            frame.pts = index
            frame.time_base = TIME_BASE
            source.push(frame)
        return sink.pull().to_ndarray()

    compose.graph = graph  # the graph owns every filter context: it must live as long as compose
    return compose


def _source(graph: av.filter.Graph, layer: BenchLayer, feeds: list[Feed], threads: int):
    """The filter whose output is the layer, ready to overlay."""
    if layer.per_frame:
        return _live_chain(graph, layer, feeds, threads)
    return _static_source(graph, layer, feeds, threads)


def _live_chain(graph: av.filter.Graph, layer: BenchLayer, feeds: list[Feed], threads: int):
    """A camera layer: its frame is converted into an AVFrame and filtered on every output frame."""
    fmt = _format(layer.frames[0])
    source = graph.add_buffer(width=layer.frames[0].shape[1], height=layer.frames[0].shape[0],
                              format=fmt, time_base=TIME_BASE)
    feeds.append((source, lambda index: _frame(layer.frame(index))))
    return _transform(graph, layer, source, fmt == "rgba", feeds, threads)


def _static_source(graph: av.filter.Graph, layer: BenchLayer, feeds: list[Feed], threads: int):
    """A static layer: filtered once now, then the finished frame is fed on every output frame."""
    frame = layer.frames[0]
    needs_work = layer.mirror or layer.mask is not None or layer.cutout is not None \
        or frame.shape[:2] != (layer.height, layer.width)
    finished = _frame(_run_once(layer, threads) if needs_work else frame)
    source = graph.add_buffer(width=layer.width, height=layer.height, format=finished.format.name,
                              time_base=TIME_BASE)
    feeds.append((source, lambda index: finished))
    return source


def _run_once(layer: BenchLayer, threads: int) -> np.ndarray:
    """Push a static layer through its chain in a one-shot graph; returns destination-size RGBA."""
    graph = av.filter.Graph()
    fmt = _format(layer.frames[0])
    source = graph.add_buffer(width=layer.frames[0].shape[1], height=layer.frames[0].shape[0],
                              format=fmt, time_base=TIME_BASE)
    feeds: list[Feed] = [(source, lambda index: _frame(layer.frames[0]))]
    node = _transform(graph, layer, source, fmt == "rgba", feeds, threads)
    sink = _then(graph, _then(graph, node, "format", "pix_fmts=rgba"), "buffersink")
    graph.configure()
    for feed, frame_for in feeds:
        frame = frame_for(0)
        frame.pts, frame.time_base = 0, TIME_BASE
        feed.push(frame)
    return sink.pull().to_ndarray()


def _transform(graph, layer: BenchLayer, node, has_alpha: bool, feeds: list[Feed], threads: int):
    """mask (source space) -> mirror -> scale -> cutout (destination space), as the semantics say."""
    if layer.mask is not None:
        node, has_alpha = _times_alpha(graph, node, has_alpha, layer.mask, feeds), True
    if layer.mirror:
        node = _then(graph, node, "hflip")
    if layer.frames[0].shape[:2] != (layer.height, layer.width):
        node = _then(graph, node, "scale", f"w={layer.width}:h={layer.height}:flags=bilinear:threads={threads}")
    if layer.cutout is not None:
        node = _times_alpha(graph, node, has_alpha, layer.cutout, feeds)
    return node


def _times_alpha(graph, node, has_alpha: bool, factor: np.ndarray, feeds: list[Feed]):
    """alpha x factor / 255: ``alphamerge`` sets alpha, so a source with alpha multiplies first."""
    factor_frame = _frame(factor)
    alpha = graph.add_buffer(width=factor.shape[1], height=factor.shape[0], format="gray", time_base=TIME_BASE)
    feeds.append((alpha, lambda index: factor_frame))
    if has_alpha:
        split = _then(graph, node, "split")
        own = _then(graph, split, "alphaextract", output=1)
        product = graph.add("blend", "all_mode=multiply")
        own.link_to(product, 0, 0)
        alpha.link_to(product, 0, 1)
        node, alpha = split, product
    merged = graph.add("alphamerge")
    node.link_to(merged, 0, 0)
    alpha.link_to(merged, 0, 1)
    return merged


def _then(graph, node, name: str, args: str | None = None, output: int = 0):
    """Add filter ``name`` after output ``output`` of ``node``."""
    nxt = graph.add(name, args) if args else graph.add(name)
    node.link_to(nxt, output, 0)
    return nxt


def _format(pixels: np.ndarray) -> str:
    """PyAV's name for an HxW (mask), HxWx3 (RGB) or HxWx4 (RGBA) uint8 array."""
    return "gray" if pixels.ndim == 2 else {3: "rgb24", 4: "rgba"}[pixels.shape[2]]


def _frame(pixels: np.ndarray) -> av.VideoFrame:
    return av.VideoFrame.from_ndarray(np.ascontiguousarray(pixels), format=_format(pixels))
