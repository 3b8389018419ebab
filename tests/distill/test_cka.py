"""Linear CKA and the FSD loss: known answers, invariances, masks, numerical safety."""

import numpy as np
import pytest
import tensorflow as tf
from scipy.stats import ortho_group

from tfdisent.distill.cka import batched_linear_cka, cka_loss, linear_cka


def _reference_cka(x, y):
    """The reference code's formula: HSIC = tr(HKH·HLH)/(n²−1), K = XXᵀ."""
    n = len(x)
    h = np.eye(n) - np.ones((n, n)) / n

    def hsic(a, b):
        return np.trace(h @ a @ a.T @ h @ h @ b @ b.T @ h) / (n * n - 1)
    return hsic(x, y) / np.sqrt(hsic(x, x) * hsic(y, y))


def test_known_answer_one_dimensional():
    x = np.array([[1.0], [2.0], [3.0]])
    y = np.array([[1.0], [3.0], [2.0]])
    assert float(linear_cka(x, y)) == pytest.approx(0.25, abs=1e-6)
    assert float(cka_loss(x, y)) == pytest.approx(np.log(4.0), abs=1e-5)


def test_matches_reference_formula_for_different_widths():
    rng = np.random.RandomState(0)
    x, y = rng.randn(8, 5), rng.randn(8, 7)
    value = float(linear_cka(x, y))
    assert value == pytest.approx(_reference_cka(x, y), rel=1e-4)
    assert 0.0 < value < 1.0


def test_invariant_to_scaling_rotation_and_translation():
    rng = np.random.RandomState(1)
    x, y = rng.randn(8, 5), rng.randn(8, 6)
    q = ortho_group.rvs(5, random_state=2)
    transformed = 3.0 * x @ q + 5.0
    assert float(linear_cka(x, transformed)) == pytest.approx(1.0, abs=1e-5)
    assert abs(float(cka_loss(x, transformed))) < 1e-5
    assert float(linear_cka(transformed, y)) == pytest.approx(float(linear_cka(x, y)), abs=1e-5)


def test_per_example_cka():
    rng = np.random.RandomState(3)
    x = rng.randn(3, 6, 4).astype(np.float32)
    y = rng.randn(3, 6, 5).astype(np.float32)
    y[0] = np.concatenate([2.0 * x[0], np.zeros((6, 1), np.float32)], axis=1)  # Y_0 = 2·X_0
    per_example = batched_linear_cka(x, y).numpy()
    assert per_example[0] == pytest.approx(1.0, abs=1e-5)
    for b in range(3):
        assert per_example[b] == pytest.approx(_reference_cka(x[b], y[b]), rel=1e-4)
    # Mean inside the log, as the reference code.
    assert float(cka_loss(x, y)) == pytest.approx(-np.log(np.abs(per_example).mean() + 1e-8),
                                                  rel=1e-5)


def test_mask_leaves_padding_out():
    rng = np.random.RandomState(4)
    x, y = rng.randn(1, 6, 4).astype(np.float32), rng.randn(1, 6, 3).astype(np.float32)
    mask = np.array([[1, 1, 1, 1, 0, 0]])
    masked = float(batched_linear_cka(x, y, mask)[0])
    assert masked == pytest.approx(float(linear_cka(x[0, :4], y[0, :4])), abs=1e-5)
    x[0, 4:] = 1e3  # padding content no longer matters
    assert float(batched_linear_cka(x, y, mask)[0]) == pytest.approx(masked, abs=1e-5)
    assert float(batched_linear_cka(x, y)[0]) != pytest.approx(masked, abs=1e-2)


def test_constant_features_are_safe():
    x = tf.Variable(np.ones((5, 3), np.float32))
    y = np.random.RandomState(5).randn(5, 2).astype(np.float32)
    with tf.GradientTape() as tape:
        loss = cka_loss(x, y)
    gradient = tape.gradient(loss, x)
    assert float(linear_cka(x, y)) == 0.0
    assert float(loss) == pytest.approx(-np.log(1e-8), rel=1e-6)
    assert np.all(np.isfinite(gradient.numpy()))
    tokens = np.zeros((2, 4, 3), np.float32)
    assert np.all(batched_linear_cka(tokens, tokens).numpy() == 0.0)


def test_shape_errors():
    with pytest.raises(ValueError, match="same items"):
        linear_cka(np.ones((4, 2)), np.ones((5, 2)))
    with pytest.raises(ValueError, match="rank-3"):
        batched_linear_cka(np.ones((4, 2)), np.ones((4, 2)))
