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
