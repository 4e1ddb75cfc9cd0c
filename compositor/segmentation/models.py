"""The vendored person-segmentation models: which ones exist, where they are, and that they are intact.

The two MediaPipe Selfie Segmentation models ship inside this package (see `models/README.md` for
where they came from). Nothing is ever downloaded at run time.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from compositor.errors import LayersError, LayersValueError

MODEL_DIR = Path(__file__).with_name("models")


class SegmenterUnavailable(LayersError, RuntimeError):
    """No runtime could load the person-segmentation model (or the model file is missing or damaged)."""


@dataclass(frozen=True)
class ModelSpec:
    """One vendored model: its file, its input size (the model stretches the frame to it) and checksum."""

    name: str
    filename: str
    width: int
    height: int
    sha256: str

    @property
    def path(self) -> Path:
        return MODEL_DIR / self.filename


MODELS: dict[str, ModelSpec] = {
    # 256x144 keeps a 16:9 webcam frame's aspect ratio (an exact 5x decimation of 1280x720), and is
    # about twice as fast as "general": the default for video.
    "landscape": ModelSpec(
        "landscape", "selfie_segmentation_landscape.tflite", 256, 144,
        "a77d03f4659b9f6b6c1f5106947bf40e99d7655094b6527f214ea7d451106edd",
    ),
    # 256x256: better on square or portrait input, and a bit more accurate overall.
    "general": ModelSpec(
        "general", "selfie_segmentation.tflite", 256, 256,
        "9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c",
    ),
}

DEFAULT_MODEL = "landscape"


def model_spec(name: str) -> ModelSpec:
    """The spec for `name` ("landscape" or "general"), or a LayersValueError naming the choices."""
    try:
        return MODELS[name]
    except (KeyError, TypeError):
        raise LayersValueError(
            f"unknown segmentation model {name!r}: expected one of {', '.join(map(repr, MODELS))}"
        ) from None


def load_model_bytes(spec: ModelSpec) -> bytes:
    """The model file's bytes, checked against the vendored sha256.

    A missing file or a wrong checksum (a truncated copy, a Git LFS pointer) raises
    SegmenterUnavailable with the path, so the user sees what is wrong instead of an opaque
    flatbuffer error from the runtime.
    """
    try:
        data = spec.path.read_bytes()
    except OSError as exc:
        raise SegmenterUnavailable(
            f"segmentation model file {str(spec.path)!r} cannot be read ({exc.strerror or exc}); "
            "reinstall layers-compositor, the .tflite files ship inside the package"
        ) from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != spec.sha256:
        raise SegmenterUnavailable(
            f"segmentation model file {str(spec.path)!r} is damaged: sha256 {digest} "
            f"({len(data)} bytes), expected {spec.sha256}; see compositor/segmentation/models/README.md"
        )
    return data
