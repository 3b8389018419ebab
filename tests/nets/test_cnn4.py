"""The CFASL/MIPE 4-conv nets: the hidden width of the official per-dataset table."""

import gin
import pytest

from tfdisent.data import registry  # noqa: F401  (registers dataset.name)
from tfdisent.nets import cnn4


def dense_widths(model):
    return [layer.units for layer in model.layers if hasattr(layer, "units")]


@pytest.mark.parametrize("dataset, channels, width", [
    ("sprites", 1, 128), ("dsprites_full", 1, 128),   # DATA_HIDDEN_DIM["dsprites"] = [256, 128]
    ("smallnorb", 1, 256),                             # DATA_HIDDEN_DIM["smallnorb"] = [256, 256]
    ("shapes3d", 3, 256), ("cars3d", 3, 256),          # shapes3d, car: [256, 256]
    (None, 1, 128), (None, 3, 256)])                   # not in the table: by channels
def test_hidden_width_follows_the_official_table(dataset, channels, width):
    gin.clear_config()
    try:
        if dataset:
            gin.bind_parameter("dataset.name", dataset)
        encoder = cnn4.cnn4_encoder((64, 64, channels), 10)
        decoder = cnn4.cnn4_decoder(10, (64, 64, channels))
    finally:
        gin.clear_config()
    assert dense_widths(encoder) == [width, 10, 10]
    assert dense_widths(decoder)[:2] == [width, 1024]


def test_an_explicit_width_wins():
    gin.clear_config()
    try:
        gin.bind_parameter("dataset.name", "smallnorb")
        assert dense_widths(cnn4.cnn4_encoder((64, 64, 1), 4, hidden=64))[0] == 64
    finally:
        gin.clear_config()
