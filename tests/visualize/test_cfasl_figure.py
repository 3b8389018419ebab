"""The CFASL codebook picture: dominant elements, rows, and the PNG."""

import numpy as np
import pytest
from PIL import Image

from tfdisent.latents import symmetry
from tfdisent.models import regularizers as r
from tfdisent.models.cfasl import CFASL
from tfdisent.visualize import cfasl as cfasl_figure
from tests.models.helpers import blobs, small_vae


def _model_with_known_attention():
    """4 latents, 3 elements per section: element 2 dominates everywhere,
    only section 0's switch is on."""
    model = small_vae(r.BetaVAE(), [CFASL(elements_per_section=3)], num_latent=4)
    component = model.components[1]
    kernel, _ = component.attention.get_weights()
    bias = np.zeros((3 + 2) * 4, np.float32)
    bias[0:8:2], bias[1:8:2] = 10.0, -10.0  # switches off ...
    bias[0], bias[1] = -10.0, 10.0  # ... but section 0
    bias[8 + 2::3] = 10.0  # element 2 of every section
    component.attention.set_weights([np.zeros_like(kernel), bias])
    return model


def test_section_summary_finds_dominant_elements_and_switch_rates():
    elements, on = cfasl_figure.section_summary(_model_with_known_attention(), blobs(6))
    np.testing.assert_array_equal(elements, [2, 2, 2, 2])
    np.testing.assert_array_equal(on, [1.0, 0.0, 0.0, 0.0])


def test_rows_are_inputs_reconstructions_and_moved_codes():
    model = _model_with_known_attention()
    images = blobs(3).numpy()
    rows = cfasl_figure.section_rows(model, images, np.array([2, 0, 1, 2]))
    assert rows.shape == (2 + 4, 3, 16, 16, 1)
    np.testing.assert_array_equal(rows[0], images)
    mean = model.encode(images)["mean"]
    np.testing.assert_allclose(rows[1], model.decode_images(mean).numpy(), atol=1e-5)
    g = symmetry.expm(model.components[1].codebook.algebra[1, 0])
    moved = model.decode_images(mean @ g).numpy()
    np.testing.assert_allclose(rows[3], moved, atol=1e-4)


def test_codebook_figure_writes_a_png(tmp_path):
    path = str(tmp_path / "sub" / "codebook.png")
    assert cfasl_figure.codebook_figure(_model_with_known_attention(), blobs(6), path) == path
    picture = Image.open(path)
    assert picture.format == "PNG" and picture.size[0] > 100 and picture.size[1] > 100


def test_models_without_cfasl_and_single_images_are_refused(tmp_path):
    with pytest.raises(ValueError, match="no CFASL"):
        cfasl_figure.codebook_figure(small_vae(r.BetaVAE()), blobs(4), str(tmp_path / "x.png"))
    with pytest.raises(ValueError, match="at least 2"):
        cfasl_figure.codebook_figure(_model_with_known_attention(), blobs(1),
                                     str(tmp_path / "x.png"))
