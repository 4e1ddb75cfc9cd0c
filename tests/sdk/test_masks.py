"""PersonMasks: per-participant masks, cached per frame, failures contained and reported once."""

import logging

import numpy as np

from compositor.sdk.masks import PersonMasks


class Counting:
    def __init__(self):
        self.calls, self.fail = 0, False

    def segment(self, rgb):
        self.calls += 1
        if self.fail:
            raise RuntimeError("model broke")
        return np.full(rgb.shape[:2], 200, np.uint8)


def test_one_inference_per_camera_frame_and_participant():
    segmenter = Counting()
    masks = PersonMasks(segmenter)
    rgb = np.zeros((4, 6, 3), np.uint8)
    assert masks.mask("a", rgb, 1)[0, 0] == 200
    masks.mask("a", rgb, 1)
    masks.mask("b", rgb, 1)
    masks.mask("a", rgb, 2)
    assert segmenter.calls == 3


def test_a_failing_model_gives_no_mask_is_reported_once_and_recovers(caplog):
    segmenter = Counting()
    masks = PersonMasks(segmenter)
    rgb = np.zeros((4, 6, 3), np.uint8)
    segmenter.fail = True
    with caplog.at_level(logging.INFO, logger="compositor.sdk.masks"):
        assert masks.mask("a", rgb, 1) is None and masks.mask("a", rgb, 2) is None
        assert masks.errors == {"a": "RuntimeError: model broke"}
        segmenter.fail = False
        assert masks.mask("a", rgb, 3) is not None and masks.errors == {}
    failures = [r for r in caplog.records if "failed" in r.getMessage()]
    assert len(failures) == 1 and any("works again" in r.getMessage() for r in caplog.records)


def test_forget_and_close_end_live_threads():
    import threading

    masks = PersonMasks(Counting(), live=True)
    before = threading.active_count()
    masks.mask("a", np.zeros((4, 6, 3), np.uint8), 1)
    assert threading.active_count() == before + 1
    masks.forget("a")
    masks.mask("b", np.zeros((4, 6, 3), np.uint8), 1)
    masks.close()
    masks.close()
    assert threading.active_count() == before


class Streams:
    """A segmenter with streams, like compositor.segmentation.Segmenter: each remembers whose
    frames it saw."""

    def __init__(self):
        self.made, self.seen = [], []

    def stream(self):
        stream = Streams()
        self.made.append(stream)
        return stream

    def segment(self, rgb):
        self.seen.append(int(rgb[0, 0, 0]))
        return np.full(rgb.shape[:2], 255, np.uint8)


def test_each_participant_has_its_own_segmenter_stream_in_both_modes():
    for live in (False, True):
        segmenter = Streams()
        masks = PersonMasks(segmenter, live=live)
        for seq in range(1, 4):
            for uuid, value in (("a", 1), ("b", 2)):
                masks.mask(uuid, np.full((4, 6, 3), value, np.uint8), seq)
        masks.close()
        assert len(segmenter.made) == 2, live
        seen = [set(stream.seen) for stream in segmenter.made]
        if live:        # a live thread may be closed before it took a frame, never one of the other's
            assert seen[0] <= {1} and seen[1] <= {2}, seen
        else:
            assert seen == [{1}, {2}]
        masks.forget("a")
        masks.mask("a", np.full((4, 6, 3), 1, np.uint8), 9)      # a new stream after leaving
        masks.close()
        assert len(segmenter.made) == 3
