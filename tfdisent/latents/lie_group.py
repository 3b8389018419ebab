"""CLG-VAE's Lie-group map (Zhu et al. 2021): a code z becomes the group
element expm(sum_d z_d A_d) of learnable Lie-algebra basis matrices A_d, and
the penalties on the basis that make the group (nearly) commutative.
"""

import keras
import tensorflow as tf

from tfdisent.latents.symmetry import expm


class LieAlgebraBasis(keras.layers.Layer):
    """num_latent basis matrices A_d [m, m], initialised N(0, stddev^2).

    Calling it on codes z [B, num_latent] gives the flattened group elements
    expm(sum_d z_d A_d) [B, m * m] (the decoder's "group features").
    """

    def __init__(self, num_latent, matrix_size=10, stddev=0.001, **kwargs):
        super().__init__(**kwargs)
        self.matrix_size = int(matrix_size)
        self.basis = self.add_weight(
            name="lie_algebra_basis",
            shape=(int(num_latent), self.matrix_size, self.matrix_size),
            initializer=keras.initializers.RandomNormal(stddev=stddev))

    def call(self, z):
        group = expm(tf.einsum("bd,dij->bij", z, self.basis))
        return tf.reshape(group, [-1, self.matrix_size * self.matrix_size])


def basis_products(basis):
    """P[i, j] = A_j A_i for i != j, zero on the diagonal: [L, L, m, m]."""
    products = tf.einsum("jab,ibc->ijac", basis, basis)
    off_diagonal = 1.0 - tf.eye(tf.shape(basis)[0], dtype=basis.dtype)
    return products * off_diagonal[:, :, None, None]


def hessian_penalty(basis):
    """Mean over the L x L grid (diagonal zero, as the code) of ||A_i A_j||_F^2."""
    return tf.reduce_mean(tf.reduce_sum(tf.square(basis_products(basis)), [2, 3]))


def commute_penalty(basis):
    """Mean over the L x L grid of ||A_i A_j - (A_i A_j)^T||_F^2, as the code
    writes it (equal to the commutator ||[A_j, A_i]||^2 for symmetric A)."""
    products = basis_products(basis)
    asymmetry = products - tf.linalg.matrix_transpose(products)
    return tf.reduce_mean(tf.reduce_sum(tf.square(asymmetry), [2, 3]))
