"""The networks of the official QLAE / QLInfoWGAN-GP code (Hsu et al. 2023).

Encoder (``image``): 12 blocks Conv(no bias) -> InstanceNorm (affine) ->
LeakyReLU(0.2), widths 32,32,32,64,...,256, kernels (3,3,4)x4, strides
(1,1,2)x4, padding 1; Flatten -> Dense 256 + ReLU -> Dense 256 + ReLU
("features") -> linear head ("mean", the continuous code pre-quantization).

Decoders:
- ``style_image``: w = MLP(z) (Dense 256 + ReLU, x2); a learned constant
  4x4x256 map (init 0.1); 12 style blocks ConvTranspose(no bias) ->
  LeakyReLU(0.2) -> InstanceNorm without affine -> x*scale + bias with
  [scale, bias] = ReLU(Dense(w -> 2C)); final Conv 3x3 (no bias) -> logits.
- ``image``: MLP(z) -> Dense(4x4x256) + ReLU -> 12 blocks ConvTranspose ->
  InstanceNorm -> LeakyReLU -> Conv 1x1 (no bias) -> logits.
- ``*_small``: 4 conv layers 64,128,256,512 (k4, s2), one dense layer of 512.

PyTorch/equinox padding is reproduced exactly: explicit zero padding and a
valid convolution; a full transposed convolution cropped by the padding.
Initialisation is PyTorch's U(±1/sqrt(fan_in)) for kernels and biases.
"""

import math
from typing import NamedTuple

import gin
import keras
from keras import layers, ops

LEAK = 0.2
NORM_EPSILON = 1e-6
PADDING = 1
CONSTANT_INIT = 0.1


class ConvSpec(NamedTuple):
    widths: tuple
    kernel_sizes: tuple
    strides: tuple


ENCODER = ConvSpec((32, 32, 32, 64, 64, 64, 128, 128, 128, 256, 256, 256),
                   (3, 3, 4) * 4, (1, 1, 2) * 4)
DECODER = ConvSpec((256, 256, 256, 128, 128, 128, 64, 64, 64, 32, 32, 32),
                   (3, 3, 4) * 4, (1, 1, 2) * 4)
ENCODER_SMALL = ConvSpec((64, 128, 256, 512), (4,) * 4, (2,) * 4)
DECODER_SMALL = ConvSpec((512, 256, 128, 64), (4,) * 4, (2,) * 4)
DENSE = (256, 256)
DENSE_SMALL = (512,)
ARCHITECTURE_ARGS = ["widths", "kernel_sizes", "strides", "dense_widths"]


def _spec(widths, kernel_sizes, strides):
    spec = ConvSpec(tuple(widths), tuple(kernel_sizes), tuple(strides))
    if not len(spec.widths) == len(spec.kernel_sizes) == len(spec.strides):
        raise ValueError("widths, kernel_sizes and strides need one entry per "
                         "layer, got %r" % (spec,))
    return spec


# -- PyTorch-style layers ---------------------------------------------------
def torch_uniform(fan="fan_in"):
    """U(±1/sqrt(fan)): PyTorch's default kernel init."""
    return keras.initializers.VarianceScaling(1.0 / 3.0, fan, "uniform")


def dense(units, fan_in, activation=None, name=None):
    """Dense with PyTorch's init of kernel and bias (U(±1/sqrt(fan_in)))."""
    limit = 1.0 / math.sqrt(fan_in)
    return layers.Dense(units, activation=activation, name=name,
                        kernel_initializer=torch_uniform(),
                        bias_initializer=keras.initializers.RandomUniform(-limit, limit))


def mlp(x, widths):
    for width in widths:
        x = dense(width, x.shape[-1], "relu")(x)
    return x


def conv(x, filters, kernel, stride, padding=PADDING):
    """torch.nn.Conv2d(padding=p, bias=False): zero-pad p, valid conv."""
    x = layers.ZeroPadding2D(padding)(x) if padding else x
    return layers.Conv2D(filters, kernel, stride, padding="valid", use_bias=False,
                         kernel_initializer=torch_uniform())(x)


def conv_transpose(x, filters, kernel, stride, padding=PADDING):
    """torch.nn.ConvTranspose2d(padding=p, bias=False): full transposed conv
    cropped by p. Keras stores its kernel as (k, k, out, in), so equinox's
    fan (in·k²) is Keras' fan_out."""
    x = layers.Conv2DTranspose(filters, kernel, stride, padding="valid",
                               use_bias=False,
                               kernel_initializer=torch_uniform("fan_out"))(x)
    return layers.Cropping2D(padding)(x) if padding else x


def instance_norm(channels, affine=True):
    """GroupNorm with one group per channel (equinox GroupNorm(groups=C))."""
    return layers.GroupNormalization(groups=channels, epsilon=NORM_EPSILON,
                                     center=affine, scale=affine)


def leaky_relu(x):
    return layers.LeakyReLU(negative_slope=LEAK)(x)


def start_size(output_shape, spec):
    """Spatial size a transposed stack must start from to reach output_shape."""
    sizes = []
    for out in output_shape[:2]:
        size = out
        for kernel, stride in zip(reversed(spec.kernel_sizes), reversed(spec.strides)):
            size = (size + 2 * PADDING - kernel) / stride + 1
        if size < 1 or size != int(size):
            raise ValueError("decoder layers (kernels %s, strides %s) cannot "
                             "produce an output of size %d"
                             % (spec.kernel_sizes, spec.strides, out))
        sizes.append(int(size))
    return tuple(sizes)


class ConstantInput(layers.Layer):
    """A learned map [H, W, C] (init 0.1), repeated over the batch of `w`."""

    def __init__(self, shape, **kwargs):
        super().__init__(**kwargs)
        self.map_shape = tuple(shape)
        self.map = self.add_weight(
            name="constant_input", shape=self.map_shape,
            initializer=keras.initializers.Constant(CONSTANT_INIT))

    def call(self, w):
        return ops.broadcast_to(self.map[None], (ops.shape(w)[0],) + self.map_shape)

    def compute_output_shape(self, w_shape):
        return (w_shape[0],) + self.map_shape

    def get_config(self):
        return dict(super().get_config(), shape=self.map_shape)


def modulate(x, style):
    """x * scale + bias per channel, with [scale, bias] = style [B, 2C]."""
    scale, bias = ops.split(style, 2, axis=-1)
    return x * scale[:, None, None, :] + bias[:, None, None, :]


# -- builders -----------------------------------------------------------------
def build_encoder(input_shape, num_latent, spec, dense_widths):
    inputs = x = keras.Input(tuple(input_shape), name="images")
    for width, kernel, stride in zip(*spec):
        x = leaky_relu(instance_norm(width)(conv(x, width, kernel, stride)))
    features = mlp(layers.Flatten()(x), dense_widths)
    pre_z = dense(num_latent, features.shape[-1], name="pre_z")(features)
    return keras.Model(inputs, {"mean": pre_z, "features": features},
                       name="encoder")


def build_style_decoder(num_latent, output_shape, spec, dense_widths,
                        input_channels):
    z = keras.Input((num_latent,), name="latents")
    w = mlp(z, dense_widths)
    x = ConstantInput(start_size(output_shape, spec) + (input_channels,))(w)
    for width, kernel, stride in zip(*spec):
        x = leaky_relu(conv_transpose(x, width, kernel, stride))
        x = instance_norm(width, affine=False)(x)
        x = modulate(x, dense(2 * width, w.shape[-1], "relu")(w))
    logits = conv(x, output_shape[-1], 3, 1)
    return keras.Model(z, logits, name="decoder")


def build_image_decoder(num_latent, output_shape, spec, dense_widths,
                        transition_channels):
    z = keras.Input((num_latent,), name="latents")
    x = mlp(z, dense_widths)
    height, width0 = start_size(output_shape, spec)
    x = dense(height * width0 * transition_channels, x.shape[-1], "relu")(x)
    x = layers.Reshape((height, width0, transition_channels))(x)
    for width, kernel, stride in zip(*spec):
        x = leaky_relu(instance_norm(width)(conv_transpose(x, width, kernel, stride)))
    logits = conv(x, output_shape[-1], 1, 1, padding=0)
    return keras.Model(z, logits, name="decoder")


# -- gin entry points -----------------------------------------------------------
@gin.configurable("qlae_encoder", allowlist=ARCHITECTURE_ARGS)
def qlae_encoder(input_shape, num_latent, widths=ENCODER.widths,
                 kernel_sizes=ENCODER.kernel_sizes, strides=ENCODER.strides,
                 dense_widths=DENSE):
    """The official ``image`` encoder: {"mean": pre_z, "features"}."""
    return build_encoder(input_shape, num_latent,
                         _spec(widths, kernel_sizes, strides), dense_widths)


@gin.configurable("qlae_encoder_small", allowlist=[])
def qlae_encoder_small(input_shape, num_latent):
    """The official ``image_small`` encoder."""
    return build_encoder(input_shape, num_latent, ENCODER_SMALL, DENSE_SMALL)


@gin.configurable("qlae_style_decoder",
                  allowlist=ARCHITECTURE_ARGS + ["input_channels"])
def qlae_style_decoder(num_latent, output_shape, widths=DECODER.widths,
                       kernel_sizes=DECODER.kernel_sizes, strides=DECODER.strides,
                       dense_widths=DENSE, input_channels=256):
    """The official ``style_image`` decoder (the paper's default)."""
    return build_style_decoder(num_latent, output_shape,
                               _spec(widths, kernel_sizes, strides),
                               dense_widths, input_channels)


@gin.configurable("qlae_style_decoder_small", allowlist=[])
def qlae_style_decoder_small(num_latent, output_shape):
    """The official ``style_image_small`` decoder."""
    return build_style_decoder(num_latent, output_shape, DECODER_SMALL,
                               DENSE_SMALL, 512)


@gin.configurable("qlae_image_decoder",
                  allowlist=ARCHITECTURE_ARGS + ["transition_channels"])
def qlae_image_decoder(num_latent, output_shape, widths=DECODER.widths,
                       kernel_sizes=DECODER.kernel_sizes, strides=DECODER.strides,
                       dense_widths=DENSE, transition_channels=256):
    """The official plain ``image`` decoder."""
    return build_image_decoder(num_latent, output_shape,
                               _spec(widths, kernel_sizes, strides),
                               dense_widths, transition_channels)


@gin.configurable("qlae_image_decoder_small", allowlist=[])
def qlae_image_decoder_small(num_latent, output_shape):
    """The official ``image_small`` decoder."""
    return build_image_decoder(num_latent, output_shape, DECODER_SMALL,
                               DENSE_SMALL, 512)
