"""The 4-conv encoder/decoder of the CFASL and MIPE official code.

Encoder: 4 x Conv(k4, s2, valid) + ReLU -> Linear(H) with no activation (as
the code) -> mean, logvar. Decoder: Linear(H)+ReLU -> Linear(1024)+ReLU ->
4 x ConvTranspose(k4, s2) -> logits. H follows the code's per-dataset table
(`src/constants.py` DATA_HIDDEN_DIM): 128 for dSprites, 256 for every other
dataset (smallNORB too, though it has 1 channel); a dataset the table does
not name gets 128 for 1 channel and 256 else.
"""

import gin
import keras
from keras import layers

from tfdisent.nets.dlib import deconv_stack, gaussian_heads


# DATA_HIDDEN_DIM of the official code, by tfdisent dataset name.
HIDDEN_BY_DATASET = {
    "sprites": 128, "dsprites_full": 128, "dsprites_noshape": 128,
    "dsprites_tfds": 128, "smallnorb": 256, "smallnorb_tfds": 256,
}


def configured_dataset():
    """The dataset gin trains on (`dataset.name`), None when it is not bound."""
    try:
        return gin.query_parameter("dataset.name")
    except ValueError:
        return None


def hidden_width(channels, dataset_name=None):
    """H for a dataset: the table's value, else 128 for 1 channel, 256 else."""
    default = 128 if channels == 1 else 256
    return HIDDEN_BY_DATASET.get(dataset_name, default)


def conv_trunk(inputs):
    """4 x Conv(k4, s2, valid, ReLU), flattened (256 features at 64x64)."""
    x = inputs
    for filters in (32, 32, 64, 64):
        x = layers.Conv2D(filters, 4, strides=2, padding="valid",
                          activation="relu")(x)
    return layers.Flatten()(x)


@gin.configurable("cnn4_encoder", allowlist=["hidden"])
def cnn4_encoder(input_shape, num_latent, hidden=None):
    hidden = hidden or hidden_width(input_shape[-1], configured_dataset())
    inputs = keras.Input(input_shape, name="images")
    x = layers.Dense(hidden)(conv_trunk(inputs))
    return keras.Model(inputs, gaussian_heads(x, num_latent), name="encoder")


@gin.configurable("cnn4_decoder", allowlist=["hidden"])
def cnn4_decoder(num_latent, output_shape, hidden=None):
    return deconv_stack(num_latent, output_shape,
                        hidden or hidden_width(output_shape[-1], configured_dataset()))
