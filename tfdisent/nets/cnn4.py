"""The 4-conv encoder/decoder of the CFASL and MIPE official code.

Encoder: 4 x Conv(k4, s2, valid) + ReLU -> Linear(H) with no activation (as
the code) -> mean, logvar. Decoder: Linear(H)+ReLU -> Linear(1024)+ReLU ->
4 x ConvTranspose(k4, s2) -> logits. H = 128 for 1-channel data, 256 else.
"""

import gin
import keras
from keras import layers

from tfdisent.nets.dlib import gaussian_heads


def hidden_width(channels):
    return 128 if channels == 1 else 256


@gin.configurable("cnn4_encoder", allowlist=["hidden"])
def cnn4_encoder(input_shape, num_latent, hidden=None):
    hidden = hidden or hidden_width(input_shape[-1])
    x = inputs = keras.Input(input_shape, name="images")
    for filters in (32, 32, 64, 64):
        x = layers.Conv2D(filters, 4, strides=2, padding="valid",
                          activation="relu")(x)
    x = layers.Dense(hidden)(layers.Flatten()(x))
    return keras.Model(inputs, gaussian_heads(x, num_latent), name="encoder")


@gin.configurable("cnn4_decoder", allowlist=["hidden"])
def cnn4_decoder(num_latent, output_shape, hidden=None):
    hidden = hidden or hidden_width(output_shape[-1])
    z = keras.Input((num_latent,), name="latents")
    x = layers.Dense(hidden, activation="relu")(z)
    x = layers.Dense(1024, activation="relu")(x)
    x = layers.Reshape((4, 4, 64))(x)
    for filters in (64, 32, 32):
        x = layers.Conv2DTranspose(filters, 4, strides=2, padding="same",
                                   activation="relu")(x)
    x = layers.Conv2DTranspose(output_shape[-1], 4, strides=2, padding="same")(x)
    return keras.Model(z, x, name="decoder")
