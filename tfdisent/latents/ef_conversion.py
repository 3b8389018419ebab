"""EF-conversion (MIPE-transformation): the per-unit EF KL, the EF-similarity
loss and the KL calibration, ported term by term from the official code
(GIST-IRR/MIPET-VAEs, models/ipe_transformation.py; docs/methods/mipe.md).

Every map is a bias-free rank-≤D linear map x ↦ x·U·V (U: D×5D, V: 5D×D),
held per unit and stacked over the m units, so all units run as one batched
computation on [m, B, D]:

- P_z, P_ε: parameter generators, θ_z = P_z(ẑ), θ_ε = P_ε(ε̂);
- T: sufficient statistic;
- A: log-normaliser, A(x) = sigmoid(x·J), J = (U⊙M_U)(V⊙M_V) with the
  magnitude masks M = 1[|W| ≥ mean|W|] in training (not differentiated) and
  no mask at evaluation;
- λ: Lagrange-multiplier map, a Dense layer with bias.

The code's prior-observation map ν and `post_carrier` only feed a value the
code never uses, so they are left out (their parameters get no gradient there).
"""

from typing import NamedTuple

import keras
import tensorflow as tf

from tfdisent.latents.ipe import xavier_uniform


def magnitude_mask(w):
    """1[|w| ≥ mean|w|] per matrix (mean over the last two axes), constant
    for differentiation."""
    magnitude = tf.abs(w)
    keep = magnitude >= tf.reduce_mean(magnitude, axis=[-2, -1], keepdims=True)
    return tf.stop_gradient(tf.cast(keep, w.dtype))


class LowRankMaps(keras.layers.Layer):
    """m bias-free maps x ↦ x·U·V, U: D×(wD), V: (wD)×D, Xavier-uniform.

    Args:
      masked: multiply U and V by their magnitude masks in training.
    """

    def __init__(self, num_units, dim, width_factor=5, masked=False, **kwargs):
        super().__init__(**kwargs)
        wide = width_factor * dim
        self.masked = masked
        self.u = self.add_weight(name="u", shape=(num_units, dim, wide),
                                 initializer=xavier_uniform(dim, wide))
        self.v = self.add_weight(name="v", shape=(num_units, wide, dim),
                                 initializer=xavier_uniform(wide, dim))

    def matrix(self, training):
        """The composed map U·V (masked in training if `masked`), [m, D, D]."""
        u, v = tf.convert_to_tensor(self.u), tf.convert_to_tensor(self.v)
        if self.masked and training:
            u, v = u * magnitude_mask(u), v * magnitude_mask(v)
        return tf.matmul(u, v)


class EFMaps(NamedTuple):
    """The EF-conversion's maps as matrices for one pass (all [m, D, D],
    `lagrange_bias` [m, 1, D]); row vectors are multiplied on the right."""
    z_params: tf.Tensor
    eps_params: tf.Tensor
    statistic: tf.Tensor
    log_normaliser: tf.Tensor
    lagrange_kernel: tf.Tensor
    lagrange_bias: tf.Tensor


class EFConversion(keras.layers.Layer):
    """The learnable parts of m EF-conversions (one per IPE unit)."""

    def __init__(self, num_units, dim, width_factor=5, **kwargs):
        super().__init__(**kwargs)
        maps = dict(num_units=num_units, dim=dim, width_factor=width_factor)
        self.z_params = LowRankMaps(name="z_params", **maps)
        self.eps_params = LowRankMaps(name="eps_params", **maps)
        self.statistic = LowRankMaps(name="statistic", **maps)
        self.log_normaliser = LowRankMaps(name="log_normaliser", masked=True, **maps)
        self.lagrange_kernel = self.add_weight(
            name="lagrange_kernel", shape=(num_units, dim, dim),
            initializer=xavier_uniform(dim, dim))
        bound = dim ** -0.5  # torch.nn.Linear's default bias init
        self.lagrange_bias = self.add_weight(
            name="lagrange_bias", shape=(num_units, 1, dim),
            initializer=keras.initializers.RandomUniform(-bound, bound))

    def maps(self, training):
        return EFMaps(
            z_params=self.z_params.matrix(training),
            eps_params=self.eps_params.matrix(training),
            statistic=self.statistic.matrix(training),
            log_normaliser=self.log_normaliser.matrix(training),
            lagrange_kernel=tf.convert_to_tensor(self.lagrange_kernel),
            lagrange_bias=tf.convert_to_tensor(self.lagrange_bias))

    def terms(self, z_hat, eps_hat, training):
        """(KL [m, B, D], L_el [m, B]) for ẑ, ε̂ [m, B, D]."""
        return ef_terms(z_hat, eps_hat, self.maps(training))


def _times_sum(u, v):
    """R(u, v) = (Σ_i u_i)·v: the code's matmul(uᵀ, v).sum(-2)."""
    return tf.reduce_sum(u, axis=-1, keepdims=True) * v


def ef_terms(z_hat, eps_hat, maps):
    """The per-unit EF KL vector and EF-similarity loss, code-exact.

    Args:
      z_hat, eps_hat: transformed codes and noises, [m, B, D].
      maps: EFMaps.
    Returns:
      kl: KL_i per dimension, [m, B, D];
      similarity: L_el,i per example, [m, B].
    """
    j = maps.log_normaliser

    def a(x):  # the log-normaliser A
        return tf.sigmoid(tf.matmul(x, j))

    def p_z(x):
        return tf.matmul(x, maps.z_params)

    def p_eps(x):
        return tf.matmul(x, maps.eps_params)

    def lagrange(x):
        return tf.matmul(x, maps.lagrange_kernel) + maps.lagrange_bias

    theta_z, theta_eps = p_z(z_hat), p_eps(eps_hat)
    a_z, a_eps = tf.sigmoid(a(theta_z)), tf.sigmoid(a(theta_eps))  # double sigmoid, as the code
    v_z, v_eps = a_z * (1.0 - a_z), a_eps * (1.0 - a_eps)
    kl = (a_eps - _times_sum(theta_eps, tf.matmul(v_eps, j))
          - a_z + _times_sum(theta_z, tf.matmul(v_z, j)))

    n_z, n_eps = a(p_z(tf.matmul(v_z, j))), a(p_eps(tf.matmul(v_eps, j)))
    grad_kl_z = lagrange(-n_z + p_z(a(v_z))
                         + _times_sum(theta_z, a(n_z * (1.0 - a_z)))
                         - _times_sum(theta_z, a(n_z * a_z)))
    grad_kl_eps = lagrange(n_eps - p_eps(a(v_eps))
                           - _times_sum(theta_eps, a(n_eps * (1.0 - a_eps)))
                           + _times_sum(theta_eps, a(n_eps * a_eps)))
    batch = tf.cast(tf.shape(z_hat)[-2], z_hat.dtype)
    statistic_sum = tf.reduce_sum(tf.matmul(z_hat, maps.statistic), axis=-2,
                                  keepdims=True)
    grad_post_z = p_z(statistic_sum) + batch * tf.matmul(theta_z, maps.statistic) - n_z
    grad_post_eps = 2.0 * _times_sum(theta_z, theta_eps)
    similarity = (tf.norm(grad_kl_z + grad_post_z, axis=-1)
                  + tf.norm(grad_kl_eps + grad_post_eps, axis=-1)
                  + tf.norm(kl, axis=-1))
    return kl, similarity


def calibration_loss(ef_kl_per_example, gaussian_kl_per_example, factor):
    """L_cali = mean_b (K_B − factor·KL_G)², K_B = Σ_units Σ_dims KL."""
    return tf.reduce_mean(tf.square(ef_kl_per_example
                                    - factor * gaussian_kl_per_example))
