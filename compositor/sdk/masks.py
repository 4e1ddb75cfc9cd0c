"""Person masks for the frames the facade gathers: one per participant and camera frame.

The facade asks for a mask whenever a frame needs one (a virtual background behind the local
user, or a 'person' cutout). Direct mode runs the segmenter in the caller's thread, once per
camera frame (cached by sequence number): deterministic, for tests and scripts that render on
demand. Live mode hands each frame to that participant's own segmentation thread and takes the
newest finished mask, so inference never blocks the render loop.

Each participant gets its own stream of the segmenter (`Segmenter.stream()`: the model is shared,
the temporal smoothing is not), so two people segmented in turn never bleed into each other's mask.

A segmenter that fails is not fatal: that participant's video is drawn without background
replacement (no mask at all, never a stale one), the failure is logged once, and the mask comes
back by itself when the model works again (issue 8).
"""

from __future__ import annotations

import logging

import numpy as np

log = logging.getLogger(__name__)


class PersonMasks:
    def __init__(self, segmenter, live: bool = False):
        self.segmenter = segmenter        # anything with segment(rgb) -> HxW uint8, or None
        self.live = live
        self._cache: dict[str, tuple[int | None, np.ndarray | None, tuple[int, int]]] = {}
        self._threads: dict = {}          # participantUUID -> LiveSegmenter
        self._streams: dict = {}          # participantUUID -> that participant's segmenter stream
        self._errors: dict[str, str] = {}  # participantUUID -> why its segmentation fails now
        self._blurred: tuple[int | None, np.ndarray] | None = None

    @property
    def errors(self) -> dict[str, str]:
        return dict(self._errors)

    def mask(self, uuid: str, rgb: np.ndarray, seq: int | None) -> np.ndarray | None:
        """This participant's person mask for this frame, or None (none yet, or failing)."""
        if self.live:
            return self._live_mask(uuid, rgb, seq)
        cached = self._cache.get(uuid)
        if cached is not None and seq is not None and cached[0] == seq and cached[2] == rgb.shape[:2]:
            return cached[1]
        try:
            mask = self._stream(uuid).segment(rgb)
        except Exception as error:   # noqa: BLE001 - a failing model must not stop the video
            mask = self._failed(uuid, error)
        else:
            self._works(uuid)
        self._cache[uuid] = (seq, mask, rgb.shape[:2])
        return mask

    def _live_mask(self, uuid: str, rgb: np.ndarray, seq: int | None) -> np.ndarray | None:
        from compositor.segmentation import LiveSegmenter

        thread = self._threads.get(uuid)
        if thread is None:   # on_error: failures are reported here, per participant
            thread = self._threads[uuid] = LiveSegmenter(self._stream(uuid), on_error=lambda error: None)
        thread.submit(rgb, seq if seq is not None else 0)
        if thread.failing:                      # a stale mask would cut the wrong shape: none at all
            return self._failed(uuid, thread.last_error)
        self._works(uuid)
        latest = thread.latest()
        return None if latest is None or latest[0].shape != rgb.shape[:2] else latest[0]

    def blurred(self, rgb: np.ndarray, seq: int | None) -> np.ndarray:
        """The frame blurred for setVirtualBackground({blur: true}), once per camera frame."""
        from compositor.segmentation import blur_background

        cached = self._blurred
        if cached is None or seq is None or cached[0] != seq or cached[1].shape[:2] != rgb.shape[:2]:
            cached = self._blurred = (seq, blur_background(rgb))
        return cached[1]

    def forget(self, uuid: str) -> None:
        """A participant left: drop their cache and end their segmentation thread."""
        self._cache.pop(uuid, None)
        self._errors.pop(uuid, None)
        self._streams.pop(uuid, None)
        thread = self._threads.pop(uuid, None)
        if thread is not None:
            thread.close()

    def close(self) -> None:
        for thread in list(self._threads.values()):
            thread.close()
        self._threads.clear()

    def _stream(self, uuid: str):
        """This participant's segmenter: a stream of the shared one when it has streams (the
        real Segmenter), else the segmenter itself (stateless stand-ins in tests)."""
        stream = self._streams.get(uuid)
        if stream is None:
            make = getattr(self.segmenter, "stream", None)
            stream = self._streams[uuid] = make() if make is not None else self.segmenter
        return stream

    def _failed(self, uuid: str, error: BaseException | None) -> None:
        if uuid not in self._errors:
            self._errors[uuid] = reason = f"{type(error).__name__}: {error}"
            log.error("person segmentation failed for participant %s (%s); showing their video without "
                      "background replacement until it works again", uuid, reason)
        return None

    def _works(self, uuid: str) -> None:
        if self._errors.pop(uuid, None) is not None:
            log.info("person segmentation for participant %s works again", uuid)
