"""The official QLAE networks: shapes, layer structure, PyTorch padding and
initialisation, parameter counts and gin registration."""

import math

import gin
import keras
import numpy as np
import pytest
import tensorflow as tf

from tfdisent.nets import factory
from tfdisent.nets import qlae as nets

TINY = dict(widths=(4, 6), kernel_sizes=(3, 4), strides=(1, 2), dense_widths=(16,))


def _layers(model, kind):
    return [layer for layer in model.layers if isinstance(layer, kind)]


def _conv_params(widths, kernels, in_channels):
    total = 0
    for width, kernel in zip(widths, kernels):
        total += in_channels * width * kernel * kernel
        in_channels = width
    return total


@pytest.fixture(scope="module")
def large():
    encoder = nets.qlae_encoder((64, 64, 3), 12)
    return encoder, nets.qlae_style_decoder(12, (64, 64, 3))


def test_large_encoder_structure_and_parameter_count(large):
    encoder, _ = large
    convs = _layers(encoder, keras.layers.Conv2D)
    assert [c.filters for c in convs] == list(nets.ENCODER.widths)
    assert [c.kernel_size[0] for c in convs] == [3, 3, 4] * 4
    assert [c.strides[0] for c in convs] == [1, 1, 2] * 4
    assert not any(c.use_bias for c in convs)
    norms = _layers(encoder, keras.layers.GroupNormalization)
    assert [n.groups for n in norms] == list(nets.ENCODER.widths)
    assert all(n.epsilon == 1e-6 and n.center and n.scale for n in norms)
    widths = nets.ENCODER.widths
    expected = (_conv_params(widths, nets.ENCODER.kernel_sizes, 3)
                + 2 * sum(widths)                      # instance-norm γ, β
                + 4 * 4 * 256 * 256 + 256 + 256 * 256 + 256 + 256 * 12 + 12)
    assert encoder.count_params() == expected
    out = encoder(tf.zeros([2, 64, 64, 3]))
    assert out["mean"].shape == (2, 12) and out["features"].shape == (2, 256)


def test_large_style_decoder_structure_and_parameter_count(large):
    _, decoder = large
    transposed = _layers(decoder, keras.layers.Conv2DTranspose)
    assert [c.filters for c in transposed] == list(nets.DECODER.widths)
    assert not any(c.use_bias for c in transposed)
    norms = _layers(decoder, keras.layers.GroupNormalization)
    assert all(not n.center and not n.scale for n in norms) and len(norms) == 12
    constant = _layers(decoder, nets.ConstantInput)[0]
    np.testing.assert_array_equal(constant.map.numpy(), np.full((4, 4, 256), 0.1, np.float32))
    widths = nets.DECODER.widths
    expected = (12 * 256 + 256 + 256 * 256 + 256          # w = MLP(z)
                + 4 * 4 * 256                                # constant input
                + _conv_params(widths, nets.DECODER.kernel_sizes, 256)
                + sum(256 * 2 * w + 2 * w for w in widths)   # style Dense(w -> 2C)
                + 32 * 3 * 3 * 3)                            # final 3x3 conv
    assert decoder.count_params() == expected
    assert decoder(tf.zeros([2, 12])).shape == (2, 64, 64, 3)


def test_small_and_plain_variants_shapes():
    x = tf.zeros([1, 64, 64, 1])
    encoder = nets.qlae_encoder_small((64, 64, 1), 10)
    assert [c.filters for c in _layers(encoder, keras.layers.Conv2D)] == [64, 128, 256, 512]
    out = encoder(x)
    assert out["features"].shape == (1, 512)
    for make in (nets.qlae_style_decoder_small, nets.qlae_image_decoder_small):
        assert make(10, (64, 64, 1))(out["mean"]).shape == (1, 64, 64, 1)
    plain = nets.qlae_image_decoder(10, (64, 64, 1), **TINY, transition_channels=8)
    assert plain(out["mean"]).shape == (1, 64, 64, 1)
    assert _layers(plain, keras.layers.Conv2D)[-1].kernel_size == (1, 1)


def test_conv_uses_pytorch_padding_on_odd_sizes():
    """k4 s2 p1 on 7x7 gives floor((7 + 2 - 4) / 2) + 1 = 3 (Keras 'same': 4)."""
    inputs = keras.Input((7, 7, 1))
    assert nets.conv(inputs, 2, 4, 2).shape[1:3] == (3, 3)
    assert nets.conv_transpose(keras.Input((3, 3, 1)), 2, 4, 2).shape[1:3] == (6, 6)


def test_transposed_conv_is_the_adjoint_of_the_conv():
    """<conv(x), y> = <x, convT(y)> with one kernel: the padding and the crop
    line up exactly as PyTorch's Conv2d / ConvTranspose2d pair does."""
    x_in, y_in = keras.Input((8, 8, 2)), keras.Input((4, 4, 3))
    conv = keras.Model(x_in, nets.conv(x_in, 3, 4, 2))
    deconv = keras.Model(y_in, nets.conv_transpose(y_in, 2, 4, 2))
    kernel = tf.random.stateless_normal([4, 4, 2, 3], seed=[0, 1])
    _layers(conv, keras.layers.Conv2D)[0].kernel.assign(kernel)
    _layers(deconv, keras.layers.Conv2DTranspose)[0].kernel.assign(kernel)
    x = tf.random.stateless_normal([1, 8, 8, 2], seed=[2, 3])
    y = tf.random.stateless_normal([1, 4, 4, 3], seed=[4, 5])
    np.testing.assert_allclose(float(tf.reduce_sum(conv(x) * y)),
                               float(tf.reduce_sum(x * deconv(y))), rtol=1e-4)


def test_pytorch_style_initialisation_bounds():
    encoder = nets.qlae_encoder((16, 16, 1), 4, **TINY)
    decoder = nets.qlae_style_decoder(4, (16, 16, 1), **TINY, input_channels=8)
    for layer in _layers(encoder, keras.layers.Conv2D):
        k = layer.kernel.numpy()
        limit = 1 / math.sqrt(k.shape[0] * k.shape[1] * k.shape[2])
        assert np.abs(k).max() <= limit and np.abs(k).max() > 0.5 * limit
    for layer in _layers(decoder, keras.layers.Conv2DTranspose):
        k = layer.kernel.numpy()  # (k, k, out, in): equinox's fan is in·k²
        limit = 1 / math.sqrt(k.shape[0] * k.shape[1] * k.shape[3])
        assert np.abs(k).max() <= limit and np.abs(k).max() > 0.5 * limit
    for layer in _layers(encoder, keras.layers.Dense):
        limit = 1 / math.sqrt(layer.kernel.shape[0])
        for w in (layer.kernel.numpy(), layer.bias.numpy()):
            assert np.abs(w).max() <= limit and np.abs(w).max() > 0
    assert np.abs(layer.bias.numpy()).max() > 0  # biases are not zero-initialised


def test_style_modulation_is_relu_scale_and_bias():
    x = tf.constant([[[[1.0, -2.0]]]])          # [1, 1, 1, 2]
    style = tf.constant([[3.0, 0.5, 1.0, 2.0]])  # scales (3, 0.5), biases (1, 2)
    np.testing.assert_allclose(nets.modulate(x, style).numpy(), [[[[4.0, 1.0]]]])


def test_unreachable_output_size_is_rejected():
    with pytest.raises(ValueError, match="cannot produce an output of size 50"):
        nets.qlae_style_decoder(4, (50, 50, 1))
    with pytest.raises(ValueError, match="one entry per layer"):
        nets.qlae_encoder((16, 16, 1), 4, widths=(4,), kernel_sizes=(3, 3), strides=(1,))


def test_gin_selects_the_networks():
    gin.clear_config()
    try:
        gin.parse_config([
            "encoder.encoder_fn = @qlae_encoder",
            "qlae_encoder.widths = (4, 6)", "qlae_encoder.kernel_sizes = (3, 4)",
            "qlae_encoder.strides = (1, 2)", "qlae_encoder.dense_widths = (16,)",
            "decoder.decoder_fn = @qlae_image_decoder",
            "qlae_image_decoder.widths = (4, 6)", "qlae_image_decoder.kernel_sizes = (3, 4)",
            "qlae_image_decoder.strides = (1, 2)", "qlae_image_decoder.dense_widths = (16,)",
            "qlae_image_decoder.transition_channels = 8"])
        encoder = factory.make_encoder((16, 16, 1), 5)
        decoder = factory.make_decoder(5, (16, 16, 1))
    finally:
        gin.clear_config()
    assert [c.filters for c in _layers(encoder, keras.layers.Conv2D)] == [4, 6]
    assert decoder(encoder(tf.zeros([1, 16, 16, 1]))["mean"]).shape == (1, 16, 16, 1)
