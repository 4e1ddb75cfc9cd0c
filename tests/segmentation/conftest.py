"""Shared test images: real photographs of a person from scikit-image (a test-only dependency)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    """skimage's 512x512 portrait of Eileen Collins (public domain, NASA), RGB uint8."""
    data = pytest.importorskip("skimage.data", reason="scikit-image is needed for the photo tests")
    return data.astronaut()


@pytest.fixture(scope="session")
def astronaut_720p(astronaut) -> np.ndarray:
    """Head and shoulders framed like a 16:9 webcam: the top 512x288 of the photo scaled to 1280x720."""
    return cv2.resize(astronaut[:288], (1280, 720), interpolation=cv2.INTER_CUBIC)
