"""Regularizers: exact values against independent numpy transcriptions."""

import numpy as np
import pytest
import tensorflow as tf
from scipy.special import logsumexp

from tfdisent.models import regularizers as r
from tfdisent.models.base import Context


def numpy_log_density_gaussian(x, mu, logvar):
    """CFASL models/groupbetatcvae.py, log_density_gaussian (and Chen et al.'s
    lib/dist.py Normal.log_density)."""
    norm = -0.5 * (np.log(2 * np.pi) + logvar)
    return norm - 0.5 * (x - mu) ** 2 * np.exp(-logvar)


def numpy_importance_weights(batch, dataset_size):
    """CFASL models/groupbetatcvae.py, CNNGroupBetaTCVAE.loss (the same lines
    as Chen et al.'s vae_quant.py, _log_importance_weight_matrix)."""
    stratified_weight = (dataset_size - batch + 1) / (dataset_size * (batch - 1))
    importance_weights = np.full((batch, batch), 1 / (batch - 1))
    importance_weights.reshape(-1)[::batch] = 1 / dataset_size
    importance_weights.reshape(-1)[1::batch] = stratified_weight
    importance_weights[batch - 2, 0] = stratified_weight
    return np.log(importance_weights)


def common_log_densities(z, mu, logvar):
    """The lines both released losses begin with: log q(z|x), log p(z) and
    _logqz[j, i, d] = log q(z_j,d | x_i)."""
    batch = z.shape[0]
    zeros = np.zeros_like(z)
    logqzx = numpy_log_density_gaussian(z, mu, logvar).sum(1)
    logpz = numpy_log_density_gaussian(z, zeros, zeros).sum(1)
    _logqz = numpy_log_density_gaussian(z.reshape(batch, 1, -1), mu.reshape(1, batch, -1),
                                        logvar.reshape(1, batch, -1))
    return logqzx, logpz, _logqz


def official_mss_terms(z, mu, logvar, dataset_size):
    """CFASL models/groupbetatcvae.py, CNNGroupBetaTCVAE.loss (MIPET-VAEs
    models/mipet_betatcvae.py is the same): log w is added to every
    dimension of _logqz before the joint sums them."""
    batch = z.shape[0]
    logqzx, logpz, _logqz = common_log_densities(z, mu, logvar)
    _logqz = _logqz + numpy_importance_weights(batch, dataset_size).reshape(batch, batch, 1)
    logqz_prod = logsumexp(_logqz, axis=1).sum(1)
    logqz = logsumexp(_logqz.sum(2), axis=1)
    return {"mutual_info": np.mean(logqzx - logqz), "total_correlation": np.mean(logqz - logqz_prod),
            "dimwise_kl": np.mean(logqz_prod - logpz)}


def chen_mss_terms(z, mu, logvar, dataset_size):
    """Chen et al., rtqichen/beta-tcvae vae_quant.py, VAE.elbo (mss branch):
    logiw_matrix + _logqz.sum(2) for the joint, log w added once."""
    batch = z.shape[0]
    logqz_condx, logpz, _logqz = common_log_densities(z, mu, logvar)
    logiw_matrix = numpy_importance_weights(batch, dataset_size)
    logqz = logsumexp(logiw_matrix + _logqz.sum(2), axis=1)
    logqz_prodmarginals = logsumexp(logiw_matrix.reshape(batch, batch, 1) + _logqz, axis=1).sum(1)
    return {"mutual_info": np.mean(logqz_condx - logqz),
            "total_correlation": np.mean(logqz - logqz_prodmarginals),
            "dimwise_kl": np.mean(logqz_prodmarginals - logpz)}


@pytest.mark.parametrize("batch_size", [4, 7, 64])
def test_stratified_weights_match_released_code(batch_size):
    got = r.stratified_log_weights(batch_size, 1000).numpy()
    np.testing.assert_allclose(got, numpy_importance_weights(batch_size, 1000), rtol=1e-6)


def gaussian_ctx(seed=0, batch=6, k=3):
    rs = np.random.RandomState(seed)
    mean = rs.randn(batch, k).astype("float32")
    logvar = (0.3 * rs.randn(batch, k)).astype("float32")
    z = (mean + np.exp(logvar / 2) * rs.randn(batch, k)).astype("float32")
    kl = 0.5 * (mean ** 2 + np.exp(logvar) - logvar - 1)
    return Context(z=tf.constant(z), z_mean=tf.constant(mean), z_logvar=tf.constant(logvar),
                   kl_per_example=tf.constant(kl.sum(1)), training=True,
                   step=tf.constant(0, tf.int64)), (z, mean, logvar)


def test_beta_tc_mws_total_correlation_matches_numpy():
    ctx, (z, mean, logvar) = gaussian_ctx()
    lq = numpy_log_density_gaussian(z[:, None], mean[None], logvar[None])
    tc = np.mean(logsumexp(lq.sum(2), axis=1) - logsumexp(lq, axis=1).sum(1))
    terms = r.BetaTCVAE(beta=6.0).terms(ctx)
    np.testing.assert_allclose(terms["total_correlation"].value.numpy(), tc, rtol=1e-5)
    assert terms["total_correlation"].weight == 5.0  # KL + (β − 1)·TC


@pytest.mark.parametrize("replicate, port", [(False, chen_mss_terms),
                                             (True, official_mss_terms)])
def test_beta_tc_mss_matches_chen_by_default_and_the_cfasl_code_on_request(replicate, port):
    ctx, (z, mean, logvar) = gaussian_ctx(1, batch=64, k=10)
    expected = port(z.astype(np.float64), mean.astype(np.float64),
                    logvar.astype(np.float64), 737280)
    terms = r.BetaTCVAE(beta=4.0, estimator="mss", dataset_size=737280,
                        replicate_official_joint_weights=replicate).terms(ctx)
    for name, value in expected.items():
        np.testing.assert_allclose(terms[name].value, value, rtol=1e-4, atol=1e-3)
    assert terms["total_correlation"].weight == 4.0 and terms["kl_loss"].weight == 0.0


def test_the_two_mss_forms_differ_in_mi_and_tc_only():
    _, (z, mean, logvar) = gaussian_ctx(1, batch=64, k=10)
    chen, official = (f(z, mean, logvar, 737280) for f in (chen_mss_terms, official_mss_terms))
    assert abs(chen["mutual_info"] - official["mutual_info"]) > 10.0
    assert abs(chen["total_correlation"] - official["total_correlation"]) > 10.0
    np.testing.assert_allclose(chen["dimwise_kl"], official["dimwise_kl"])


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


class OfficialPIController:
    """CFASL models/groupcontrolvae.py, CNNGroupControlVAE.__init__ and
    pi_ctrl (models/controlvae.py is the same). `fixed_guard` replaces the
    guard on the never-updated init_beta by the anti-windup tfdisent uses
    (the integral moves only while the β it gives stays within bounds)."""

    def __init__(self, const_kld, t_total, k_p=0.01, k_i=0.001, min_beta=1.0,
                 max_beta=100.0, fixed_guard=False):
        self.t_total, self.init_kld, self.const_kld = t_total, 0.5, const_kld
        self.min_beta, self.max_beta = min_beta, max_beta
        self.k_i, self.k_p = k_i, k_p
        self.init_beta, self.init_I = 0.0, 0.0
        self.fixed_guard = fixed_guard

    def pi_ctrl(self, kld):
        err = self.init_kld - kld
        p = self.k_p / (1 + np.exp(err))
        if self.fixed_guard:
            candidate = self.init_I - self.k_i * err
            if self.min_beta <= p + candidate + self.min_beta <= self.max_beta:
                self.init_I = candidate
        elif self.init_beta >= self.min_beta and self.init_beta <= self.max_beta:
            self.init_I = self.init_I - self.k_i * err
        beta = p + self.init_I + self.min_beta
        if beta > self.max_beta:
            beta = self.max_beta
        if beta < self.min_beta:
            beta = self.min_beta
        self.init_kld = self.init_kld + (self.const_kld - 0.5) / self.t_total
        return beta


KL_SEQUENCE = np.concatenate([np.full(10, 20.0), np.full(40, 0.0), np.linspace(0.0, 14.0, 30)])


def control_betas(regularizer, kls):
    betas = []
    for step, kl in enumerate(kls):
        ctx = Context(kl_per_example=tf.constant([kl, kl], tf.float32), training=True,
                      step=tf.constant(step, tf.int64))
        betas.append(float(regularizer.terms(ctx)["kl_loss"].weight))
    return np.array(betas)


@pytest.mark.parametrize("replicate", [False, True])
def test_control_vae_beta_matches_the_official_pi_controller_step_by_step(replicate):
    steps = len(KL_SEQUENCE)
    official = OfficialPIController(const_kld=16.0, t_total=steps, k_i=0.01,
                                    fixed_guard=not replicate)
    expected = np.array([official.pi_ctrl(kl) for kl in KL_SEQUENCE])
    reg = r.ControlVAE(target_kl=16.0, ramp_steps=steps, k_i=0.01,
                       replicate_official_integral=replicate)
    np.testing.assert_allclose(control_betas(reg, KL_SEQUENCE), expected, rtol=1e-5, atol=1e-6)
    if replicate:  # the released integral never moves: β stays in [1, 1.01]
        assert expected.min() >= 1.0 and expected.max() <= 1.01
    else:  # the integral winds up, then unwinds towards the floor
        assert expected[9] > 2.5 and expected[10:50].min() < 1.05


def test_control_vae_constant_target_and_ramp_end():
    constant = r.ControlVAE(target_kl=20.0, target="constant")
    assert float(constant.set_point(0)) == 20.0
    assert control_betas(constant, [1.0])[0] == 1.0  # below target: β at its floor
    ramp = r.ControlVAE(target_kl=16.0, ramp_steps=100)
    np.testing.assert_allclose([float(ramp.set_point(t)) for t in (0, 50, 100, 500)],
                               [0.5, 8.25, 16.0, 16.0])


def test_control_vae_official_beta_carries_the_kl_gradient():
    kl = tf.Variable(12.0)
    for replicate in (False, True):
        reg = r.ControlVAE(target_kl=16.0, ramp_steps=10, replicate_official_integral=replicate)
        with tf.GradientTape() as tape:
            ctx = Context(kl_per_example=tf.stack([kl, kl]), training=True,
                          step=tf.constant(0, tf.int64))
            term = reg.terms(ctx)["kl_loss"]
            loss = term.weight * term.value
        beta, err = float(term.weight), 0.5 - 12.0
        dbeta = 0.01 * np.exp(err) / (1 + np.exp(err)) ** 2 if replicate else 0.0
        np.testing.assert_allclose(float(tape.gradient(loss, kl)), beta + 12.0 * dbeta, rtol=1e-5)


def official_discriminator_loss(logits_real, logits_shuffled):
    """disentanglement_lib methods/unsupervised/vae.py, FactorVAE.model_fn
    (discr_loss, minimised as -discr_loss) with architectures.py,
    make_discriminator (probabilities clipped to [1e-6, 1 - 1e-6])."""
    def probs(logits):
        e = np.exp(logits - logits.max(1, keepdims=True))
        return np.clip(e / e.sum(1, keepdims=True), 1e-6, 1 - 1e-6)
    discr_loss = 0.5 * np.mean(np.log(probs(logits_real)[:, 0])) \
        + 0.5 * np.mean(np.log(probs(logits_shuffled)[:, 1]))
    return -discr_loss


@pytest.mark.parametrize("scale", [1.0, 1e3])  # 1e3: saturated, both clips act
def test_factor_vae_discriminator_loss_clips_like_disentanglement_lib(scale):
    reg = r.FactorVAE()
    reg.discriminator = lambda logits, training: logits  # the inputs are the logits
    rs = np.random.RandomState(0)
    real = scale * np.abs(rs.randn(8, 2)) * [1.0, -1.0]      # p_real[:, 0] -> 1
    shuffled = scale * np.abs(rs.randn(8, 2)) * [-1.0, 1.0]  # p_fake[:, 1] -> 1
    real[:2], shuffled[:2] = -real[:2], -shuffled[:2]        # and some -> 0
    got = float(reg.discriminator_loss(tf.constant(real, tf.float32),
                                       tf.constant(shuffled, tf.float32)))
    np.testing.assert_allclose(got, official_discriminator_loss(real, shuffled),
                               rtol=1e-6, atol=1e-10)


def test_unknown_options_fail_clearly():
    with pytest.raises(ValueError, match="estimator"):
        r.BetaTCVAE(estimator="foo")
    with pytest.raises(ValueError, match="dip_type"):
        r.DIPVAE(dip_type="iii")
