"""The vendored models: present, intact, licensed, and a clear error when they are not."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest

from compositor.errors import LayersError, LayersValueError
from compositor.segmentation.models import (
    MODEL_DIR, MODELS, SegmenterUnavailable, load_model_bytes, model_spec,
)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_vendored_model_matches_its_checksum(name):
    spec = MODELS[name]
    data = load_model_bytes(spec)
    assert hashlib.sha256(data).hexdigest() == spec.sha256
    assert spec.sha256 in (MODEL_DIR / "README.md").read_text()


def test_licence_is_shipped_with_the_models():
    assert "Apache License" in (MODEL_DIR / "LICENSE").read_text()


def test_landscape_input_is_an_exact_fifth_of_720p():
    spec = model_spec("landscape")
    assert (spec.width * 5, spec.height * 5) == (1280, 720)


def test_unknown_model_names_the_choices():
    with pytest.raises(LayersValueError, match=r"'portrait'.*'landscape', 'general'"):
        model_spec("portrait")


def test_missing_model_file_is_unavailable_with_its_path():
    spec = dataclasses.replace(MODELS["landscape"], filename="../nowhere/missing.tflite")
    with pytest.raises(SegmenterUnavailable, match="missing.tflite.*cannot be read"):
        load_model_bytes(spec)


def test_damaged_model_file_is_unavailable(monkeypatch, tmp_path):
    (tmp_path / "selfie_segmentation_landscape.tflite").write_text(
        "version https://git-lfs.github.com/spec/v1\n")
    monkeypatch.setattr("compositor.segmentation.models.MODEL_DIR", tmp_path)
    with pytest.raises(SegmenterUnavailable, match="is damaged: sha256"):
        load_model_bytes(MODELS["landscape"])


def test_unavailable_is_a_layers_error():
    assert issubclass(SegmenterUnavailable, LayersError)
    assert issubclass(SegmenterUnavailable, RuntimeError)
