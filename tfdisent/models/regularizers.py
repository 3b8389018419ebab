"""The VAE regularizers of disentanglement_lib and the CFASL/MIPE code.

Each is a Component returning named Terms; names are what the logs show.
"""

import math

import gin
import keras
import tensorflow as tf

from tfdisent.configurable import configurable

from tfdisent.latents import gaussian
from tfdisent.models.base import Component, Term
from tfdisent.nets import factory


def _mean_kl(ctx):
    return tf.reduce_mean(ctx.kl_per_example)


@configurable("no_regularizer")
class NoRegularizer(Component):
    """A plain autoencoder: reconstruction only."""


@configurable("beta_vae")
class BetaVAE(Component):
    """β-VAE (Higgins et al. 2017): β·KL."""

    def __init__(self, beta=1.0, **kwargs):
        super().__init__(**kwargs)
        self.beta = beta

    def terms(self, ctx):
        return {"kl_loss": Term(_mean_kl(ctx), self.beta)}


@configurable("annealed_vae")
class AnnealedVAE(Component):
    """AnnealedVAE (Burgess et al. 2018): γ·|KL − C|, C grows linearly to c_max."""

    def __init__(self, gamma=1000.0, c_max=25.0, iteration_threshold=100000,
                 **kwargs):
        super().__init__(**kwargs)
        self.gamma, self.c_max = gamma, c_max
        self.iteration_threshold = iteration_threshold

    def capacity(self, step):
        fraction = tf.cast(step, tf.float32) / float(self.iteration_threshold)
        return tf.minimum(self.c_max, self.c_max * fraction)

    def terms(self, ctx):
        kl, capacity = _mean_kl(ctx), self.capacity(ctx.step)
        return {"kl_loss": Term(kl, 0.0),
                "capacity": Term(capacity, 0.0),
                "capacity_penalty": Term(tf.abs(kl - capacity), self.gamma)}


def covariance(x):
    """Biased covariance over the batch: E[x xᵀ] − E[x] E[x]ᵀ."""
    mean = tf.reduce_mean(x, axis=0, keepdims=True)
    return tf.matmul(x, x, transpose_a=True) / tf.cast(tf.shape(x)[0], x.dtype) \
        - tf.matmul(mean, mean, transpose_a=True)


@configurable("dip_vae")
class DIPVAE(Component):
    """DIP-VAE-I/II (Kumar et al. 2018): KL + moment matching of Cov to I."""

    def __init__(self, lambda_od=1.0, lambda_d_factor=10.0, dip_type="i",
                 **kwargs):
        super().__init__(**kwargs)
        if dip_type not in ("i", "ii"):
            raise ValueError("dip_type must be 'i' or 'ii', got %r" % (dip_type,))
        self.lambda_od, self.dip_type = lambda_od, dip_type
        self.lambda_d = lambda_d_factor * lambda_od

    def terms(self, ctx):
        cov = covariance(ctx.z_mean)
        if self.dip_type == "ii":
            cov += tf.linalg.diag(tf.reduce_mean(tf.exp(ctx.z_logvar), axis=0))
        diag = tf.linalg.diag_part(cov)
        off_diagonal = tf.reduce_sum(tf.square(cov)) - tf.reduce_sum(tf.square(diag))
        return {"kl_loss": Term(_mean_kl(ctx)),
                "dip_off_diagonal": Term(off_diagonal, self.lambda_od),
                "dip_diagonal": Term(tf.reduce_sum(tf.square(diag - 1.0)),
                                     self.lambda_d)}


def pairwise_log_density(z, mean, logvar):
    """log q(z_j | x_i) per dimension: [B (j), B (i), K]."""
    return gaussian.log_density(z[:, None, :], mean[None], logvar[None])


def stratified_log_weights(batch_size, dataset_size):
    """Chen et al.'s minibatch-stratified importance weights, as released.

    The released assignment (flat indices 0::B and 1::B, then [B-2, 0]) is
    kept verbatim, so numbers match the CFASL/MIPE code.
    """
    batch_size = tf.convert_to_tensor(batch_size, tf.int32)
    m = batch_size - 1
    n, mf = float(dataset_size), tf.cast(m, tf.float32)
    strat = (n - mf) / (n * mf)
    idx = tf.range(batch_size * batch_size)
    flat = tf.fill([batch_size * batch_size], 1.0 / mf)
    flat = tf.where(idx % batch_size == 0, 1.0 / n, flat)
    flat = tf.where(idx % batch_size == 1, strat, flat)
    flat = tf.where(idx == (m - 1) * batch_size, strat, flat)
    return tf.math.log(tf.reshape(flat, [batch_size, batch_size]))


@configurable("beta_tc_vae")
class BetaTCVAE(Component):
    """β-TCVAE (Chen et al. 2018).

    estimator="mws": disentanglement_lib's minibatch-weighted estimate,
      loss KL + (β − 1)·TC.
    estimator="mss": the minibatch-stratified estimate of the CFASL/MIPE
      code, loss α·MI + β·TC + γ·DWKL (α = γ = 1), needing `dataset_size`.
    """

    def __init__(self, beta=6.0, estimator="mws", dataset_size=None,
                 alpha=1.0, gamma=1.0, **kwargs):
        super().__init__(**kwargs)
        if estimator not in ("mws", "mss"):
            raise ValueError("estimator must be 'mws' or 'mss', got %r" % (estimator,))
        self.beta, self.estimator = beta, estimator
        self.dataset_size, self.alpha, self.gamma = dataset_size, alpha, gamma

    def attach(self, model):
        self.dataset_size = self.dataset_size or model.dataset_size
        if self.estimator == "mss" and not self.dataset_size:
            raise ValueError("beta_tc_vae.estimator='mss' needs the dataset "
                             "size: set beta_tc_vae.dataset_size")

    def terms(self, ctx):
        log_qz_i = pairwise_log_density(ctx.z, ctx.z_mean, ctx.z_logvar)
        if self.estimator == "mws":
            log_qz = tf.reduce_logsumexp(tf.reduce_sum(log_qz_i, 2), axis=1)
            log_prod = tf.reduce_sum(tf.reduce_logsumexp(log_qz_i, axis=1), 1)
            tc = tf.reduce_mean(log_qz - log_prod)
            return {"kl_loss": Term(_mean_kl(ctx)),
                    "total_correlation": Term(tc, self.beta - 1.0)}
        weights = stratified_log_weights(tf.shape(ctx.z)[0], self.dataset_size)
        log_qz = tf.reduce_logsumexp(weights + tf.reduce_sum(log_qz_i, 2), axis=1)
        log_prod = tf.reduce_sum(
            tf.reduce_logsumexp(weights[:, :, None] + log_qz_i, axis=1), 1)
        zeros = tf.zeros_like(ctx.z)
        log_pz = tf.reduce_sum(gaussian.log_density(ctx.z, zeros, zeros), 1)
        log_qz_x = tf.reduce_sum(
            gaussian.log_density(ctx.z, ctx.z_mean, ctx.z_logvar), 1)
        return {"kl_loss": Term(_mean_kl(ctx), 0.0),
                "mutual_info": Term(tf.reduce_mean(log_qz_x - log_qz), self.alpha),
                "total_correlation": Term(tf.reduce_mean(log_qz - log_prod),
                                          self.beta),
                "dimwise_kl": Term(tf.reduce_mean(log_prod - log_pz), self.gamma)}


@configurable("control_vae")
class ControlVAE(Component):
    """ControlVAE (Shao et al. 2020): β set each step by a PI controller
    that drives the KL to `target_kl`; β stays in [beta_min, beta_max]."""

    def __init__(self, target_kl=16.0, k_p=0.01, k_i=0.001, beta_min=1.0,
                 beta_max=100.0, **kwargs):
        super().__init__(**kwargs)
        self.target_kl, self.k_p, self.k_i = target_kl, k_p, k_i
        self.beta_min, self.beta_max = beta_min, beta_max
        self.integral = self.add_weight(
            name="integral", shape=(), initializer="zeros", trainable=False,
            aggregation="only_first_replica")
        self.beta = self.add_weight(
            name="beta", shape=(), trainable=False,
            initializer=keras.initializers.Constant(beta_min),
            aggregation="only_first_replica")

    def controller(self, kl):
        """One PI step; returns the new β (anti-windup: I frozen at a bound)."""
        error = self.target_kl - kl
        proportional = self.k_p / (1.0 + tf.exp(error))
        integral = self.integral - self.k_i * error
        beta = proportional + integral + self.beta_min
        saturated = tf.logical_or(beta < self.beta_min, beta > self.beta_max)
        integral = tf.where(saturated, self.integral, integral)
        return tf.clip_by_value(beta, self.beta_min, self.beta_max), integral

    def terms(self, ctx):
        kl = _mean_kl(ctx)
        if ctx.training:
            beta, integral = self.controller(tf.stop_gradient(kl))
            self.beta.assign(beta)
            self.integral.assign(integral)
        return {"kl_loss": Term(kl, tf.identity(self.beta)),
                "beta": Term(tf.identity(self.beta), 0.0)}


def shuffle_codes(z, uniform_noise):
    """Permutes each latent dimension independently across the batch, the
    order given by sorting `uniform_noise` (shaped like z) per column."""
    order = tf.argsort(uniform_noise, axis=0)
    return tf.transpose(tf.gather(tf.transpose(z), tf.transpose(order),
                                  batch_dims=1))


@gin.configurable("discriminator_optimizer")
def discriminator_optimizer(learning_rate=1e-4, beta_1=0.5, beta_2=0.9,
                            epsilon=1e-8):
    return keras.optimizers.Adam(learning_rate, beta_1=beta_1, beta_2=beta_2,
                                 epsilon=epsilon)


@configurable("factor_vae")
class FactorVAE(Component):
    """FactorVAE (Kim & Mnih 2018): KL + γ·TC, TC from a discriminator that
    tells codes from dimension-wise shuffled codes, trained by its own
    optimizer after each VAE update."""

    def __init__(self, gamma=10.0, optimizer=None, **kwargs):
        super().__init__(**kwargs)
        self.gamma = gamma
        self.optimizer = optimizer or discriminator_optimizer()
        self.discriminator = None

    def attach(self, model):
        self.discriminator = factory.make_discriminator(model.num_latent)

    def private_variables(self):
        return self.discriminator.trainable_variables

    def private_optimizers(self):
        return {"discriminator": self.optimizer}

    def terms(self, ctx):
        logits = self.discriminator(ctx.z, training=ctx.training)
        tc = tf.reduce_mean(logits[:, 0] - logits[:, 1])
        return {"kl_loss": Term(_mean_kl(ctx)),
                "total_correlation": Term(tc, self.gamma)}

    def discriminator_loss(self, z, shuffled):
        real = tf.nn.log_softmax(self.discriminator(z, training=True))
        fake = tf.nn.log_softmax(self.discriminator(shuffled, training=True))
        clip = math.log(1e-6)
        return -(0.5 * tf.reduce_mean(tf.maximum(real[:, 0], clip))
                 + 0.5 * tf.reduce_mean(tf.maximum(fake[:, 1], clip)))

    def secondary_update(self, ctx):
        z = tf.stop_gradient(ctx.z)
        shuffled = shuffle_codes(z, ctx.model.random_uniform(tf.shape(z), salt=1))
        variables = self.discriminator.trainable_variables
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        with tf.GradientTape() as tape:
            loss = self.discriminator_loss(z, shuffled)
            scaled = loss / tf.cast(replicas, loss.dtype)
        self.optimizer.apply_gradients(zip(tape.gradient(scaled, variables),
                                           variables))
        return {"discriminator_loss": loss}
