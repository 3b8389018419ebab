"""CLG-VAE: the Lie-group map and its penalties, the nets, the objective,
training, and CFASL on top of it."""

import numpy as np
import pytest
import scipy.linalg
import tensorflow as tf

from tfdisent import optimizers
from tfdisent.latents import lie_group
from tfdisent.models import clg_vae
from tfdisent.models.base import total_loss
from tfdisent.models.cfasl import CFASL
from tfdisent.models.vae import VAE
from tfdisent.nets import cnn4

SHAPE = (64, 64, 1)


def _unit(i, j, dim):
    m = np.zeros((dim, dim), np.float32)
    m[i, j] = 1.0
    return m


def squares(n=8, seed=0):
    rs = np.random.RandomState(seed)
    x = np.zeros((n, *SHAPE), np.float32)
    for i, (a, b) in enumerate(rs.randint(0, 44, size=(n, 2))):
        x[i, a:a + 20, b:b + 20] = 1.0
    return tf.constant(x)


def clg_model(extensions=(), num_latent=4, **options):
    model = VAE(SHAPE, regularizer=clg_vae.CLGVAE(**options), extensions=extensions,
                encoder=clg_vae.clg_encoder(SHAPE, num_latent),
                decoder=clg_vae.clg_decoder(num_latent, SHAPE))
    model.forward(tf.zeros([2, *SHAPE]), training=False)
    model.compile(optimizer=optimizers.make_optimizer(learning_rate=1e-3))
    model.build_optimizers()
    return model


def test_penalties_vanish_for_commuting_bases_with_orthogonal_support():
    basis = np.stack([c * _unit(d, d, 4) for d, c in enumerate([0.5, -1.0, 2.0])])
    assert float(lie_group.hessian_penalty(basis)) == 0.0
    assert float(lie_group.commute_penalty(basis)) == 0.0
    noisy = basis + 0.1 * np.random.RandomState(0).normal(size=basis.shape)
    assert float(lie_group.hessian_penalty(noisy.astype(np.float32))) > 1e-3
    assert float(lie_group.commute_penalty(noisy.astype(np.float32))) > 1e-3


def test_penalty_hand_values():
    # A0 = E01, A1 = E10: products E00, E11 (symmetric) -> Hessian 2/4, commute 0.
    basis = np.stack([_unit(0, 1, 2), _unit(1, 0, 2)])
    assert float(lie_group.hessian_penalty(basis)) == pytest.approx(0.5)
    assert float(lie_group.commute_penalty(basis)) == 0.0
    # A0 = E01, A1 = E12: A1 A0 = 0, A0 A1 = E02 -> Hessian 1/4,
    # commute ||E02 - E20||^2 / 4 = 2/4.
    basis = np.stack([_unit(0, 1, 3), _unit(1, 2, 3)])
    assert float(lie_group.hessian_penalty(basis)) == pytest.approx(0.25)
    assert float(lie_group.commute_penalty(basis)) == pytest.approx(0.5)


def test_lie_map_is_expm_of_the_code_weighted_basis():
    layer = lie_group.LieAlgebraBasis(3, matrix_size=4, stddev=0.5)
    z = np.array([[0.0, 0.0, 0.0], [0.3, -1.0, 0.7]], np.float32)
    features = layer(z).numpy()
    assert features.shape == (2, 16)
    np.testing.assert_allclose(features[0], np.eye(4).ravel(), atol=1e-6)
    basis = layer.basis.numpy()
    expected = scipy.linalg.expm(np.tensordot(z[1], basis, axes=1))
    np.testing.assert_allclose(features[1], expected.ravel(), rtol=1e-4, atol=1e-5)
    assert np.std(lie_group.LieAlgebraBasis(10).basis.numpy()) < 0.002


def test_encoder_and_decoder_shapes():
    encoded = clg_vae.clg_encoder(SHAPE, 6)(tf.zeros([3, *SHAPE]))
    assert encoded["mean"].shape == encoded["logvar"].shape == (3, 6)
    features = encoded["group_features"].numpy()
    assert features.shape == (3, 100) and features.min() > 0 and features.max() < 1
    decoder = clg_vae.clg_decoder(6, (64, 64, 3))
    assert decoder(tf.zeros([5, 6])).shape == (5, 64, 64, 3)
    assert decoder.group_features(tf.zeros([5, 6])).shape == (5, 100)


def test_terms_and_weights():
    model = clg_model(hessian_weight=40.0, commute_weight=20.0,
                      group_reconstruction_weight=0.5)
    terms, ctx = model.forward(squares(4), training=False)
    assert set(terms) == {"reconstruction_loss", "kl_loss", "clg_hessian",
                          "clg_commute", "clg_group_reconstruction"}
    assert (terms["clg_hessian"].weight, terms["clg_commute"].weight,
            terms["clg_group_reconstruction"].weight) == (40.0, 20.0, 0.5)
    encoded = model.encode(squares(4))["group_features"]
    decoded = model.decoder.group_features(ctx.z)
    expected = tf.reduce_mean(tf.reduce_sum(tf.square(encoded - decoded), 1))
    assert float(terms["clg_group_reconstruction"].value) == pytest.approx(
        float(expected), rel=1e-5)


@pytest.mark.parametrize("probability,training,from_encoder", [
    (1.0, True, True), (0.0, True, False), (1.0, False, False)])
def test_reconstruction_is_decoded_from_encoder_features_with_the_probability(
        probability, training, from_encoder):
    model = clg_model(feature_decode_probability=probability)
    x = squares(4)
    _, ctx = model.forward(x, training=training)
    features = (model.encode(x)["group_features"] if from_encoder
                else model.decoder.group_features(ctx.z))
    np.testing.assert_allclose(ctx.reconstruction_logits.numpy(),
                               model.decoder.decode_features(features).numpy(),
                               atol=1e-4)


def test_wrong_nets_are_refused_with_one_message():
    with pytest.raises(ValueError, match="clg_encoder"):
        VAE(SHAPE, regularizer=clg_vae.CLGVAE(),
            encoder=cnn4.cnn4_encoder(SHAPE, 4), decoder=cnn4.cnn4_decoder(4, SHAPE))
    with pytest.raises(ValueError, match="matrix_size"):
        VAE(SHAPE, regularizer=clg_vae.CLGVAE(),
            encoder=clg_vae.clg_encoder(SHAPE, 4, group_size=64),
            decoder=clg_vae.clg_decoder(4, SHAPE))


def test_short_training_lowers_the_loss():
    model = clg_model()
    data = tf.data.Dataset.from_tensors(squares(8)).repeat()
    before = model.evaluate(data, steps=1, verbose=0, return_dict=True)
    model.fit(data, epochs=1, steps_per_epoch=15, verbose=0)
    after = model.evaluate(data, steps=1, verbose=0, return_dict=True)
    assert after["loss"] < 0.7 * before["loss"]


def test_cfasl_on_clg_decodes_transformed_codes_through_the_lie_decoder():
    model = clg_model([CFASL(elements_per_section=2, codebook_stddev=1e-6)],
                      feature_decode_probability=1.0)
    x = squares(4)
    with tf.GradientTape() as tape:
        terms, ctx = model.forward(x, training=True)
        loss = total_loss(terms)
    c = ctx.cfasl
    transformed = tf.concat([c["z2_to_1"], c["z1_to_2"]], 0)
    np.testing.assert_allclose(c["transformed_logits"].numpy(),
                               model.decoder(transformed).numpy(), atol=1e-4)
    features = model.encode(x)["group_features"]  # CLG's own reconstruction
    np.testing.assert_allclose(ctx.reconstruction_logits.numpy(),
                               model.decoder.decode_features(features).numpy(),
                               atol=1e-4)
    variables = [model.decoder.lie.basis, model.components[1].codebook.algebra]
    for grad in tape.gradient(loss, variables):
        assert float(tf.reduce_max(tf.abs(grad))) > 0
