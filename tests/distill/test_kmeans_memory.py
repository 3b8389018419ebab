"""k-means (k-means++ + Lloyd, streaming) and the FSD memories."""

import numpy as np
import pytest

from tfdisent.distill.kmeans import fit_kmeans, kmeans
from tfdisent.distill.memory import build_memory
from tfdisent.distill.structures import global_inter_feature_loss

CENTRES = np.array([[0.0, 0.0, 0.0, 0.0], [10.0, 0.0, 0.0, 0.0],
                    [0.0, 10.0, 0.0, 0.0], [0.0, 0.0, 10.0, 10.0]])


def _planted(per_cluster=50, seed=0):
    rng = np.random.RandomState(seed)
    labels = np.repeat(np.arange(len(CENTRES)), per_cluster)
    points = CENTRES[labels] + 0.3 * rng.randn(len(labels), CENTRES.shape[1])
    order = rng.permutation(len(labels))
    return points[order].astype(np.float32), labels[order]


def _match(found, expected):
    """Largest distance from each planted centre to its nearest found centroid."""
    distances = np.linalg.norm(expected[:, None] - found[None], axis=-1)
    assert len(set(distances.argmin(1))) == len(expected), "two centres share a centroid"
    return distances.min(1).max()


def test_kmeans_finds_planted_clusters():
    points, _ = _planted()
    for seed in range(3):
        result = kmeans(points, 4, seed=seed)
        assert _match(result.centroids, CENTRES) < 0.15
        assert result.inertia == pytest.approx(np.sum(0.3 ** 2 * points.shape[1] * len(points)),
                                               rel=0.2)


def test_streaming_equals_in_memory():
    points, _ = _planted(seed=1)
    batches = [points[i:i + 7] for i in range(0, len(points), 7)]
    streamed = fit_kmeans(lambda: batches, 4, iterations=50, init_size=len(points), seed=5)
    in_memory = kmeans(points, 4, seed=5)
    np.testing.assert_allclose(streamed.centroids, in_memory.centroids, atol=1e-5)


def test_more_centroids_than_examples_fails():
    with pytest.raises(ValueError, match="at least as many examples"):
        kmeans(np.zeros((3, 2)), 5)


def test_memory_losses_vanish_when_student_is_the_teacher():
    points, _ = _planted(seed=2)
    batches = [points[i:i + 16] for i in range(0, len(points), 16)]
    memory = build_memory(lambda: batches, lambda: batches, num_centroids=4, seed=0)
    teacher_memory, student_memory = memory.centroids()
    assert _match(teacher_memory.numpy(), CENTRES) < 0.15
    # same_clusters init: the student's per-cluster means = the teacher's centroids.
    np.testing.assert_allclose(student_memory.numpy(), teacher_memory.numpy(), atol=1e-4)
    loss = global_inter_feature_loss(points[:32], points[:32], teacher_memory, student_memory)
    assert abs(float(loss)) < 1e-5
    shifted = global_inter_feature_loss(points[:32], points[:32] * 2.0, teacher_memory,
                                        student_memory)
    assert float(shifted) > 1.0
    assert len(memory.trainable_weights) == 1 and memory.trainable_weights[0] is student_memory


def test_memory_student_inits():
    points, _ = _planted(seed=3)
    student = 5.0 * np.random.RandomState(0).randn(len(points), 6).astype(np.float32)
    memory = build_memory(lambda: [points], lambda: [student], num_centroids=4,
                          student_init="normal")
    values = memory.centroids()[1].numpy()
    assert values.shape == (4, 6)
    assert 2.5 < values.std() < 10.0
    with pytest.raises(ValueError, match="student memory init"):
        build_memory(lambda: [points], lambda: [student], num_centroids=4, student_init="zeros")
