"""MIPE-transformation (Jung et al.) as an extension of the base VAEs.

m IPE units map the sampled code and its noise, ẑ_i = z·ψ_i and
ε̂_i = ε·ψ_i (ε = ctx.eps, so z = μ + σ⊙ε); one decoder call decodes all m·B
codes ẑ_i and the m images are averaged. Each unit's EF-conversion gives an
EF KL vector and an EF-similarity loss; a calibration term ties the summed EF
KL to the Gaussian KL. Objectives (docs/methods/mipe.md):

- β-VAE + MIPE: R + β·mean K_B + mean Σ_i L_el,i + L_cali
  (``ef_kl_in_loss=True``: K_B replaces ``ctx.kl_per_example``, so the base
  regularizer weighs it; β = ``beta_vae.beta``, 1 in the code);
- β-TCVAE + MIPE: base β-TCVAE terms on the original z, + mean Σ_i L_el,i +
  L_cali (``ef_kl_in_loss=False``: the EF KL enters only via L_cali);
- CLG-VAE + MIPE: one unit, ẑ handed to the base as ``ctx.z``
  (``replace_code=True``; MIPE must prepare before the base decodes, so it
  takes the ``vae.regularizer`` slot and ``@clg_vae()`` goes in
  ``vae.extensions``), K_B in place of the KL, L_cali with factor 1.

No randomness of its own (no salts used).
"""

import gin
import keras
import tensorflow as tf

from tfdisent.configurable import configurable
from tfdisent.latents.ef_conversion import EFConversion, calibration_loss
from tfdisent.latents.ipe import IPEUnits
from tfdisent.models.base import Component, OptimizerGroup, Term


@gin.configurable("mipe_optimizer")
def mipe_optimizer(learning_rate=4e-4, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
    """Adam for the IPE/EF parameters (the code's `sub_lr_rate`, no decay)."""
    return keras.optimizers.Adam(learning_rate, beta_1=beta_1, beta_2=beta_2,
                                 epsilon=epsilon)


def mixture_logits(logits):
    """Logits of mean_i sigmoid(logits_i) over axis 0, in the log domain:
    log p − log(1 − p) with log p = logsumexp_i log σ(l_i) − log m (the
    log m cancels), so any reconstruction loss on these logits sees exactly
    the averaged image, without clipping."""
    return (tf.reduce_logsumexp(tf.math.log_sigmoid(logits), axis=0)
            - tf.reduce_logsumexp(tf.math.log_sigmoid(-logits), axis=0))


@configurable("mipe")
class MIPE(Component):
    """MIPE-transformation: m IPE units + EF-conversions on a Gaussian VAE.

    Args:
      num_units: m (the code's `num_inv_equ`, default 3).
      single_exponential: ψ = expm(sym(W)) (the figure) instead of the
        code's expm(sym(W₁))·expm(sym(W₂)).
      ef_kl_in_loss: replace ``ctx.kl_per_example`` (and
        ``kl_per_dimension``) by the EF KL, so the base regularizer's KL term
        is the EF KL (β-VAE, CLG-VAE); False keeps the Gaussian KL there and
        the EF KL enters only via the calibration (β-TCVAE, as the code).
      similarity_weight, calibration_weight: weights of mean_b Σ_i L_el,i and
        L_cali (1 in the code).
      calibration_factor: c in mean_b (K_B − c·KL_G)²; None = num_units
        (β-VAE, β-TCVAE code); the CLG code's single unit gives 1.
      replace_code: hand ẑ to the base as ``ctx.z`` instead of decoding here
        (one unit only; for bases that decode ctx.z in their own ``prepare``,
        CLG-VAE: MIPE must come before them in the component list).
      transformed_representation: score mean_i(μ·ψ_i) instead of the
        pre-transform μ (the code's metrics score the sampled pre-transform
        z: ``evaluation.representation = "sampled"``, as
        gin_configs/metrics/mipe_paper.gin).
      optimizer: optimizer of the IPE/EF group (default ``mipe_optimizer()``).
    """

    def __init__(self, num_units=3, single_exponential=False, ef_kl_in_loss=True,
                 similarity_weight=1.0, calibration_weight=1.0,
                 calibration_factor=None, replace_code=False,
                 transformed_representation=False, optimizer=None, **kwargs):
        super().__init__(**kwargs)
        if num_units < 1:
            raise ValueError("mipe.num_units must be >= 1, got %r" % (num_units,))
        if replace_code and num_units != 1:
            raise ValueError("mipe.replace_code needs mipe.num_units = 1 (got %d): "
                             "several transformed codes cannot replace one code"
                             % num_units)
        self.num_units = int(num_units)
        self.single_exponential = single_exponential
        self.ef_kl_in_loss = ef_kl_in_loss
        self.similarity_weight = similarity_weight
        self.calibration_weight = calibration_weight
        self.calibration_factor = (float(num_units) if calibration_factor is None
                                   else calibration_factor)
        self.replace_code = replace_code
        self.transformed_representation = transformed_representation
        self.optimizer = optimizer or mipe_optimizer()
        self.units = self.ef = None

    def attach(self, model):
        if not model.stochastic:
            raise ValueError("mipe needs a Gaussian encoder (outputs 'mean' and "
                             "'logvar'): it transforms the posterior noise")
        self.units = IPEUnits(self.num_units, model.num_latent,
                              self.single_exponential, name="ipe_units")
        self.ef = EFConversion(self.num_units, model.num_latent,
                               name="ef_conversion")

    def optimizer_groups(self):
        return [OptimizerGroup("mipe", self.units.trainable_variables
                               + self.ef.trainable_variables, self.optimizer)]

    # -- the transformation ------------------------------------------------
    def transform(self, *codes):
        """Each [B, D] code through every unit: a list of [m, B, D]."""
        stacked = self.units.bijector().forward(tf.concat(codes, axis=0))
        return tf.split(stacked, len(codes), axis=1)

    def decode_logits(self, model, z_hat, training=False):
        """Logits of the m-image average for ẑ [m, B, D], one decoder call."""
        flat = tf.reshape(z_hat, [-1, model.num_latent])
        logits = model.decoder(flat, training=training)
        if self.num_units == 1:
            return logits
        shape = tf.concat([[self.num_units, -1], tf.shape(logits)[1:]], axis=0)
        return mixture_logits(tf.reshape(logits, shape))

    def prepare(self, ctx):
        z_hat, eps_hat = self.transform(ctx.z, ctx.eps)
        kl, similarity = self.ef.terms(z_hat, eps_hat, ctx.training)
        ctx.mipe_z, ctx.mipe_eps = z_hat, eps_hat
        ctx.ef_kl_per_example = tf.reduce_sum(kl, axis=[0, 2])
        ctx.ef_similarity_per_example = tf.reduce_sum(similarity, axis=0)
        ctx.gaussian_kl_per_example = ctx.kl_per_example
        if self.ef_kl_in_loss:
            ctx.kl_per_dimension = tf.reduce_sum(kl, axis=0)
            ctx.kl_per_example = ctx.ef_kl_per_example
        if self.replace_code:
            if ctx.reconstruction_logits is not None:
                raise ValueError(
                    "mipe.replace_code: a component before mipe already decoded "
                    "the code; put mipe first (vae.regularizer = @mipe(), the "
                    "base in vae.extensions)")
            ctx.z = z_hat[0]
        else:
            ctx.reconstruction_logits = self.decode_logits(ctx.model, z_hat,
                                                           ctx.training)

    def terms(self, ctx):
        return {
            "ef_kl": Term(tf.reduce_mean(ctx.ef_kl_per_example), 0.0),
            "gaussian_kl": Term(tf.reduce_mean(ctx.gaussian_kl_per_example), 0.0),
            "ef_similarity": Term(tf.reduce_mean(ctx.ef_similarity_per_example),
                                  self.similarity_weight),
            "kl_calibration": Term(calibration_loss(
                ctx.ef_kl_per_example, ctx.gaussian_kl_per_example,
                self.calibration_factor), self.calibration_weight),
        }

    # -- what a trained model serves ---------------------------------------
    def representation(self, model, x):
        """The pre-transform μ, or mean_i μ·ψ_i if transformed_representation.
        (The official FVM.py scores the sampled pre-transform z with prune
        threshold 0: ``evaluation.representation = "sampled"``.)"""
        mean = model.encode(x)["mean"]
        if not self.transformed_representation:
            return mean
        return tf.reduce_mean(self.transform(mean)[0], axis=0)

    def decode_images(self, model, z):
        """mean_i sigmoid(decoder(z·ψ_i)): the image the model is trained to
        reconstruct from a code (the official forward's averaged output), so
        the SavedModel's `decoder` and `reconstructions` serve it."""
        return tf.sigmoid(self.decode_logits(model, self.transform(z)[0]))
