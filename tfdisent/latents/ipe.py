"""IPE units: invertible latent maps z ↦ z·ψ with ψ a product of symmetric
matrix exponentials (MIPE-transformation, Jung et al.).

ψ = expm(sym(W₁))·expm(sym(W₂)) (the official code's form, default) or
ψ = expm(sym(W)) (the paper figure's form), sym(W) = (W + Wᵀ)/2. Codes are row
vectors (z' = z·ψ, as the code). ψ is invertible with
ψ⁻¹ = expm(−sym(W₂))·expm(−sym(W₁)) and log|det ψ| = Σ_j tr(W_j).
"""

import math

import keras
import tensorflow as tf
import tensorflow_probability as tfp
from tensorflow_probability.python.internal import tensor_util

tfb = tfp.bijectors


def xavier_uniform(fan_in, fan_out):
    """PyTorch's xavier_uniform_ for one (fan_in × fan_out) matrix.

    Keras' GlorotUniform would fold leading (stacking) axes into the fans.
    """
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return keras.initializers.RandomUniform(-limit, limit)


@tf.custom_gradient
def expm(a):
    """tf.linalg.expm with its exact gradient from one block exponential.

    The gradient of <G, expm(A)> is the Fréchet derivative L(Aᵀ, G), the
    upper-right block of expm([[Aᵀ, G], [0, Aᵀ]]) (Higham 2008, §3.2). This
    avoids differentiating expm's squaring loop, whose gradient XLA cannot
    compile (so MIPE trains with ``model.jit_compile = True``).
    """
    value = tf.linalg.expm(a)

    def grad(upstream):
        a_t = tf.linalg.matrix_transpose(a)
        n = a.shape[-1]
        block = tf.concat([tf.concat([a_t, upstream], axis=-1),
                           tf.concat([tf.zeros_like(a), a_t], axis=-1)], axis=-2)
        return tf.linalg.expm(block)[..., :n, n:]

    return value, grad


def symmetric(w):
    return 0.5 * (w + tf.linalg.matrix_transpose(w))


def _product(matrices):
    out = matrices[0]
    for m in matrices[1:]:
        out = tf.matmul(out, m)
    return out


class IPE(tfb.Bijector):
    """The IPE map z ↦ z·ψ as a TFP bijector on row vectors (event size D).

    Args:
      generators: [..., k, D, D] unconstrained matrices W_1..W_k (k = 1 or 2);
        ψ = expm(sym(W_1))···expm(sym(W_k)). Leading dims are the batch shape
        (e.g. [m, 1]: m units, broadcast over a batch of codes [B, D] to
        [m, B, D]).
    """

    def __init__(self, generators, validate_args=False, name="ipe"):
        parameters = dict(locals())
        with tf.name_scope(name) as name:
            self._generators = tensor_util.convert_nonref_to_tensor(
                generators, dtype_hint=tf.float32, name="generators")
            super().__init__(forward_min_event_ndims=1, is_constant_jacobian=True,
                             validate_args=validate_args, parameters=parameters,
                             name=name)

    @classmethod
    def _parameter_properties(cls, dtype, num_classes=None):
        return dict(generators=tfp.util.ParameterProperties(event_ndims=3))

    @property
    def generators(self):
        return self._generators

    def _exponentials(self, sign):
        s = sign * symmetric(tf.convert_to_tensor(self._generators))
        exps = expm(s)
        return tf.unstack(exps, axis=-3)

    def matrix(self):
        """ψ, [..., D, D]."""
        return _product(self._exponentials(1.0))

    def inverse_matrix(self):
        """ψ⁻¹ = expm(−S_k)···expm(−S_1), exact (no matrix inversion)."""
        return _product(self._exponentials(-1.0)[::-1])

    def log_abs_determinant(self):
        """log|det ψ| = Σ_j tr(S_j) (det expm(S) = exp(tr S)), [...]."""
        return tf.reduce_sum(tf.linalg.trace(tf.convert_to_tensor(self._generators)),
                             axis=-1)

    def _forward(self, x):
        return tf.linalg.matvec(self.matrix(), x, transpose_a=True)

    def _inverse(self, y):
        return tf.linalg.matvec(self.inverse_matrix(), y, transpose_a=True)

    def _forward_log_det_jacobian(self, x):
        # Constant in x; broadcast to one value per row-vector event.
        return self.log_abs_determinant() + tf.zeros_like(x[..., 0])


class IPEUnits(keras.layers.Layer):
    """m IPE units with their own generators, Xavier-uniform initialised.

    Args:
      num_units: m.
      dim: code size D.
      single_exponential: ψ = expm(sym(W)) instead of the code's
        expm(sym(W₁))·expm(sym(W₂)).
    """

    def __init__(self, num_units, dim, single_exponential=False, **kwargs):
        super().__init__(**kwargs)
        self.num_units, self.dim = int(num_units), int(dim)
        factors = 1 if single_exponential else 2
        self.generators = self.add_weight(
            name="generators", shape=(self.num_units, factors, self.dim, self.dim),
            initializer=xavier_uniform(self.dim, self.dim))

    def bijector(self):
        """IPE with batch shape [m, 1]: forward([B, D]) -> [m, B, D]."""
        return IPE(tf.convert_to_tensor(self.generators)[:, None])
