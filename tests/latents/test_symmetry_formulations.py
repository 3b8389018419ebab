"""The fast CFASL codebook losses equal the straightforward formulation they
replaced (issue 16: speed without changing a value), in value and gradient.

`plain_parallel_loss` and `plain_commutativity_loss` are the previous
implementations, kept here verbatim as the reference.
"""

import numpy as np
import pytest
import tensorflow as tf

from tests.models.helpers import blobs, small_vae
from tfdisent.latents import symmetry
from tfdisent.models import cfasl as cfasl_lib
from tfdisent.models import regularizers as r
from tfdisent.models.base import total_loss


def plain_parallel_loss(d):
    sections, elements, batch, dim = tf.unstack(tf.shape(d))
    vectors = tf.reshape(d, [sections, elements * batch, dim])
    unit = tf.math.l2_normalize(vectors, axis=-1)
    cosine = tf.matmul(unit, unit, transpose_b=True)
    return tf.reduce_mean(-tf.math.log(tf.square(cosine) + 1e-9))


def plain_commutativity_loss(algebra):
    dim = tf.shape(algebra)[-1]
    flat = tf.reshape(algebra, [-1, dim, dim])
    products = tf.einsum("aij,bjk->abik", flat, flat)
    commutators = products - tf.transpose(products, [1, 0, 2, 3])
    n = tf.cast(tf.shape(flat)[0], algebra.dtype)
    return tf.reduce_sum(tf.square(commutators)) / (n * (n - 1.0))


def value_and_gradient(loss, x):
    x = tf.Variable(x)
    with tf.GradientTape() as tape:
        value = loss(x)
    return value.numpy(), tape.gradient(value, x).numpy()


def assert_same(fast, plain, x):
    (value, grad), (want, want_grad) = value_and_gradient(fast, x), value_and_gradient(plain, x)
    np.testing.assert_allclose(value, want, rtol=1e-5)
    scale = np.abs(want_grad).max()
    assert scale > 0
    np.testing.assert_allclose(grad, want_grad, rtol=1e-4, atol=1e-5 * scale)


@pytest.mark.parametrize("shape", [(10, 16, 64, 10), (3, 5, 4, 2), (2, 1, 3, 4)])
def test_parallel_loss_matches_the_full_cosine_matrix(shape):
    d = np.random.RandomState(0).normal(size=shape).astype(np.float32)
    d[0, 0, 0] = 0.0  # a zero displacement: cosine 0, the 1e-9 floor
    d[-1, -1, 1] = 3.0 * d[-1, 0, 1]  # an exactly parallel pair
    assert_same(symmetry.parallel_loss, plain_parallel_loss, d)


@pytest.mark.parametrize("shape", [(10, 16, 10, 10), (2, 3, 4, 4), (1, 2, 3, 3)])
def test_commutativity_loss_matches_the_einsum_form(shape):
    algebra = np.random.RandomState(1).normal(size=shape).astype(np.float32)
    assert_same(symmetry.commutativity_loss, plain_commutativity_loss, algebra)


def test_commutativity_gradient_vanishes_for_commuting_elements():
    diagonal = np.zeros((2, 3, 4, 4), np.float32)
    diagonal[..., range(4), range(4)] = np.random.RandomState(2).normal(size=(2, 3, 4))
    value, grad = value_and_gradient(symmetry.commutativity_loss, diagonal)
    assert value == 0.0 and not grad.any()


def test_cfasl_loss_and_every_gradient_match_the_plain_formulation(monkeypatch):
    model = small_vae(r.BetaTCVAE(6.0), [cfasl_lib.CFASL()], num_latent=4)
    x = blobs(16)

    def loss_and_grads():
        with tf.GradientTape() as tape:
            terms, _ = model.forward(x, training=True)
            loss = total_loss(terms)
        grads = tape.gradient(loss, model.trainable_variables)
        return ({k: t.value.numpy() for k, t in terms.items()},
                [g.numpy() for g in grads])

    terms, grads = loss_and_grads()
    monkeypatch.setattr(symmetry, "parallel_loss", plain_parallel_loss)
    monkeypatch.setattr(symmetry, "commutativity_loss", plain_commutativity_loss)
    want_terms, want_grads = loss_and_grads()
    assert terms.keys() == want_terms.keys()
    for name in terms:
        np.testing.assert_allclose(terms[name], want_terms[name], rtol=1e-5, err_msg=name)
    for grad, want, variable in zip(grads, want_grads, model.trainable_variables):
        np.testing.assert_allclose(grad, want, rtol=1e-4,
                                   atol=1e-5 * (np.abs(want).max() + 1e-12),
                                   err_msg=variable.path)
