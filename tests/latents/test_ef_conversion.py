"""EF-conversion: the EF KL and EF-similarity against a numpy reference written
from the note's formulas in the official code's shape ([B, 1, D] vectors,
uᵀ·v outer products summed over -2, x·U·V maps), the mask, the calibration."""

import numpy as np
import pytest
import tensorflow as tf

from tfdisent.latents import ef_conversion as ef

M, B, D = 2, 5, 3
LOW_RANK = ("z_params", "eps_params", "statistic", "log_normaliser")


def random_parameters(seed=0):
    rs = np.random.RandomState(seed)
    params = {}
    for name in LOW_RANK:
        params[name + "/u"] = rs.normal(scale=0.5, size=(M, D, 5 * D))
        params[name + "/v"] = rs.normal(scale=0.5, size=(M, 5 * D, D))
    params["lagrange_kernel"] = rs.normal(scale=0.5, size=(M, D, D))
    params["lagrange_bias"] = rs.normal(scale=0.5, size=(M, 1, D))
    return params


def conversion_with(params):
    layer = ef.EFConversion(M, D)
    for name in LOW_RANK:
        maps = getattr(layer, name)
        maps.u.assign(params[name + "/u"])
        maps.v.assign(params[name + "/v"])
    layer.lagrange_kernel.assign(params["lagrange_kernel"])
    layer.lagrange_bias.assign(params["lagrange_bias"])
    return layer


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def reference_unit(z, eps, p, training):
    """One unit in float64, following the official code's structure."""
    z, eps = z[:, None, :], eps[:, None, :]                       # [B, 1, D]

    def lowrank(x, name):
        return x @ p[name + "/u"] @ p[name + "/v"]

    def masked(w):
        return w * (np.abs(w) >= np.abs(w).mean()) if training else w

    u, v = masked(p["log_normaliser/u"]), masked(p["log_normaliser/v"])

    def log_norm(x):
        return sigmoid(x @ u @ v)

    one = u @ v

    def outer_sum(a, b):  # matmul(aᵀ, b).sum(dim=-2, keepdim=True)
        return (np.swapaxes(a, -2, -1) @ b).sum(axis=-2, keepdims=True)

    def lam(x):
        return x @ p["lagrange_kernel"] + p["lagrange_bias"]

    theta_z, theta_eps = lowrank(z, "z_params"), lowrank(eps, "eps_params")
    lz, le = sigmoid(log_norm(theta_z)), sigmoid(log_norm(theta_eps))
    kl = (le - (outer_sum(theta_eps, le * (1 - le)) @ one)
          - lz + (outer_sum(theta_z, lz * (1 - lz)) @ one))

    def nabla(l, name):
        return log_norm(lowrank((l * (1 - l)) @ one, name))

    nz, ne = nabla(lz, "z_params"), nabla(le, "eps_params")
    g_kl_z = -nz + lowrank(log_norm(lz * (1 - lz)), "z_params")
    g_kl_z = g_kl_z + outer_sum(theta_z, log_norm(nz * (1 - lz)))
    g_kl_z = lam(g_kl_z - outer_sum(theta_z, log_norm(nz * lz)))
    g_kl_e = ne - lowrank(log_norm(le * (1 - le)), "eps_params")
    g_kl_e = g_kl_e - outer_sum(theta_eps, log_norm(ne * (1 - le)))
    g_kl_e = lam(g_kl_e + outer_sum(theta_eps, log_norm(ne * le)))
    stat_sum = lowrank(z, "statistic").sum(axis=0, keepdims=True)
    g_post_z = lowrank(stat_sum, "z_params") + lowrank(theta_z, "statistic") * len(z) - nz
    g_post_e = 2 * outer_sum(theta_z, theta_eps)
    similarity = (np.linalg.norm(g_kl_z + g_post_z, axis=-1)
                  + np.linalg.norm(g_kl_e + g_post_e, axis=-1)
                  + np.linalg.norm(kl, axis=-1))
    return kl[:, 0], similarity[:, 0]


def unit_parameters(params, unit):
    return {k: v[unit] for k, v in params.items()}


@pytest.mark.parametrize("training", [True, False])
def test_terms_match_the_numpy_reference(training):
    params = random_parameters()
    rs = np.random.RandomState(1)
    z_hat, eps_hat = rs.normal(size=(2, M, B, D))
    kl, similarity = conversion_with(params).terms(
        tf.constant(z_hat, tf.float32), tf.constant(eps_hat, tf.float32), training)
    assert kl.shape == (M, B, D) and similarity.shape == (M, B)
    for unit in range(M):
        ref_kl, ref_similarity = reference_unit(
            z_hat[unit], eps_hat[unit], unit_parameters(params, unit), training)
        np.testing.assert_allclose(kl[unit].numpy(), ref_kl, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(similarity[unit].numpy(), ref_similarity,
                                   rtol=1e-4, atol=1e-4)


def test_mask_changes_the_terms_only_in_training():
    layer = conversion_with(random_parameters(seed=2))
    z_hat, eps_hat = tf.random.normal([2, M, B, D], seed=3)
    train_kl, _ = layer.terms(z_hat, eps_hat, training=True)
    eval_kl, _ = layer.terms(z_hat, eps_hat, training=False)
    assert not np.allclose(train_kl.numpy(), eval_kl.numpy(), atol=1e-3)


def test_only_the_log_normaliser_is_masked_and_only_in_training():
    layer = conversion_with(random_parameters(seed=4))
    for name in LOW_RANK:
        maps = getattr(layer, name)
        u, v = maps.u.numpy(), maps.v.numpy()
        np.testing.assert_allclose(maps.matrix(training=False).numpy(), u @ v, rtol=1e-5)
        if name == "log_normaliser":
            mu = np.abs(u) >= np.abs(u).mean(axis=(1, 2), keepdims=True)
            mv = np.abs(v) >= np.abs(v).mean(axis=(1, 2), keepdims=True)
            expected = (u * mu) @ (v * mv)
            assert 0 < mu.mean() < 1 and 0 < mv.mean() < 1
        else:
            expected = u @ v
        np.testing.assert_allclose(maps.matrix(training=True).numpy(), expected,
                                   rtol=1e-5, atol=1e-6)


def test_magnitude_mask_by_hand_and_not_differentiated():
    w = tf.Variable([[[1.0, -3.0], [0.5, 4.0]]])  # mean |w| = 2.125
    np.testing.assert_array_equal(ef.magnitude_mask(w).numpy(), [[[0, 1], [0, 1]]])
    with tf.GradientTape() as tape:
        masked = tf.reduce_sum(w * ef.magnitude_mask(w))
    # d/dw (w ⊙ M) = M: the mask itself contributes no gradient.
    np.testing.assert_array_equal(tape.gradient(masked, w).numpy(), [[[0, 1], [0, 1]]])


def test_gradients_reach_every_ef_variable():
    layer = conversion_with(random_parameters(seed=5))
    z_hat, eps_hat = tf.random.normal([2, M, B, D], seed=6)
    with tf.GradientTape() as tape:
        kl, similarity = layer.terms(z_hat, eps_hat, training=True)
        loss = tf.reduce_sum(kl) + tf.reduce_sum(similarity)
    grads = tape.gradient(loss, layer.trainable_variables)
    assert len(grads) == 10
    for var, grad in zip(layer.trainable_variables, grads):
        assert grad is not None and float(tf.reduce_max(tf.abs(grad))) > 0, var.path


def test_calibration_by_hand():
    value = ef.calibration_loss(tf.constant([1.0, 2.0]), tf.constant([0.5, 1.0]), 3.0)
    assert float(value) == pytest.approx(((1 - 1.5) ** 2 + (2 - 3) ** 2) / 2)


def test_default_initialisation_is_xavier_uniform_and_torch_bias():
    layer = ef.EFConversion(M, 10)
    limit = np.sqrt(6.0 / (10 + 50))
    u = layer.z_params.u.numpy()
    assert u.shape == (M, 10, 50) and np.abs(u).max() <= limit
    assert np.abs(u).max() > 0.9 * limit
    bias = layer.lagrange_bias.numpy()
    assert bias.shape == (M, 1, 10) and np.abs(bias).max() <= 10 ** -0.5
