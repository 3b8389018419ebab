"""Weak supervision from pairs (Locatello et al., "Weakly-Supervised
Disentanglement Without Compromises", ICML 2020): GroupVAE and ML-VAE with
label or adaptive (Ada) aggregation, composed onto any VAE objective.

The model trains on pairs of images sharing all but k factors
(`pipelines.pair_batches`). Both images are encoded; in the dimensions the
pair is taken to share, each image's posterior is replaced by one shared
posterior (GroupVAE: the mean of the two means and of the two variances;
ML-VAE: the product of the two Gaussians), in the others each keeps its own.
Which dimensions are shared comes from the labels (the changed factors,
latent i standing for factor i) or, with "argmax" (Ada-GVAE, Ada-ML-VAE),
from δ_j = 2 KL(q1_j || q2_j): dimension j stays the image's own where
δ_j >= (min δ + max δ) / 2 over the pair's dimensions. Reconstruction and
the base regularizer then see the 2B aggregated posteriors, so each is the
mean of the pair's two terms, as in disentanglement_lib. Single images
(export, evaluation) pass through untouched.
"""

import tensorflow as tf

from tfdisent.configurable import configurable
from tfdisent.data import pipelines
from tfdisent.latents import gaussian
from tfdisent.models.base import Component, Term

AVERAGES = ("group", "ml")
AGGREGATIONS = ("argmax", "labels")


@configurable("weak_pairs")
class WeakPairs(Component):
    """Trains the VAE on pairs and shares the posterior of shared dimensions.

    Args:
      average: "group" (GroupVAE) or "ml" (ML-VAE).
      aggregation: "argmax" (adaptive, no labels: Ada-*) or "labels".
      k: factors that differ within a pair; -1 draws k uniformly from
        1..F-1 for every pair.
      replicate_official_dynamics: disentanglement_lib's pair sampler (1 or k
        factors with probability 1/2 each, a new value that may equal the
        old one, the label naming only the last changed factor).
      replicate_official_ml_variance: ML-VAE's shared variance as released,
        2 v1 v2 / (v1 + v2) (twice the product's variance).
    """

    def __init__(self, average="group", aggregation="argmax", k=1,
                 replicate_official_dynamics=False, replicate_official_ml_variance=False,
                 **kwargs):
        super().__init__(**kwargs)
        if average not in AVERAGES:
            raise ValueError("weak_pairs.average must be one of %s, got %r"
                             % (", ".join(AVERAGES), average))
        if aggregation not in AGGREGATIONS:
            raise ValueError("weak_pairs.aggregation must be one of %s, got %r"
                             % (", ".join(AGGREGATIONS), aggregation))
        self.average, self.aggregation, self.k = average, aggregation, int(k)
        self.replicate_official_dynamics = replicate_official_dynamics
        self.replicate_official_ml_variance = replicate_official_ml_variance

    def attach(self, model):
        if not model.stochastic:
            raise ValueError("weak_pairs needs a Gaussian encoder (with logvar)")

    def training_batches(self, model, data, batch_size, seed, start_step=0,
                         factor_sampler=None):
        return pipelines.pair_batches(
                data, batch_size, seed, self.k, start_step=start_step,
                factor_sampler=factor_sampler,
                replicate_official_dynamics=self.replicate_official_dynamics)

    def prepare(self, ctx):
        changed = ctx.supervision.get("changed")
        if changed is None:
            return
        mean_1, mean_2 = tf.split(ctx.z_mean, 2)
        logvar_1, logvar_2 = tf.split(ctx.z_logvar, 2)
        shared_mean, shared_logvar = self.shared_posterior(mean_1, logvar_1, mean_2, logvar_2)
        if self.aggregation == "labels":
            own = self.own_from_labels(changed, ctx.z_mean.shape[-1])
        else:
            own = own_from_divergence(pair_divergence(mean_1, logvar_1, mean_2, logvar_2))
        ctx.z_mean = tf.concat([tf.where(own, mean_1, shared_mean),
                                tf.where(own, mean_2, shared_mean)], 0)
        ctx.z_logvar = tf.concat([tf.where(own, logvar_1, shared_logvar),
                                  tf.where(own, logvar_2, shared_logvar)], 0)
        ctx.z = gaussian.sample(ctx.z_mean, ctx.z_logvar, ctx.eps)
        ctx.kl_per_dimension = gaussian.kl_per_dimension(ctx.z_mean, ctx.z_logvar)
        ctx.kl_per_example = tf.reduce_sum(ctx.kl_per_dimension, axis=1)
        ctx.shared_dimensions = tf.reduce_mean(
                tf.reduce_sum(1.0 - tf.cast(own, tf.float32), axis=1))  # per pair

    def terms(self, ctx):
        shared = ctx.get("shared_dimensions")
        return {} if shared is None else {"shared_dimensions": Term(shared, 0.0)}

    def shared_posterior(self, mean_1, logvar_1, mean_2, logvar_2):
        """(mean, logvar) of the posterior the shared dimensions take."""
        if self.average == "group":
            return (0.5 * (mean_1 + mean_2),
                    tf.math.log(0.5) + tf.reduce_logsumexp(tf.stack([logvar_1, logvar_2]), 0))
        var_1, var_2 = tf.exp(logvar_1), tf.exp(logvar_2)
        mean = (mean_1 * var_2 + mean_2 * var_1) / (var_1 + var_2)
        # log(v1 v2 / (v1 + v2)), computed from the log-variances.
        logvar = logvar_1 + logvar_2 - tf.reduce_logsumexp(tf.stack([logvar_1, logvar_2]), 0)
        if self.replicate_official_ml_variance:
            logvar += tf.math.log(2.0)
        return mean, logvar

    def own_from_labels(self, changed, num_latent):
        """[B, L] bool: latent i is the image's own where factor i changed
        (factors beyond L are dropped, latents beyond F are shared). With the
        official dynamics, disentanglement_lib's rule on its one-hot label:
        own where the row equals its maximum (a zero row: all own)."""
        num_factors = changed.shape[-1]
        if num_factors >= num_latent:
            labels = changed[:, :num_latent]
        else:
            labels = tf.pad(changed, [[0, 0], [0, num_latent - num_factors]])
        if self.replicate_official_dynamics:
            return tf.equal(labels, tf.reduce_max(labels, axis=1, keepdims=True))
        return labels > 0


def pair_divergence(mean_1, logvar_1, mean_2, logvar_2):
    """δ = 2 KL(N(mean_1, var_1) || N(mean_2, var_2)) per dimension."""
    return (tf.exp(logvar_1 - logvar_2) + tf.square(mean_2 - mean_1) * tf.exp(-logvar_2)
            - 1.0 + logvar_2 - logvar_1)


def own_from_divergence(divergence):
    """[B, L] bool: a dimension is the image's own where its divergence is
    in the upper of two equal-width bins between the pair's minimum and
    maximum (δ >= (min + max) / 2); a pair whose divergences are all equal
    shares every dimension."""
    divergence = tf.stop_gradient(divergence)
    low = tf.reduce_min(divergence, axis=1, keepdims=True)
    high = tf.reduce_max(divergence, axis=1, keepdims=True)
    return (divergence >= 0.5 * (low + high)) & (high > low)
