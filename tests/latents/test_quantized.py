"""Scalar codebooks: nearest-value quantization, straight-through gradients,
the two codebook losses, prior draws, ragged sizes and the global codebook."""

import numpy as np
import pytest
import tensorflow as tf

from tfdisent.latents.quantized import (QuantizedLatent, commitment_loss,
                                        initial_codebook, quantization_loss)


def test_codebook_starts_evenly_spaced_on_minus_half_to_half():
    layer = QuantizedLatent(3, 10)
    expected = np.tile(np.linspace(-0.5, 0.5, 10), (3, 1))
    np.testing.assert_allclose(layer.values().numpy(), expected, atol=1e-7)
    assert layer.codebook.trainable


def test_quantization_picks_the_nearest_codebook_value():
    layer = QuantizedLatent(4, 5)
    z = tf.random.stateless_normal([64, 4], seed=[1, 2])
    out = layer(z)
    values = layer.values().numpy()
    brute = np.argmin(np.abs(z.numpy()[:, :, None] - values[None]), axis=-1)
    np.testing.assert_array_equal(out["indices"].numpy(), brute)
    np.testing.assert_array_equal(out["quantized"].numpy(),
                                  values[np.arange(4)[None], brute])
    for j in range(4):
        assert set(np.unique(out["quantized"].numpy()[:, j])) <= set(values[j])
    np.testing.assert_array_equal(out["straight_through"].numpy(),
                                  out["quantized"].numpy())
    np.testing.assert_array_equal(out["continuous"].numpy(), z.numpy())


def test_hand_computed_example():
    layer = QuantizedLatent(2, 3)  # values -0.5, 0, 0.5
    out = layer(tf.constant([[0.3, -0.2], [-9.0, 0.26]]))
    np.testing.assert_array_equal(out["indices"].numpy(), [[2, 1], [0, 2]])
    np.testing.assert_array_equal(out["quantized"].numpy(), [[0.5, 0.0], [-0.5, 0.5]])


def test_straight_through_gradient_is_the_identity_to_the_code():
    layer = QuantizedLatent(3, 10)
    z = tf.constant([[0.12, -0.33, 0.9]])
    weights = tf.constant([[1.0, -2.0, 3.0]])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(z)
        y = tf.reduce_sum(layer(z)["straight_through"] * weights)
    np.testing.assert_allclose(tape.gradient(y, z).numpy(), weights.numpy())
    assert tape.gradient(y, layer.codebook) is None


def test_quantization_loss_moves_only_the_codebook():
    layer = QuantizedLatent(3, 10)
    z = tf.constant([[0.12, -0.33, 0.9], [0.0, 0.4, -0.1]])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(z)
        out = layer(z)
        loss = quantization_loss(out["continuous"], out["quantized"])
    assert tape.gradient(loss, z) is None
    grad = tape.gradient(loss, layer.codebook).numpy()
    assert np.abs(grad).max() > 0
    # Only the selected values receive a gradient: 2·(q − z)/N each.
    q, idx = out["quantized"].numpy(), out["indices"].numpy()
    expected = np.zeros_like(grad)
    np.add.at(expected, (np.tile(np.arange(3), 2), idx.ravel()),
              (2.0 * (q - z.numpy()) / z.numpy().size).ravel())
    np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-7)


def test_commitment_loss_moves_only_the_code():
    layer = QuantizedLatent(3, 10)
    z = tf.constant([[0.12, -0.33, 0.9], [0.0, 0.4, -0.1]])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(z)
        out = layer(z)
        loss = commitment_loss(out["continuous"], out["quantized"])
    grad = tape.gradient(loss, z).numpy()
    np.testing.assert_allclose(grad, 2.0 * (z.numpy() - out["quantized"].numpy()) / 6,
                               rtol=1e-5)
    assert tape.gradient(loss, layer.codebook) is None
    np.testing.assert_allclose(
        float(loss), np.mean((z.numpy() - out["quantized"].numpy()) ** 2), rtol=1e-6)


def test_ragged_sizes_never_select_padding():
    layer = QuantizedLatent(3, [2, 3, 5])
    np.testing.assert_allclose(layer.values().numpy()[0, :2], [-0.5, 0.5])
    np.testing.assert_allclose(layer.values().numpy()[1, :3], [-0.5, 0.0, 0.5])
    # 0.0 is closest to the zero padding of dimension 0, which is masked.
    out = layer(tf.constant([[0.1, 0.1, 0.1]]))
    np.testing.assert_array_equal(out["indices"].numpy(), [[1, 1, 2]])
    draws = layer.sample(tf.random.stateless_uniform([2000, 3], seed=[0, 1]))
    for j, n in enumerate([2, 3, 5]):
        assert set(np.unique(draws.numpy()[:, j])) == set(np.linspace(-0.5, 0.5, n))


def test_prior_is_uniform_over_each_dimension_and_differentiable():
    layer = QuantizedLatent(2, 4)
    noise = tf.random.stateless_uniform([8000, 2], seed=[3, 4])
    with tf.GradientTape() as tape:
        draws = layer.sample(noise)
        total = tf.reduce_sum(draws)
    counts = np.stack([np.sum(np.isclose(draws.numpy()[:, j, None],
                                         layer.values().numpy()[j][None]), 0)
                       for j in range(2)])
    assert counts.sum() == 16000
    np.testing.assert_allclose(counts / 8000, 0.25, atol=0.02)
    # d(sum of draws)/d(value) = how often the value was drawn.
    np.testing.assert_allclose(tape.gradient(total, layer.codebook).numpy(), counts)


def test_global_codebook_is_one_shared_row():
    layer = QuantizedLatent(5, 4, global_codebook=True)
    assert tuple(layer.codebook.shape) == (1, 4)
    layer.codebook.assign([[-1.0, -0.2, 0.2, 1.0]])
    out = layer(tf.fill([1, 5], 0.9))
    np.testing.assert_array_equal(out["quantized"].numpy(), np.ones((1, 5)))


def test_bad_sizes_are_rejected():
    with pytest.raises(ValueError, match="one per latent"):
        QuantizedLatent(3, [2, 3])
    with pytest.raises(ValueError, match="global codebook"):
        QuantizedLatent(2, [2, 3], global_codebook=True)


def test_initial_codebook_pads_with_zeros():
    np.testing.assert_array_equal(initial_codebook([2, 3]),
                                  [[-0.5, 0.5, 0.0], [-0.5, 0.0, 0.5]])
