"""Global-structure memories: k-means teacher centroids and a learnable student memory.

The teacher memory ``M_T [M, D_t]`` is the k-means (k-means++ + Lloyd) of the
teacher's flattened features over the training set; it stays fixed. The
student memory ``M_S [M, D_s]`` is a trainable variable. Its initialisation:

- ``same_clusters`` (default): the mean student feature of each teacher
  cluster, so ``M_S`` starts at the student's scale with the teacher's
  partition (empty clusters get the overall student mean);
- ``normal``: ``N(0, s²)`` with s the standard deviation of the student features;
- ``standard_normal``: ``N(0, 1)`` as the reference code.
"""

import gin
import keras
import numpy as np
import tensorflow as tf

from tfdisent.distill.kmeans import assign, fit_kmeans
from tfdisent.distill.structures import flatten_examples

STUDENT_INITS = ("same_clusters", "normal", "standard_normal")


class FeatureMemory(keras.layers.Layer):
    """Holds the fixed teacher memory and the trainable student memory."""

    def __init__(self, teacher_centroids, student_centroids, **kwargs):
        super().__init__(**kwargs)
        teacher_centroids = np.asarray(teacher_centroids, np.float32)
        student_centroids = np.asarray(student_centroids, np.float32)
        if len(teacher_centroids) != len(student_centroids):
            raise ValueError("teacher and student memories need the same number of centroids, "
                             "got %d and %d" % (len(teacher_centroids), len(student_centroids)))
        self.teacher_memory = self.add_weight(
                shape=teacher_centroids.shape, initializer="zeros", trainable=False,
                name="teacher_memory")
        self.student_memory = self.add_weight(
                shape=student_centroids.shape, initializer="zeros", trainable=True,
                name="student_memory")
        self.teacher_memory.assign(teacher_centroids)
        self.student_memory.assign(student_centroids)

    def centroids(self):
        """``(teacher_memory, student_memory)``."""
        return self.teacher_memory, self.student_memory


@gin.configurable("fsd_memory")
def build_memory(teacher_batches, student_batches, num_centroids=100, iterations=10,
                 tol=1e-4, init_size=None, student_init="same_clusters", seed=0):
    """Clusters the teacher's features and initialises the student memory.

    Args:
        teacher_batches, student_batches: callables, each returning a fresh
            iterable over ``[b, D]`` flattened features of the same examples in
            the same order (teacher and student side).
        num_centroids: M (the code: 300 for MNLI and QQP, 100 otherwise).
        iterations, tol, init_size: k-means settings (see `fit_kmeans`).
        student_init: one of `STUDENT_INITS`.
        seed: k-means++ and initialisation seed.
    """
    if student_init not in STUDENT_INITS:
        raise ValueError("unknown student memory init %r; choose one of %s"
                         % (student_init, ", ".join(STUDENT_INITS)))
    teacher = fit_kmeans(teacher_batches, num_centroids, iterations, tol, init_size, seed)
    if student_init == "same_clusters":
        student = _cluster_means(teacher.centroids, teacher_batches(), student_batches())
    else:
        scale = 1.0 if student_init == "standard_normal" else _feature_std(student_batches())
        width = _feature_width(student_batches())
        student = np.random.RandomState(seed).normal(0.0, scale, (num_centroids, width))
    return FeatureMemory(teacher.centroids, student)


def _cluster_means(centroids, teacher_batches, student_batches):
    """Mean student feature per teacher cluster (empty clusters: the overall mean)."""
    sums, counts, total = None, np.zeros(len(centroids)), None
    for teacher, student in zip(teacher_batches, student_batches):
        student = np.asarray(student, np.float64).reshape(len(student), -1)
        labels, _ = assign(np.asarray(teacher).reshape(len(teacher), -1), centroids)
        members = np.eye(len(centroids))[labels]
        if sums is None:
            sums, total = np.zeros((len(centroids), student.shape[1])), np.zeros(student.shape[1])
        sums += members.T @ student
        counts += members.sum(0)
        total += student.sum(0)
    means = np.tile(total / counts.sum(), (len(centroids), 1))
    filled = counts > 0
    means[filled] = sums[filled] / counts[filled, None]
    return means


def _feature_std(batches):
    count, total, squares = 0, 0.0, 0.0
    for batch in batches:
        batch = np.asarray(batch, np.float64)
        count += batch.size
        total += batch.sum()
        squares += np.square(batch).sum()
    mean = total / count
    return float(np.sqrt(max(squares / count - mean * mean, 1e-12)))


def _feature_width(batches):
    batch = np.asarray(next(iter(batches)))
    return int(np.prod(batch.shape[1:]))


def hidden_feature_batches(model, index, dataset):
    """A callable whose every call makes one pass over `dataset`, yielding the
    flattened hidden state `index` of `model` ``[b, D]`` (numpy) per batch."""
    extract = tf.function(
            lambda x: flatten_examples(model(x, training=False)["hidden_states"][index]))

    def batches():
        for batch in dataset:
            yield extract(keras.utils.unpack_x_y_sample_weight(batch)[0]).numpy()
    return batches
