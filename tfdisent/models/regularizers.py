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

    The released assignment (flat indices 0::B and 1::B, i.e. columns 0
    and 1, then [B-2, 0]) is kept verbatim; Chen et al.'s code and the
    CFASL/MIPE copies of it build the same matrix.
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
    estimator="mss": Chen et al.'s minibatch-stratified estimate, loss
      α·MI + β·TC + γ·DWKL (α = γ = 1, as the CFASL/MIPE code), needing
      `dataset_size`. log w enters the joint log q(z) once.
    replicate_official_joint_weights: the CFASL/MIPE code's form, which
      adds log w to each of the D dimensions before summing them for the
      joint (D·log w); it changes MI and TC, not DWKL.
    """

    def __init__(self, beta=6.0, estimator="mws", dataset_size=None,
                 alpha=1.0, gamma=1.0, replicate_official_joint_weights=False,
                 **kwargs):
        super().__init__(**kwargs)
        if estimator not in ("mws", "mss"):
            raise ValueError("estimator must be 'mws' or 'mss', got %r" % (estimator,))
        self.beta, self.estimator = beta, estimator
        self.dataset_size, self.alpha, self.gamma = dataset_size, alpha, gamma
        self.replicate_official_joint_weights = replicate_official_joint_weights

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
        copies = tf.cast(tf.shape(ctx.z)[1], weights.dtype) \
            if self.replicate_official_joint_weights else 1.0
        log_qz = tf.reduce_logsumexp(copies * weights + tf.reduce_sum(log_qz_i, 2),
                                     axis=1)
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
    that drives the KL to a set point; β stays in [beta_min, beta_max].

    target="linear_ramp" (default, as the paper and the CFASL code): the set
      point grows linearly from `initial_kl` at step 0 to `target_kl` at
      `ramp_steps` and stays there; target="constant": `target_kl` always.
    replicate_official_integral: the CFASL code's `pi_ctrl`, whose integral
      never updates (its guard reads a β that stays 0), so β = P + β_min,
      and β is not detached from the KL.
    """

    def __init__(self, target_kl=16.0, k_p=0.01, k_i=0.001, beta_min=1.0,
                 beta_max=100.0, target="linear_ramp", initial_kl=0.5,
                 ramp_steps=300000, replicate_official_integral=False,
                 **kwargs):
        super().__init__(**kwargs)
        if target not in ("constant", "linear_ramp"):
            raise ValueError("control_vae.target must be 'constant' or "
                             "'linear_ramp', got %r" % (target,))
        if target == "linear_ramp" and not (ramp_steps and ramp_steps > 0):
            raise ValueError("control_vae.ramp_steps must be a positive "
                             "number of steps, got %r" % (ramp_steps,))
        self.target_kl, self.k_p, self.k_i = target_kl, k_p, k_i
        self.beta_min, self.beta_max = beta_min, beta_max
        self.target, self.initial_kl = target, initial_kl
        self.ramp_steps = ramp_steps
        self.replicate_official_integral = replicate_official_integral
        self.integral = self.add_weight(
            name="integral", shape=(), initializer="zeros", trainable=False,
            aggregation="only_first_replica")
        self.beta = self.add_weight(
            name="beta", shape=(), trainable=False,
            initializer=keras.initializers.Constant(beta_min),
            aggregation="only_first_replica")

    def set_point(self, step):
        """The KL the controller aims at in `step` (0-based)."""
        if self.target == "constant":
            return tf.constant(self.target_kl, tf.float32)
        fraction = tf.minimum(tf.cast(step, tf.float32) / float(self.ramp_steps), 1.0)
        return self.initial_kl + (self.target_kl - self.initial_kl) * fraction

    def controller(self, kl, step=0):
        """One PI step; returns the new β and integral (anti-windup: the
        integral keeps its value when its update would take β past a bound;
        β = P + I + β_min from the kept I, then clipped)."""
        error = self.set_point(step) - kl
        proportional = self.k_p / (1.0 + tf.exp(error))
        integral = tf.identity(self.integral)
        if not self.replicate_official_integral:
            candidate = integral - self.k_i * error
            unclipped = proportional + candidate + self.beta_min
            saturated = tf.logical_or(unclipped < self.beta_min,
                                      unclipped > self.beta_max)
            integral = tf.where(saturated, integral, candidate)
        beta = proportional + integral + self.beta_min
        return tf.clip_by_value(beta, self.beta_min, self.beta_max), integral

    def terms(self, ctx):
        kl = _mean_kl(ctx)
        beta = tf.identity(self.beta)
        if ctx.training:
            live = kl if self.replicate_official_integral else tf.stop_gradient(kl)
            beta, integral = self.controller(live, ctx.step)
            self.beta.assign(tf.stop_gradient(beta))
            self.integral.assign(tf.stop_gradient(integral))
        return {"kl_loss": Term(kl, beta),
                "beta": Term(tf.stop_gradient(beta), 0.0),
                "kl_set_point": Term(self.set_point(ctx.step), 0.0)}


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
        # disentanglement_lib clips the probabilities to [1e-6, 1 - 1e-6].
        low, high = math.log(1e-6), math.log1p(-1e-6)
        return -(0.5 * tf.reduce_mean(tf.clip_by_value(real[:, 0], low, high))
                 + 0.5 * tf.reduce_mean(tf.clip_by_value(fake[:, 1], low, high)))

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
