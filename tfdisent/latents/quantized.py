"""Latent quantization (Hsu et al. 2023): a learnable scalar codebook per
latent dimension, nearest-value quantization and a straight-through code.

Dimension j has its own values v_j,1..n_j (initialised linspace(-0.5, 0.5,
n_j)); z_j is replaced by its nearest value q_j, and the decoder receives
ẑ = z + stop_gradient(q − z) (forward: q, backward: identity to z).
Dimensions may have different sizes: the codebook is stored dense
[K, max n_j] and padded slots are masked out of every argmin and draw.
"""

import keras
import numpy as np
import tensorflow as tf

from tfdisent.configurable import configurable

INIT_RANGE = (-0.5, 0.5)


def codebook_sizes(num_latent, num_values):
    """Per-dimension codebook sizes from an int or a list of K ints."""
    sizes = ([num_values] * num_latent if isinstance(num_values, int)
             else [int(n) for n in num_values])
    if len(sizes) != num_latent or min(sizes) < 1:
        raise ValueError("num_values must be a positive int or %d positive "
                         "ints (one per latent), got %r" % (num_latent, num_values))
    return tuple(sizes)


def initial_codebook(sizes):
    """[len(sizes), max(sizes)]: row j is linspace(-0.5, 0.5, sizes[j]), zero-padded."""
    table = np.zeros((len(sizes), max(sizes)), np.float32)
    for j, n in enumerate(sizes):
        table[j, :n] = np.linspace(*INIT_RANGE, n)
    return table


def select(values, indices):
    """values[j, indices[b, j]] as [B, K], differentiable w.r.t. `values`."""
    one_hot = tf.one_hot(indices, tf.shape(values)[-1], dtype=values.dtype)
    return tf.reduce_sum(one_hot * values[None], axis=-1)


@configurable("quantized_latent", denylist=["num_latent"])
class QuantizedLatent(keras.layers.Layer):
    """Per-dimension scalar codebooks with nearest-value quantization.

    Args:
      num_latent: K, the code size.
      num_values: values per dimension, an int or K ints (default 10).
      global_codebook: one codebook shared by all dimensions (the paper's
        ablation); needs an int `num_values`.
      optimize_values: train the codebook (the official default).

    Calling it on z [B, K] returns a dict: "continuous" (z), "quantized"
    (q, codebook values), "straight_through" (ẑ) and "indices" (int32 k_j).
    """

    def __init__(self, num_latent, num_values=10, global_codebook=False,
                 optimize_values=True, **kwargs):
        super().__init__(**kwargs)
        if global_codebook and not isinstance(num_values, int):
            raise ValueError("a global codebook needs one int num_values, got %r"
                             % (num_values,))
        self.num_latent = int(num_latent)
        self.sizes = codebook_sizes(self.num_latent, num_values)
        self.global_codebook = global_codebook
        table = initial_codebook(self.sizes[:1] if global_codebook else self.sizes)
        self.codebook = self.add_weight(
            name="codebook", shape=table.shape, trainable=optimize_values,
            initializer=keras.initializers.Constant(table))
        self._valid = np.arange(max(self.sizes))[None] < np.array(self.sizes)[:, None]

    def values(self):
        """The codebook as [K, max n_j] (the global one repeated per row)."""
        return tf.broadcast_to(self.codebook, self._valid.shape)

    def call(self, z):
        values = self.values()
        distance = tf.abs(z[:, :, None] - values[None])
        distance = tf.where(self._valid[None], distance, np.inf)
        indices = tf.argmin(distance, axis=-1, output_type=tf.int32)
        quantized = select(values, indices)
        return {"continuous": z, "quantized": quantized,
                "straight_through": z + tf.stop_gradient(quantized - z),
                "indices": indices}

    def sample(self, uniform_noise):
        """Prior draws: each dimension uniform over its own values.

        `uniform_noise` is U[0, 1) noise [B, K] (the caller owns randomness);
        the draws are differentiable w.r.t. the codebook.
        """
        sizes = tf.constant(self.sizes, tf.int32)
        scaled = uniform_noise * tf.cast(sizes, uniform_noise.dtype)
        indices = tf.minimum(tf.cast(scaled, tf.int32), sizes - 1)
        return select(self.values(), indices)


def quantization_loss(continuous, quantized):
    """mean (sg(z) − q)²: moves the codebook values towards the codes."""
    return tf.reduce_mean(tf.square(tf.stop_gradient(continuous) - quantized))


def commitment_loss(continuous, quantized):
    """mean (z − sg(q))²: moves the codes towards their codebook values."""
    return tf.reduce_mean(tf.square(continuous - tf.stop_gradient(quantized)))
