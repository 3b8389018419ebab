"""Codes of a model on data, latent usage (KL / variance) and prior draws."""

import numpy as np
import pytest

from tfdisent.models import regularizers as r
from tfdisent.models.qlae import QLAE
from tfdisent.visualize import codes
from tests.models.helpers import blobs, small_vae


@pytest.fixture(scope="module")
def gaussian_model():
    return small_vae(r.BetaVAE())


@pytest.fixture(scope="module")
def qlae_model():
    return small_vae(QLAE(), deterministic=True)


def test_kl_per_latent_by_hand():
    mean = np.array([[0.0, 1.0, 0.0], [0.0, -1.0, 0.0]])
    logvar = np.array([[0.0, 0.0, np.log(4.0)], [0.0, 0.0, np.log(4.0)]])
    np.testing.assert_allclose(codes.kl_per_latent(mean, logvar),
                               [0.0, 0.5, 0.5 * (4.0 - np.log(4.0) - 1.0)])


def test_usage_orders_gaussian_latents_by_kl_and_others_by_variance():
    mean = np.array([[0.0, 2.0, 1.0], [0.0, -2.0, -1.0]])
    gaussian = codes.EncodedData(mean, np.zeros_like(mean), mean)
    usage = codes.latent_usage(gaussian)
    assert usage.score_name == "KL"
    np.testing.assert_allclose(usage.scores, [0.0, 2.0, 0.5])
    np.testing.assert_array_equal(usage.order, [1, 2, 0])
    deterministic = codes.latent_usage(codes.EncodedData(mean, None, mean))
    assert deterministic.score_name == "var"
    np.testing.assert_allclose(deterministic.scores, [0.0, 4.0, 1.0])
    np.testing.assert_array_equal(deterministic.order, [1, 2, 0])


def test_encode_in_batches_matches_the_model(gaussian_model, monkeypatch):
    monkeypatch.setattr(codes, "BATCH_SIZE", 3)
    images = blobs(7).numpy()
    encoded = codes.encode(gaussian_model, [images[:5], images[5:]])
    expected = gaussian_model.encode(images)
    np.testing.assert_allclose(encoded.latent, expected["mean"].numpy(), atol=1e-5)
    np.testing.assert_allclose(encoded.logvar, expected["logvar"].numpy(), atol=1e-5)
    np.testing.assert_allclose(encoded.representation, encoded.latent, atol=1e-6)
    assert encoded.gaussian


def test_a_quantized_code_is_its_codebook_values(qlae_model):
    encoded = codes.encode(qlae_model, [blobs(6).numpy()])
    assert not encoded.gaussian and encoded.logvar is None
    values = qlae_model.components[0].quantizer.values().numpy()
    for j in range(encoded.latent.shape[1]):
        assert set(encoded.latent[:, j]) <= set(values[j])


def test_decode_keeps_the_leading_shape(gaussian_model):
    decoded = codes.decode(gaussian_model, np.zeros((2, 3, 4)))
    assert decoded.shape == (2, 3, 16, 16, 1)
    single = gaussian_model.decode_images(np.zeros((1, 4), np.float32)).numpy()[0]
    np.testing.assert_allclose(decoded[1, 2], single, atol=1e-6)


def test_find_quantizer(gaussian_model, qlae_model):
    assert codes.find_quantizer(gaussian_model) is None
    assert codes.find_quantizer(qlae_model) is qlae_model.components[0].quantizer


def test_prior_codes_per_kind_of_latent(gaussian_model, qlae_model):
    rs = np.random.RandomState(0)
    encoded = codes.encode(gaussian_model, [blobs(8).numpy()])
    normal = codes.prior_codes(gaussian_model, encoded, 4000, rs)
    assert normal.shape == (4000, 4)
    assert abs(normal.mean()) < 0.05 and abs(normal.std() - 1.0) < 0.05

    quantized = codes.encode(qlae_model, [blobs(8).numpy()])
    drawn = codes.prior_codes(qlae_model, quantized, 2000, rs)
    values = qlae_model.components[0].quantizer.values().numpy()
    for j in range(4):  # uniform over all 10 codebook values, used or not
        assert set(drawn[:, j]) == set(values[j])

    empirical = codes.EncodedData(np.arange(12.0).reshape(6, 2), None,
                                  np.arange(12.0).reshape(6, 2))
    drawn = codes.prior_codes(small_vae(None, num_latent=2, deterministic=True),
                              empirical, 500, rs)
    for j in range(2):  # each latent from its own empirical codes
        assert set(drawn[:, j]) == set(empirical.latent[:, j])
