"""The three feature structures of FSD and their losses.

- intra-feature: token × token structure inside each example (per-example CKA);
- local inter-feature: example × example structure inside the batch (CKA of
  the flattened features);
- global inter-feature: structure of the examples relative to memory
  centroids (distances and cosines to the centroids, plus CKA between the
  teacher and student memories).

Hidden states may be token features ``[B, n, d]``, conv feature maps
``[B, h, w, c]`` (positions play the role of tokens) or vectors ``[B, d]``
(one token); `as_tokens` brings them all to ``[B, n, d]``.
"""

import tensorflow as tf

from tfdisent.distill.cka import cka_loss

DISTANCE_EPSILON = 1e-8  # sqrt(d² + 1e-8), as the reference code's teacher side


def as_tokens(hidden):
    """``[B, n, d]`` view of a hidden state of rank 2, 3 or 4."""
    rank = len(hidden.shape)
    if rank == 3:
        return hidden
    if rank == 2:
        return hidden[:, None, :]
    if rank == 4:
        height, width, channels = hidden.shape[1:]
        return tf.reshape(hidden, [-1, height * width, channels])
    raise ValueError("hidden states must be [B, d], [B, n, d] or [B, h, w, c], got %s"
                     % (hidden.shape,))


def flatten_examples(hidden):
    """``[B, D]``: one row per example, reshaped with the actual batch size."""
    batch = tf.shape(hidden)[0]
    return tf.reshape(tf.cast(hidden, tf.float32), [batch, -1])


def intra_feature_loss(teacher_hidden, student_hidden, mask=None):
    """CKA loss of the token × token structures, mean over examples inside the log."""
    return cka_loss(as_tokens(teacher_hidden), as_tokens(student_hidden), mask)


def local_inter_feature_loss(teacher_hidden, student_hidden):
    """CKA loss of the example × example structures within the batch."""
    return cka_loss(flatten_examples(teacher_hidden), flatten_examples(student_hidden))


def pairwise_distance(a, b):
    """Euclidean distances ``[n, m]`` as ``sqrt(max(‖a‖²+‖b‖²−2abᵀ, 0) + 1e-8)``."""
    squared = (tf.reduce_sum(a * a, axis=1)[:, None] + tf.reduce_sum(b * b, axis=1)[None, :]
               - 2.0 * tf.matmul(a, b, transpose_b=True))
    return tf.sqrt(tf.maximum(squared, 0.0) + DISTANCE_EPSILON)


def cosine_similarity(a, b):
    """Cosine similarities ``[n, m]`` (zero rows give 0)."""
    return tf.matmul(tf.math.l2_normalize(a, axis=1), tf.math.l2_normalize(b, axis=1),
                     transpose_b=True)


def global_inter_feature_loss(teacher_hidden, student_hidden, teacher_memory,
                              student_memory, gamma=0.5):
    """Structure of the examples relative to the memory centroids.

    ``γ·MSE(D_S, D_T) + (1−γ)·MSE(C_S, C_T) + CKA-loss(M_S, M_T)`` with D the
    example-to-centroid distances and C the cosines, each side against its
    own memory (teacher ``[M, D_t]`` fixed, student ``[M, D_s]`` learnt).
    """
    teacher = flatten_examples(teacher_hidden)
    student = flatten_examples(student_hidden)
    distance_loss = _mse(pairwise_distance(student, student_memory),
                         pairwise_distance(teacher, teacher_memory))
    cosine_loss = _mse(cosine_similarity(student, student_memory),
                       cosine_similarity(teacher, teacher_memory))
    return (gamma * distance_loss + (1.0 - gamma) * cosine_loss
            + cka_loss(student_memory, teacher_memory))


def _mse(a, b):
    return tf.reduce_mean(tf.square(a - b))
