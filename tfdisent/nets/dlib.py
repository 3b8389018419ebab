"""disentanglement_lib's architectures, layer for layer.

conv_encoder / deconv_decoder: Locatello et al. 2019 (kernel sizes 4, 4, 2, 2),
fc_encoder / fc_decoder, and the FactorVAE discriminator.
"""

import gin
import keras
from keras import layers


def gaussian_heads(features, num_latent):
    return {"mean": layers.Dense(num_latent, name="means")(features),
            "logvar": layers.Dense(num_latent, name="log_var")(features)}


def deterministic_head(features, num_latent):
    return {"mean": layers.Dense(num_latent, name="means")(features)}


def _conv_trunk(inputs):
    x = inputs
    for filters, kernel in ((32, 4), (32, 4), (64, 2), (64, 2)):
        x = layers.Conv2D(filters, kernel, strides=2, padding="same",
                          activation="relu")(x)
    return layers.Dense(256, activation="relu")(layers.Flatten()(x))


@gin.configurable("conv_encoder", allowlist=[])
def conv_encoder(input_shape, num_latent):
    inputs = keras.Input(input_shape, name="images")
    return keras.Model(inputs, gaussian_heads(_conv_trunk(inputs), num_latent),
                       name="encoder")


@gin.configurable("deterministic_conv_encoder", allowlist=[])
def deterministic_conv_encoder(input_shape, num_latent):
    """conv_encoder's trunk with a single code head (for autoencoders)."""
    inputs = keras.Input(input_shape, name="images")
    return keras.Model(inputs, deterministic_head(_conv_trunk(inputs), num_latent),
                       name="encoder")


def deconv_stack(num_latent, output_shape, hidden):
    """Dense(hidden) -> Dense(1024) -> 4x4x64 -> 4 stride-2 transposed convs."""
    z = keras.Input((num_latent,), name="latents")
    x = layers.Dense(hidden, activation="relu")(z)
    x = layers.Dense(1024, activation="relu")(x)
    x = layers.Reshape((4, 4, 64))(x)
    for filters in (64, 32, 32):
        x = layers.Conv2DTranspose(filters, 4, strides=2, padding="same",
                                   activation="relu")(x)
    x = layers.Conv2DTranspose(output_shape[-1], 4, strides=2, padding="same")(x)
    return keras.Model(z, x, name="decoder")


@gin.configurable("deconv_decoder", allowlist=[])
def deconv_decoder(num_latent, output_shape):
    return deconv_stack(num_latent, output_shape, 256)


@gin.configurable("fc_encoder", allowlist=[])
def fc_encoder(input_shape, num_latent):
    x = inputs = keras.Input(input_shape, name="images")
    x = layers.Flatten()(x)
    for _ in range(2):
        x = layers.Dense(1200, activation="relu")(x)
    return keras.Model(inputs, gaussian_heads(x, num_latent), name="encoder")


@gin.configurable("fc_decoder", allowlist=[])
def fc_decoder(num_latent, output_shape):
    x = z = keras.Input((num_latent,), name="latents")
    for _ in range(3):
        x = layers.Dense(1200, activation="tanh")(x)
    x = layers.Dense(int(_prod(output_shape)))(x)
    return keras.Model(z, layers.Reshape(tuple(output_shape))(x), name="decoder")


@gin.configurable("fc_discriminator", allowlist=["num_layers", "width"])
def fc_discriminator(num_latent, num_layers=6, width=1000):
    """FactorVAE's discriminator: 6 x Dense(1000, leaky ReLU) -> 2 logits."""
    x = z = keras.Input((num_latent,), name="latents")
    for _ in range(num_layers):
        x = layers.Dense(width)(x)
        x = layers.LeakyReLU(0.2)(x)
    return keras.Model(z, layers.Dense(2)(x), name="discriminator")


def _prod(shape):
    out = 1
    for s in shape:
        out *= int(s)
    return out
