"""CLG-VAE: Commutative Lie Group VAE (Zhu et al. 2021), as re-implemented in
the CFASL and MIPE code (a base model for both).

gin wiring: ``encoder.encoder_fn = @clg_encoder``, ``decoder.decoder_fn =
@clg_decoder``, ``vae.regularizer = @clg_vae()``.

- Encoder: 4-conv trunk -> Dense(256)+ReLU -> Dense(100)+sigmoid = group
  features g_E -> one MLP 100 -> 400 -> ReLU -> D each for mean and logvar.
- Decoder: g_D = expm(sum_d z_d A_d) flattened (100) -> Dense(256)+ReLU ->
  Dense(1024)+ReLU -> the 4-deconv stack.
- Objective: reconstruction (decoded from g_E instead of g_D with
  probability 0.2 in training), KL, 40 Hessian + 20 commute penalties on the
  basis, hy_rec ||g_E - g_D||^2.

Randomness: salt 12 = the per-step choice of g_E for the reconstruction.
"""

import gin
import keras
import tensorflow as tf
from keras import layers

from tfdisent.configurable import configurable
from tfdisent.latents import lie_group
from tfdisent.models.base import Component, Term
from tfdisent.nets import cnn4

FEATURE_SALT = 12


def _mlp_head(features, num_latent, name):
    hidden = layers.Dense(4 * features.shape[-1], activation="relu")(features)
    return layers.Dense(num_latent, name=name)(hidden)


@gin.configurable("clg_encoder", allowlist=["group_size"])
def clg_encoder(input_shape, num_latent, group_size=100):
    """images -> {"mean", "logvar", "group_features" (g_E, in (0, 1))}."""
    inputs = keras.Input(input_shape, name="images")
    x = layers.Dense(256, activation="relu")(cnn4.conv_trunk(inputs))
    features = layers.Dense(group_size, activation="sigmoid",
                            name="group_features")(x)
    return keras.Model(inputs, {
        "mean": _mlp_head(features, num_latent, "means"),
        "logvar": _mlp_head(features, num_latent, "log_var"),
        "group_features": features}, name="encoder")


class LieGroupDecoder(keras.Model):
    """codes -> group features expm(sum_d z_d A_d) -> image logits."""

    def __init__(self, num_latent, output_shape, matrix_size=10,
                 basis_stddev=0.001, hidden=256, **kwargs):
        super().__init__(name=kwargs.pop("name", "decoder"), **kwargs)
        self.lie = lie_group.LieAlgebraBasis(num_latent, matrix_size,
                                             basis_stddev, name="lie_group")
        self.feature_decoder = cnn4.cnn4_decoder(matrix_size ** 2, output_shape,
                                                 hidden=hidden)

    def group_features(self, z):
        return self.lie(z)

    def decode_features(self, features, training=False):
        return self.feature_decoder(features, training=training)

    def call(self, z, training=False):
        return self.decode_features(self.group_features(z), training=training)


@gin.configurable("clg_decoder", allowlist=["matrix_size", "basis_stddev"])
def clg_decoder(num_latent, output_shape, matrix_size=10, basis_stddev=0.001):
    return LieGroupDecoder(num_latent, tuple(output_shape), matrix_size,
                           basis_stddev)


@configurable("clg_vae")
class CLGVAE(Component):
    """The CLG-VAE objective (needs @clg_encoder and @clg_decoder).

    Args:
      beta: KL weight (1 in the code).
      hessian_weight: hy_hes (40). commute_weight: hy_commute (20).
      group_reconstruction_weight: hy_rec (0.1; README sweep 0.1-0.7).
      feature_decode_probability: forward_eq_prob (0.2): per training step,
        the reconstruction is decoded from g_E instead of g_D.
    """

    def __init__(self, beta=1.0, hessian_weight=40.0, commute_weight=20.0,
                 group_reconstruction_weight=0.1, feature_decode_probability=0.2,
                 **kwargs):
        super().__init__(**kwargs)
        self.beta = beta
        self.hessian_weight, self.commute_weight = hessian_weight, commute_weight
        self.group_reconstruction_weight = group_reconstruction_weight
        self.feature_decode_probability = feature_decode_probability

    def attach(self, model):
        encoded = model.encoder.output
        if (not isinstance(model.decoder, LieGroupDecoder)
                or "group_features" not in encoded):
            raise ValueError("clg_vae needs encoder.encoder_fn = @clg_encoder "
                             "and decoder.decoder_fn = @clg_decoder")
        sizes = int(encoded["group_features"].shape[-1]), model.decoder.lie.matrix_size ** 2
        if sizes[0] != sizes[1]:
            raise ValueError("clg_encoder.group_size (%d) must be "
                             "clg_decoder.matrix_size ** 2 (%d)" % sizes)

    def prepare(self, ctx):
        decoder = ctx.model.decoder
        encoded = ctx.encoded["group_features"]
        decoded = decoder.group_features(ctx.z)
        features = decoded
        if ctx.training and self.feature_decode_probability > 0:
            coin = ctx.model.random_uniform([1], salt=FEATURE_SALT, per_example=False)[0]
            features = tf.where(coin < self.feature_decode_probability,
                                encoded, decoded)
        ctx.reconstruction_logits = decoder.decode_features(
            features, training=ctx.training)
        ctx.group_features = (encoded, decoded)

    def terms(self, ctx):
        basis = ctx.model.decoder.lie.basis
        encoded, decoded = ctx.group_features
        return {
            "kl_loss": Term(tf.reduce_mean(ctx.kl_per_example), self.beta),
            "clg_hessian": Term(lie_group.hessian_penalty(basis),
                                self.hessian_weight),
            "clg_commute": Term(lie_group.commute_penalty(basis),
                                self.commute_weight),
            "clg_group_reconstruction": Term(
                tf.reduce_mean(tf.reduce_sum(tf.square(encoded - decoded), 1)),
                self.group_reconstruction_weight),
        }
