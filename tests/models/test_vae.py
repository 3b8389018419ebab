"""The composed VAE: terms, training, randomness, gradients, components."""

import numpy as np
import pytest
import tensorflow as tf

from tfdisent.models import regularizers as r
from tfdisent.models.base import Component, Term, total_loss
from tests.models.helpers import blobs, fit_steps, small_vae


@pytest.mark.parametrize("regularizer,names", [
    (r.BetaVAE(4.0), {"kl_loss"}),
    (r.BetaTCVAE(6.0), {"kl_loss", "total_correlation"}),
    (r.DIPVAE(10.0), {"kl_loss", "dip_off_diagonal", "dip_diagonal"}),
    (r.FactorVAE(10.0), {"kl_loss", "total_correlation"}),
])
def test_loss_falls_and_every_term_is_logged(regularizer, names):
    model = small_vae(regularizer)
    before, after = fit_steps(model, blobs(), 60)
    assert names | {"loss", "reconstruction_loss"} <= set(after)
    assert after["loss"] < 0.8 * before["loss"]
    assert int(model.global_step.numpy()) == 60


def test_loss_is_the_weighted_sum_of_terms():
    terms = {"a": Term(tf.constant(2.0), 3.0), "b": Term(tf.constant(5.0))}
    assert float(total_loss(terms)) == 11.0


def test_deterministic_encoder_gives_an_autoencoder_without_kl():
    model = small_vae(r.NoRegularizer(), deterministic=True)
    terms, ctx = model.forward(blobs(4), training=True)
    assert set(terms) == {"reconstruction_loss"}
    np.testing.assert_array_equal(ctx.z.numpy(), ctx.z_mean.numpy())
    assert not model.stochastic


def test_posterior_noise_is_a_function_of_seed_and_step():
    a, b = small_vae(r.BetaVAE(), seed=3), small_vae(r.BetaVAE(), seed=3)
    c = small_vae(r.BetaVAE(), seed=4)
    x = blobs(4)
    eps_a = a.forward(x, True)[1].eps.numpy()
    np.testing.assert_array_equal(eps_a, b.forward(x, True)[1].eps.numpy())
    assert not np.allclose(eps_a, c.forward(x, True)[1].eps.numpy())
    a.global_step.assign(1)
    assert not np.allclose(eps_a, a.forward(x, True)[1].eps.numpy())


def test_gradients_reach_encoder_and_decoder():
    model = small_vae(r.BetaVAE(1.0))
    with tf.GradientTape() as tape:
        loss = total_loss(model.forward(blobs(8), True)[0])
    grads = tape.gradient(loss, model.trainable_variables)
    for var, grad in zip(model.trainable_variables, grads):
        assert grad is not None and float(tf.reduce_max(tf.abs(grad))) > 0, var.path


def test_factor_vae_discriminator_is_trained_only_by_its_own_update():
    model = small_vae(r.FactorVAE(10.0))
    disc = model.components[0].discriminator
    main_ids = {id(v) for g in model.optimizer_groups() for v in g.variables}
    assert not main_ids & {id(v) for v in disc.trainable_variables}
    before = [v.numpy().copy() for v in disc.trainable_variables]
    fit_steps(model, blobs(), 3)
    after = [v.numpy() for v in disc.trainable_variables]
    assert any(not np.allclose(b, a) for b, a in zip(before, after))
    assert int(model.components[0].optimizer.iterations.numpy()) == 3


class _Scaled(Component):
    """A test extension: a term, and a group with its own optimizer."""

    def attach(self, model):
        self.scale = self.add_weight(name="scale", shape=(), initializer="ones")
        from tfdisent import optimizers
        from tfdisent.models.base import OptimizerGroup
        self.group = OptimizerGroup("scale", [self.scale],
                                    optimizers.make_optimizer(learning_rate=0.5))

    def optimizer_groups(self):
        return [self.group]

    def terms(self, ctx):
        return {"scaled_norm": Term(tf.square(self.scale - 3.0), 1.0)}


def test_extension_terms_and_optimizer_groups():
    model = small_vae(r.BetaVAE(), extensions=[_Scaled()])
    ext = model.components[1]
    assert [g.name for g in model.optimizer_groups()] == ["main", "scale"]
    main = model.optimizer_groups()[0].variables
    assert all(v is not ext.scale for v in main)
    fit_steps(model, blobs(), 20)
    assert float(ext.scale.numpy()) > 2.0  # its own lr (0.5) moved it towards 3
    assert int(ext.group.optimizer.iterations.numpy()) == 20
