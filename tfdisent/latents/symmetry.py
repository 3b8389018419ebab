"""The CFASL symmetry codebook: Lie-algebra elements, their group elements,
the composite symmetry of a pair, and the losses that align each section of
the codebook with one latent axis.

Conventions (as the official code): a codebook holds |S| sections x |SS|
elements, g[s, j] in gl(D) (unconstrained real D x D matrices, section-major:
flat element e = s * |SS| + j). Group elements are expm(g) and act on row
vectors, z' = z expm(g).
"""

import keras
import tensorflow as tf

# expm(A) is bounded by e^||A||_F, so clipping each Frobenius norm to 30 keeps
# every group element (and the squares the losses take) finite in float32.
DEFAULT_MAX_NORM = 30.0


def expm(algebra, max_norm=DEFAULT_MAX_NORM):
    """Batched matrix exponential [..., D, D] with an overflow guard: each
    matrix's Frobenius norm is first clipped to `max_norm` (None: no guard).
    The clip is odd in A, so expm(-A) stays the exact inverse of expm(A)."""
    if max_norm is not None:
        algebra = tf.clip_by_norm(algebra, max_norm, axes=[-2, -1])
    return tf.linalg.expm(algebra)


def expm_together(*batches, max_norm=DEFAULT_MAX_NORM):
    """expm of several batches of D x D matrices in one batched call (one
    scaling-and-squaring loop); returns the results in the input shapes."""
    dim = tf.shape(batches[0])[-1]
    flat = [tf.reshape(b, [-1, dim, dim]) for b in batches]
    sizes = [tf.shape(f)[0] for f in flat]
    results = tf.split(expm(tf.concat(flat, 0), max_norm), sizes, axis=0)
    return [tf.reshape(r, tf.shape(b)) for r, b in zip(results, batches)]


def act(z, group):
    """The row-vector action z G: z [P, D], G [P, D, D] -> [P, D]."""
    return tf.einsum("pi,pij->pj", z, group)


def composite_algebra(switch, attention, algebra):
    """A_p = sum_s sum_j switch[p, s] attention[p, s, j] g[s, j].

    Args:
      switch: [P, S] per-section on/off weights.
      attention: [P, S, SS] weights over each section's elements.
      algebra: [S, SS, D, D] codebook.
    Returns: [P, D, D].
    """
    return tf.einsum("ps,psj,sjik->pik", switch, attention, algebra)


def displacements(z, groups):
    """d[s, j, b] = z_b - z_b expm(g_sj) for every element and code:
    z [B, D], groups [S, SS, D, D] -> [S, SS, B, D]."""
    return z - tf.einsum("bi,sjik->sjbk", z, groups)


def _cosine_matrix(vectors):
    """Cosines between all rows of [..., N, D] -> [..., N, N] (zero rows give 0)."""
    unit = tf.math.l2_normalize(vectors, axis=-1)
    return tf.matmul(unit, unit, transpose_b=True)


def sparsity_loss(d):
    """L_s = mean over (element, code) of (sum_k d_k^2 - max_k d_k^2)^2: zero
    when every displacement moves a single latent axis."""
    square = tf.square(d)
    return tf.reduce_mean(tf.square(tf.reduce_sum(square, -1)
                                    - tf.reduce_max(square, -1)))


def parallel_loss(d):
    """L_pl = mean over sections and all pairs (identical ones included) of
    -log(cos^2 + 1e-9) between the section's displacements: zero when all
    elements of a section move the codes along one line."""
    sections, elements, batch, dim = tf.unstack(tf.shape(d))
    cosine = _cosine_matrix(tf.reshape(d, [sections, elements * batch, dim]))
    return tf.reduce_mean(-tf.math.log(tf.square(cosine) + 1e-9))


def perpendicular_loss(d, choice):
    """L_pd: one element per section (`choice` [S] int), cos^2 between the
    displacements of different sections, same-section blocks zeroed, mean over
    the full (S B)^2 matrix (as the code): zero when sections move orthogonal
    directions."""
    sections, _, batch, dim = tf.unstack(tf.shape(d))
    chosen = tf.gather(d, choice, axis=1, batch_dims=1)  # [S, B, D]
    square = tf.square(_cosine_matrix(tf.reshape(chosen, [sections * batch, dim])))
    square = tf.reshape(square, [sections, batch, sections, batch])
    other_section = 1.0 - tf.eye(sections, dtype=d.dtype)[:, None, :, None]
    return tf.reduce_mean(square * other_section)


def commutativity_loss(algebra):
    """Mean over element pairs a < b of ||g_a g_b - g_b g_a||_F^2 (the intended
    commutator penalty; zero iff all elements commute). algebra: [..., D, D]."""
    dim = tf.shape(algebra)[-1]
    flat = tf.reshape(algebra, [-1, dim, dim])
    products = tf.einsum("aij,bjk->abik", flat, flat)
    commutators = products - tf.transpose(products, [1, 0, 2, 3])
    n = tf.cast(tf.shape(flat)[0], algebra.dtype)
    # sum over ordered pairs counts each a < b twice and the diagonal is zero.
    return tf.reduce_sum(tf.square(commutators)) / (n * (n - 1.0))


class SymmetryCodebook(keras.layers.Layer):
    """|S| = num_latent sections x |SS| learnable Lie-algebra matrices.

    Args:
      num_latent: D, the code size (and the number of sections).
      elements_per_section: |SS| (the code hard-codes 16).
      stddev: truncated-normal init scale (truncated at 2 stddev, as
        torch.nn.init.trunc_normal_ with std 1).
    """

    def __init__(self, num_latent, elements_per_section=16, stddev=1.0, **kwargs):
        super().__init__(**kwargs)
        self.num_latent = int(num_latent)
        self.elements_per_section = int(elements_per_section)
        self.algebra = self.add_weight(
            name="group_elements",
            shape=(self.num_latent, self.elements_per_section,
                   self.num_latent, self.num_latent),
            initializer=keras.initializers.TruncatedNormal(stddev=stddev))
