"""The CFASL symmetry codebook: Lie-algebra elements, their group elements,
the composite symmetry of a pair, and the losses that align each section of
the codebook with one latent axis.

Conventions (as the official code): a codebook holds |S| sections x |SS|
elements, g[s, j] in gl(D) (unconstrained real D x D matrices, section-major:
flat element e = s * |SS| + j). Group elements are expm(g) and act on row
vectors, z' = z expm(g).
"""

import keras
import numpy as np
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


@tf.custom_gradient
def _sum_neg_log_square(cosine):
    """sum -log(cos^2 + 1e-9) with its gradient -2 cos / (cos^2 + 1e-9) in
    one pass (autodiff chains five passes over this, the step's largest
    tensor)."""
    shifted = tf.square(cosine) + 1e-9

    def grad(upstream):
        return cosine / shifted * (-2.0 * upstream)

    return -tf.reduce_sum(tf.math.log(shifted)), grad


def parallel_loss(d):
    """L_pl = mean over sections and all pairs (identical ones included) of
    -log(cos^2 + 1e-9) between the section's displacements: zero when all
    elements of a section move the codes along one line.

    The section's (SS B)^2 cosine matrix is symmetric: it is computed as the
    SS diagonal blocks (element j with itself) plus each block pair j < k
    once, counted twice (about half the work; `elements` must be static)."""
    sections, elements, batch, _ = tf.unstack(tf.shape(d))
    unit = tf.math.l2_normalize(d, axis=-1)  # [S, SS, B, D]
    first, second = np.triu_indices(d.shape[1], 1)
    within = tf.matmul(unit, unit, transpose_b=True)  # [S, SS, B, B]
    across = tf.matmul(tf.gather(unit, first, axis=1),
                       tf.gather(unit, second, axis=1), transpose_b=True)
    rows = tf.cast(elements * batch, d.dtype)
    return ((_sum_neg_log_square(within) + 2.0 * _sum_neg_log_square(across))
            / (tf.cast(sections, d.dtype) * rows * rows))


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
    return _mean_square_commutator(tf.reshape(algebra, [-1, dim, dim]))


@tf.custom_gradient
def _mean_square_commutator(flat):
    """sum_{a, b} ||[g_a, g_b]||_F^2 / (n (n - 1)) over flat [n, D, D]: every
    product from one [n D, D] x [D, n D] matmul, and the gradient
    4 / (n (n - 1)) sum_b ([g_a, g_b] g_b^T - g_b^T [g_a, g_b]) by hand (two
    matmuls; autodiff differentiates the einsum and its transposes)."""
    n, dim = tf.shape(flat)[0], tf.shape(flat)[1]
    square = [n * dim, n * dim]
    rows = tf.reshape(flat, [n * dim, dim])  # [(a i), j] = g_a[i, j]
    # products[a, i, b, k] = (g_a g_b)[i, k]; commutators[a, i, b, k] = [g_a, g_b][i, k]
    products = tf.reshape(
        tf.matmul(rows, tf.reshape(tf.transpose(flat, [1, 0, 2]), [dim, n * dim])),
        [n, dim, n, dim])
    commutators = products - tf.transpose(products, [2, 1, 0, 3])
    # sum over ordered pairs counts each a < b twice and the diagonal is zero.
    scale = 1.0 / tf.cast(n * (n - 1), flat.dtype)

    def grad(upstream):
        # sum_{b, k} C[a, i, b, k] g_b[j, k] and sum_{b, m} g_b[m, i] C[a, m, b, j]
        right = tf.matmul(tf.reshape(commutators, square),
                          tf.reshape(tf.linalg.matrix_transpose(flat), [n * dim, dim]))
        left = tf.matmul(tf.reshape(tf.transpose(commutators, [0, 3, 2, 1]), square), rows)
        return (4.0 * scale * upstream) * (
            tf.reshape(right, [n, dim, dim])
            - tf.linalg.matrix_transpose(tf.reshape(left, [n, dim, dim])))

    return tf.reduce_sum(tf.square(commutators)) * scale, grad


def _released_pair_weights(n):
    """W[i, j] (i < j): how many of the released loop's partial sums contain
    pair (i, j). The loop visits the pairs in the order (0, 1), (0, 2), ...,
    (n-2, n-1) and adds the cumulative mean after each, so pair number r
    (0-based) enters the n (n - 1) / 2 - r sums from its own on."""
    pairs = n * (n - 1) // 2
    weights = np.zeros((n, n), np.float32)
    rank = 0
    for i in range(n):
        for j in range(i + 1, n):
            weights[i, j] = pairs - rank
            rank += 1
    return weights


def released_commutativity_loss(algebra):
    """The official `Group_Elements.commutative(div=D)` in closed form.

    The release reshapes the codebook [N, D, D] to basis [D, D N] (not the
    concatenation [g_1 | ... | g_N]), forms M = g_a basis, and sums the
    cumulative mean of (M - M')^2 over (N D)^2 entries while M' swaps blocks
    (i, j) and (j, i) for i < j < N / D. With C_j = basis[:, jD:(j+1)D],
    block (i, j) of M is g_i C_j, so the loss is
    2 sum_{i<j<n} W_ij ||g_i C_j - g_j C_i||_F^2 / (N D)^2, n = N / D.
    algebra: [S, SS, D, D] (section-major, as the code's [S SS, D, D]).
    """
    sections, elements, dim = (int(s) for s in algebra.shape[:3])
    total = sections * elements
    n = total // dim
    flat = tf.reshape(algebra, [total, dim, dim])
    columns = tf.transpose(tf.reshape(flat, [dim, total, dim]), [1, 0, 2])
    blocks = tf.einsum("iab,jbc->ijac", flat[:n], columns[:n])
    gaps = tf.reduce_sum(tf.square(blocks - tf.transpose(blocks, [1, 0, 2, 3])),
                         axis=[2, 3])
    weights = tf.constant(_released_pair_weights(n), algebra.dtype)
    return 2.0 * tf.reduce_sum(weights * gaps) / float(total * dim) ** 2


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
