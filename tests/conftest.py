"""Shared pytest setup: quiet TensorFlow, CPU only, and small helpers."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import gin  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def clean_gin_config():
    """Every test starts from an empty gin config (train.load_model leaves a
    model directory's config parsed, as bin/distill needs it)."""
    gin.clear_config()
    yield
    gin.clear_config()
