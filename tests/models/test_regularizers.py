"""Regularizers: exact values against independent numpy transcriptions."""

import numpy as np
import pytest
import tensorflow as tf
from scipy.special import logsumexp

from tfdisent.models import regularizers as r
from tfdisent.models.base import Context


def numpy_stratified_weights(batch_size, dataset_size):
    """Chen et al.'s log_importance_weight_matrix, transcribed statement by statement."""
    m = batch_size - 1
    strat = (dataset_size - m) / (dataset_size * m)
    w = np.full((batch_size, batch_size), 1.0 / m)
    flat = w.reshape(-1)
    flat[::m + 1] = 1.0 / dataset_size
    flat[1::m + 1] = strat
    w[m - 1, 0] = strat
    return np.log(w)


@pytest.mark.parametrize("batch_size", [4, 7, 64])
def test_stratified_weights_match_released_code(batch_size):
    got = r.stratified_log_weights(batch_size, 1000).numpy()
    np.testing.assert_allclose(got, numpy_stratified_weights(batch_size, 1000), rtol=1e-6)


def gaussian_ctx(seed=0, batch=6, k=3):
    rs = np.random.RandomState(seed)
    mean = rs.randn(batch, k).astype("float32")
    logvar = (0.3 * rs.randn(batch, k)).astype("float32")
    z = (mean + np.exp(logvar / 2) * rs.randn(batch, k)).astype("float32")
    kl = 0.5 * (mean ** 2 + np.exp(logvar) - logvar - 1)
    return Context(z=tf.constant(z), z_mean=tf.constant(mean), z_logvar=tf.constant(logvar),
                   kl_per_example=tf.constant(kl.sum(1)), training=True,
                   step=tf.constant(0, tf.int64)), (z, mean, logvar)


def numpy_log_q(z, mean, logvar):
    return -0.5 * (np.log(2 * np.pi) + logvar[None] + (z[:, None] - mean[None]) ** 2
                   / np.exp(logvar[None]))


def test_beta_tc_mws_total_correlation_matches_numpy():
    ctx, (z, mean, logvar) = gaussian_ctx()
    lq = numpy_log_q(z, mean, logvar)
    tc = np.mean(logsumexp(lq.sum(2), axis=1) - logsumexp(lq, axis=1).sum(1))
    terms = r.BetaTCVAE(beta=6.0).terms(ctx)
    np.testing.assert_allclose(terms["total_correlation"].value.numpy(), tc, rtol=1e-5)
    assert terms["total_correlation"].weight == 5.0  # KL + (β − 1)·TC


def test_beta_tc_mss_decomposition_matches_numpy():
    ctx, (z, mean, logvar) = gaussian_ctx(1)
    lq = numpy_log_q(z, mean, logvar)
    w = numpy_stratified_weights(len(z), 500)
    log_qz = logsumexp(w + lq.sum(2), axis=1)
    log_prod = logsumexp(w[:, :, None] + lq, axis=1).sum(1)
    log_pz = (-0.5 * (np.log(2 * np.pi) + z ** 2)).sum(1)
    log_qzx = (-0.5 * (np.log(2 * np.pi) + logvar + (z - mean) ** 2 / np.exp(logvar))).sum(1)
    terms = r.BetaTCVAE(beta=4.0, estimator="mss", dataset_size=500).terms(ctx)
    np.testing.assert_allclose(terms["mutual_info"].value, np.mean(log_qzx - log_qz), rtol=1e-4)
    np.testing.assert_allclose(terms["total_correlation"].value, np.mean(log_qz - log_prod), rtol=1e-4)
    np.testing.assert_allclose(terms["dimwise_kl"].value, np.mean(log_prod - log_pz), rtol=1e-4)
    assert terms["total_correlation"].weight == 4.0 and terms["kl_loss"].weight == 0.0


def test_covariance_is_biased_batch_covariance():
    x = np.random.RandomState(2).randn(50, 4).astype("float32")
    np.testing.assert_allclose(r.covariance(tf.constant(x)), np.cov(x.T, bias=True), atol=1e-5)


def test_dip_penalties_vanish_for_whitened_means_and_not_otherwise():
    rs = np.random.RandomState(3)
    x = rs.randn(400, 3)
    x = (x - x.mean(0)) @ np.linalg.inv(np.linalg.cholesky(np.cov(x.T, bias=True))).T
    ctx = Context(z_mean=tf.constant(x, tf.float32), kl_per_example=tf.zeros([400]))
    terms = r.DIPVAE(lambda_od=1.0, dip_type="i").terms(ctx)
    assert abs(float(terms["dip_off_diagonal"].value)) < 1e-4
    assert abs(float(terms["dip_diagonal"].value)) < 1e-4
    ctx.z_mean = tf.constant(x @ np.array([[1, 0.5, 0], [0, 1, 0], [0, 0, 2]]), tf.float32)
    terms = r.DIPVAE(lambda_od=1.0, dip_type="i").terms(ctx)
    assert float(terms["dip_off_diagonal"].value) > 0.1
    assert float(terms["dip_diagonal"].value) > 1.0


def test_shuffle_codes_permutes_each_dimension_independently():
    z = tf.reshape(tf.range(40, dtype=tf.float32), [10, 4])
    noise = tf.random.stateless_uniform([10, 4], seed=[1, 2])
    shuffled = r.shuffle_codes(z, noise).numpy()
    for k in range(4):
        assert sorted(shuffled[:, k]) == sorted(z.numpy()[:, k])
    orders = [tuple(np.argsort(shuffled[:, k])) for k in range(4)]
    assert len(set(orders)) > 1


def test_annealed_capacity_schedule():
    reg = r.AnnealedVAE(gamma=1000.0, c_max=25.0, iteration_threshold=100000)
    assert float(reg.capacity(0)) == 0.0
    assert float(reg.capacity(50000)) == pytest.approx(12.5)
    assert float(reg.capacity(300000)) == pytest.approx(25.0)


def test_control_vae_raises_beta_while_kl_exceeds_target_and_bounds_it():
    reg = r.ControlVAE(target_kl=2.0)
    betas = []
    for _ in range(200):
        beta, integral = reg.controller(tf.constant(30.0))
        reg.beta.assign(beta)
        reg.integral.assign(integral)
        betas.append(float(beta))
    assert betas[-1] > betas[0] > 1.0
    assert all(b2 >= b1 for b1, b2 in zip(betas, betas[1:]))
    reg2 = r.ControlVAE(target_kl=20.0)
    beta, _ = reg2.controller(tf.constant(1.0))
    assert float(beta) == 1.0  # below target: β stays at its floor


def test_unknown_options_fail_clearly():
    with pytest.raises(ValueError, match="estimator"):
        r.BetaTCVAE(estimator="foo")
    with pytest.raises(ValueError, match="dip_type"):
        r.DIPVAE(dip_type="iii")
