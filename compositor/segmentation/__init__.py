"""Person segmentation for virtual backgrounds and the 'person' cutout (issue 6).

    from compositor.segmentation import Segmenter, LiveSegmenter, blur_background

    seg = Segmenter()                       # landscape model, LiteRT (or OpenCV DNN as a fallback)
    mask = seg.segment(rgb)                 # H x W uint8, 255 = person, smoothed over frames
    with LiveSegmenter(seg, rate=15) as live:
        live.submit(rgb, seq)               # from the render loop; never waits for inference
        mask, mask_seq = live.latest()      # newest mask (None before the first one)
    background = blur_background(rgb)       # for setVirtualBackground({blur: true})

The MediaPipe Selfie Segmentation models (Apache-2.0) ship in `models/`; nothing is downloaded.
"""

from compositor.segmentation.blur import blur_background
from compositor.segmentation.live import LiveSegmenter
from compositor.segmentation.models import MODELS, SegmenterUnavailable
from compositor.segmentation.segmenter import Segmenter

__all__ = ["MODELS", "LiveSegmenter", "Segmenter", "SegmenterUnavailable", "blur_background"]
