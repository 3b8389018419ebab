"""DEFT's multigroup ("fractional") encoder.

G sub-encoders (small conv encoders, base width 8) each emit K = n_z / G
latents; the code is their concatenation, group-major. A stage variable s
(non-trainable, checkpointed) gates the groups:

- i > s (not started): mean 0 and log-variance 0, so KL = 0 and the decoder
  receives pure N(0, 1) noise in those dimensions;
- i == s (current): the sub-encoder's output, trained at the full rate;
- i < s (earlier): the sub-encoder's output (trained at a reduced learning
  rate by the DEFT component), or with ``freeze=True`` its output with
  gradients stopped, passed through group i's learnable per-dimension
  projection mean' = mean·exp(w_mean), logvar' = logvar + w_logvar (zero
  init; the reference's `Projection`, one per group).

The DEFT component (tfdisent/models/deft.py) finds the gate, the groups and
the projections with `stage_gate(encoder)`, `group_variables(encoder)` and
`StageGate.projection_variables()`.
"""

import gin
import keras
import tensorflow as tf
from keras import layers

from tfdisent.nets import dlib

GATE_NAME = "stage_gate"


def group_name(index):
    return "group_%d" % index


class StageGate(keras.layers.Layer):
    """Gates [B, n_z] means and log-variances by group according to the stage."""

    def __init__(self, num_groups, latents_per_group, freeze=False, **kwargs):
        super().__init__(**kwargs)
        self.num_groups, self.latents_per_group = num_groups, latents_per_group
        self.freeze = freeze
        self.stage = self.add_weight(
            name="stage", shape=(), dtype="int32", initializer="zeros",
            trainable=False, aggregation="only_first_replica")
        self.dimension_group = tf.repeat(tf.range(num_groups), latents_per_group)
        self.projections = [
            [self.add_weight(name="mean_log_scale_%d" % i, shape=(latents_per_group,),
                             initializer="zeros"),
             self.add_weight(name="logvar_shift_%d" % i, shape=(latents_per_group,),
                             initializer="zeros")]
            for i in range(num_groups)] if freeze else []

    def projection_variables(self):
        """[w_mean_i, w_logvar_i] of each group's projection (freeze only)."""
        return [list(pair) for pair in self.projections]

    def call(self, mean, logvar):
        stage = tf.convert_to_tensor(self.stage)
        if self.freeze:
            earlier = self.dimension_group < stage
            log_scale = tf.concat([w for w, _ in self.projections], 0)
            shift = tf.concat([b for _, b in self.projections], 0)
            mean = tf.where(earlier, tf.stop_gradient(mean) * tf.exp(log_scale), mean)
            logvar = tf.where(earlier, tf.stop_gradient(logvar) + shift, logvar)
        started = self.dimension_group <= stage
        return (tf.where(started, mean, tf.zeros_like(mean)),
                tf.where(started, logvar, tf.zeros_like(logvar)))

    def compute_output_spec(self, mean, logvar):
        return (keras.KerasTensor(mean.shape, mean.dtype),
                keras.KerasTensor(logvar.shape, logvar.dtype))


def sub_encoder(input_shape, num_latent, base_channels=8, name="group"):
    """A conv encoder of width `base_channels`: four 4x4 stride-2 convolutions
    (c, c, 2c, 2c, ReLU), a Dense(8c) ReLU layer, Gaussian heads. On 64x64
    inputs the Dense layer is the official code's 4x4 valid convolution."""
    inputs = keras.Input(input_shape, name="images")
    x = inputs
    for multiple in (1, 1, 2, 2):
        x = layers.Conv2D(multiple * base_channels, 4, strides=2, padding="same",
                          activation="relu")(x)
    x = layers.Dense(8 * base_channels, activation="relu")(layers.Flatten()(x))
    return keras.Model(inputs, dlib.gaussian_heads(x, num_latent), name=name)


@gin.configurable("deft_encoder", allowlist=["num_groups", "base_channels",
                                             "freeze"])
def deft_encoder(input_shape, num_latent, num_groups=5, base_channels=8,
                 freeze=False):
    """The multigroup encoder: images -> {"mean", "logvar"} [B, num_latent]."""
    if num_groups < 1 or num_latent % num_groups:
        raise ValueError("deft_encoder: num_latent (%d) must be a positive "
                         "multiple of num_groups (%d)" % (num_latent, num_groups))
    per_group = num_latent // num_groups
    inputs = keras.Input(tuple(input_shape), name="images")
    outputs = [sub_encoder(tuple(input_shape), per_group, base_channels,
                           name=group_name(i))(inputs)
               for i in range(num_groups)]
    mean = layers.Concatenate(name="concat_mean")([o["mean"] for o in outputs])
    logvar = layers.Concatenate(name="concat_logvar")([o["logvar"] for o in outputs])
    mean, logvar = StageGate(num_groups, per_group, freeze, name=GATE_NAME)(
        mean, logvar)
    return keras.Model(inputs, {"mean": mean, "logvar": logvar}, name="encoder")


def stage_gate(encoder):
    """The StageGate of a deft_encoder; ValueError for any other encoder."""
    for layer in encoder.layers:
        if isinstance(layer, StageGate):
            return layer
    raise ValueError("DEFT needs the multigroup encoder: set "
                     "encoder.encoder_fn = @deft_encoder")


def group_variables(encoder):
    """Trainable variables of each group's sub-encoder, in group order."""
    gate = stage_gate(encoder)
    return [encoder.get_layer(group_name(i)).trainable_variables
            for i in range(gate.num_groups)]
