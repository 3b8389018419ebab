"""Linear centred kernel alignment (CKA) and the FSD loss −log(|CKA| + ε).

Linear CKA compares two sets of features of the same n items (rows):
``CKA(X, Y) = <K_c, L_c>_F / (‖K_c‖_F ‖L_c‖_F)`` with ``K = XXᵀ``, ``L = YYᵀ``
and ``K_c = HKH`` (``H = I − 11ᵀ/n``). The HSIC normaliser of the reference
code cancels in the ratio and is left out. Centring the features before the
Gram (``X − mean_rows X``) gives ``HKH`` exactly and is more accurate.

Rank 2 inputs ``[n, d]`` give one CKA (items = examples or centroids); rank 3
inputs ``[B, n, d]`` give one CKA per example (items = tokens / positions).
"""

import tensorflow as tf

LOG_EPSILON = 1e-8  # as the reference code: −log(|CKA| + 1e-8)
# Floor under the squared Gram norms: constant features give CKA 0, not NaN.
_NORM_FLOOR = 1e-30


def _centred_gram(features, mask=None):
    """Gram matrix of row-centred features: ``[..., n, n]``.

    With ``mask`` ([..., n], 1 for real tokens) the centring uses only real
    rows and masked rows are zeroed, so they take no part in the CKA.
    """
    features = tf.cast(features, tf.float32)
    if mask is None:
        centred = features - tf.reduce_mean(features, axis=-2, keepdims=True)
    else:
        weights = tf.cast(mask, tf.float32)[..., None]
        count = tf.maximum(tf.reduce_sum(weights, axis=-2, keepdims=True), 1.0)
        mean = tf.reduce_sum(features * weights, axis=-2, keepdims=True) / count
        centred = (features - mean) * weights
    return tf.matmul(centred, centred, transpose_b=True)


def _alignment(gram_x, gram_y):
    """CKA of two centred Grams over their last two axes."""
    xy = tf.reduce_sum(gram_x * gram_y, axis=[-2, -1])
    xx = tf.reduce_sum(gram_x * gram_x, axis=[-2, -1])
    yy = tf.reduce_sum(gram_y * gram_y, axis=[-2, -1])
    norm = tf.sqrt(tf.maximum(xx, _NORM_FLOOR)) * tf.sqrt(tf.maximum(yy, _NORM_FLOOR))
    return xy / norm


def linear_cka(x, y):
    """Linear CKA between ``x [n, d_x]`` and ``y [n, d_y]``: a scalar in [0, 1]."""
    _check_rank(x, y, 2)
    return _alignment(_centred_gram(x), _centred_gram(y))


def batched_linear_cka(x, y, mask=None):
    """Per-example linear CKA over tokens: ``x [B, n, d_x]``, ``y [B, n, d_y]`` → ``[B]``.

    ``mask`` ([B, n], optional) keeps only real (non-padding) tokens.
    """
    _check_rank(x, y, 3)
    return _alignment(_centred_gram(x, mask), _centred_gram(y, mask))


def cka_loss(x, y, mask=None):
    """The FSD loss ``−log(|CKA| + 1e-8)``.

    Rank 2: one CKA over the rows. Rank 3: per-example CKA, averaged inside
    the log as the reference code does (``−log(mean_b |CKA_b| + 1e-8)``).
    """
    if len(x.shape) == 2:
        if mask is not None:
            raise ValueError("a mask applies to token features [B, n, d] only")
        similarity = tf.abs(linear_cka(x, y))
    else:
        similarity = tf.reduce_mean(tf.abs(batched_linear_cka(x, y, mask)))
    return -tf.math.log(similarity + LOG_EPSILON)


def _check_rank(x, y, rank):
    if len(x.shape) != rank or len(y.shape) != rank:
        raise ValueError("CKA expects two rank-%d feature tensors, got shapes %s and %s"
                         % (rank, x.shape, y.shape))
    if x.shape[-2] is not None and y.shape[-2] is not None and x.shape[-2] != y.shape[-2]:
        raise ValueError("CKA compares the same items: got %d and %d rows (shapes %s, %s)"
                         % (x.shape[-2], y.shape[-2], x.shape, y.shape))
