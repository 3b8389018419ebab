"""IPE units: ψ, its exact inverse, the bijector's maps and log-determinant."""

import math

import numpy as np
import pytest
import scipy.linalg
import tensorflow as tf

from tfdisent.latents.ipe import IPE, IPEUnits, expm

D = 4


def random_generators(shape, seed=0, scale=0.6):
    return np.random.RandomState(seed).normal(scale=scale, size=shape).astype(np.float32)


def scipy_psi(generators):
    """ψ from numpy/scipy: product of expm((W + Wᵀ)/2) over the factors."""
    psi = np.eye(generators.shape[-1])
    for w in generators.astype(np.float64):
        psi = psi @ scipy.linalg.expm(0.5 * (w + w.T))
    return psi


@pytest.mark.parametrize("factors", [1, 2])
def test_psi_matches_scipy_and_psi_inverse_is_identity(factors):
    generators = random_generators((3, factors, D, D))
    bijector = IPE(generators)
    psi, psi_inv = bijector.matrix().numpy(), bijector.inverse_matrix().numpy()
    for unit in range(3):
        np.testing.assert_allclose(psi[unit], scipy_psi(generators[unit]),
                                   rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(psi[unit] @ psi_inv[unit], np.eye(D), atol=1e-5)
        np.testing.assert_allclose(psi_inv[unit] @ psi[unit], np.eye(D), atol=1e-5)


def test_forward_is_row_vector_product_and_inverse_undoes_it():
    generators = random_generators((3, 1, 2, D, D), seed=1)
    bijector = IPE(generators)
    z = np.random.RandomState(2).normal(size=(5, D)).astype(np.float32)
    y = bijector.forward(z).numpy()
    assert y.shape == (3, 5, D)
    for unit in range(3):
        np.testing.assert_allclose(y[unit], z @ scipy_psi(generators[unit, 0]),
                                   rtol=1e-5, atol=1e-5)
    # A fresh bijector and a fresh tensor: no cached inverse.
    back = IPE(generators).inverse(tf.constant(y)).numpy()
    np.testing.assert_allclose(back, np.broadcast_to(z, back.shape), atol=1e-5)


@pytest.mark.parametrize("factors", [1, 2])
def test_log_det_jacobian_is_log_abs_det_psi_per_event(factors):
    generators = random_generators((3, 1, factors, D, D), seed=3)
    bijector = IPE(generators)
    z = tf.random.normal([5, D])
    fldj = bijector.forward_log_det_jacobian(z, event_ndims=1).numpy()
    assert fldj.shape == (3, 5)
    _, logdet = tf.linalg.slogdet(bijector.matrix())
    np.testing.assert_allclose(fldj, np.broadcast_to(logdet.numpy(), (3, 5)),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(fldj[:, 0], np.trace(generators, axis1=-2, axis2=-1)
                               .sum(-1)[:, 0], rtol=1e-5, atol=1e-5)
    ildj = IPE(generators).inverse_log_det_jacobian(tf.constant(z.numpy()),
                                                     event_ndims=1).numpy()
    np.testing.assert_allclose(ildj, -fldj, rtol=1e-5, atol=1e-5)


def test_single_exponential_is_symmetric_positive_definite():
    psi = IPE(random_generators((4, 1, D, D), seed=4)).matrix().numpy()
    np.testing.assert_allclose(psi, np.swapaxes(psi, -1, -2), atol=1e-5)
    assert np.all(np.linalg.eigvalsh(psi.astype(np.float64)) > 0)


def test_product_form_has_real_positive_eigenvalues():
    # expm(S1) expm(S2) is similar to the SPD expm(S1/2) expm(S2) expm(S1/2).
    psi = IPE(random_generators((4, 2, D, D), seed=5)).matrix().numpy()
    eigenvalues = np.linalg.eigvals(psi.astype(np.float64))
    np.testing.assert_allclose(eigenvalues.imag, 0.0, atol=1e-4)
    assert np.all(eigenvalues.real > 0)
    assert not np.allclose(psi, np.swapaxes(psi, -1, -2), atol=1e-3)


@pytest.mark.parametrize("single,factors", [(False, 2), (True, 1)])
def test_units_are_xavier_uniform_and_trainable(single, factors):
    units = IPEUnits(3, 10, single_exponential=single)
    w = units.generators.numpy()
    assert w.shape == (3, factors, 10, 10)
    limit = math.sqrt(6.0 / 20)
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.9 * limit
    assert abs(w.std() - limit / math.sqrt(3)) < 0.1 * limit
    z = tf.random.normal([5, 10])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.square(units.bijector().forward(z)))
    grad = tape.gradient(loss, units.generators)
    assert grad is not None and float(tf.reduce_max(tf.abs(grad))) > 0


def test_xla_gives_the_same_map():
    bijector = IPE(random_generators((2, 1, 2, D, D), seed=6))
    z = tf.random.normal([5, D])
    compiled = tf.function(lambda x: bijector.forward(x), jit_compile=True)
    np.testing.assert_allclose(compiled(z).numpy(), bijector.forward(z).numpy(),
                               rtol=1e-4, atol=1e-5)


def test_expm_gradient_is_the_exact_frechet_adjoint_and_compiles_with_xla():
    a = tf.constant(random_generators((2, D, D), seed=7))  # not symmetric
    weights = tf.constant(random_generators((2, D, D), seed=8, scale=1.0))

    def loss(fn, x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            value = tf.reduce_sum(weights * fn(x))
        return tape.gradient(value, x)

    autodiff = loss(tf.linalg.expm, a).numpy()
    np.testing.assert_allclose(loss(expm, a).numpy(), autodiff, rtol=1e-4, atol=1e-5)
    compiled = tf.function(lambda x: loss(expm, x), jit_compile=True)
    np.testing.assert_allclose(compiled(a).numpy(), autodiff, rtol=1e-4, atol=1e-5)
