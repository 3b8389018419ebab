"""k-means with k-means++ initialisation and streaming Lloyd iterations (numpy).

The data need not fit in memory: `fit_kmeans` takes a function that returns a
fresh iterable of ``[b, d]`` batches (one pass over the data) and makes one
pass per Lloyd iteration. k-means++ runs on the first ``init_size`` rows.
"""

from typing import NamedTuple

import numpy as np


class KMeansResult(NamedTuple):
    centroids: np.ndarray  # [k, d] float32
    inertia: float          # Σ squared distance to the nearest centroid (last pass)
    iterations: int


def squared_distances(x, centroids):
    """``[n, k]`` squared Euclidean distances, clamped at 0."""
    x = np.asarray(x, dtype=np.float64)
    centroids = np.asarray(centroids, dtype=np.float64)
    squared = ((x * x).sum(1)[:, None] - 2.0 * x @ centroids.T
               + (centroids * centroids).sum(1)[None, :])
    return np.maximum(squared, 0.0)


def assign(x, centroids):
    """Index of the nearest centroid for each row, and the squared distance to it."""
    distances = squared_distances(x, centroids)
    labels = distances.argmin(1)
    return labels, distances[np.arange(len(labels)), labels]


def kmeans_plus_plus(x, num_clusters, random_state):
    """k-means++ seeding: each next centre drawn ∝ squared distance to the closest centre."""
    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    if num_clusters > n:
        raise ValueError("k-means needs at least as many examples (%d) as centroids (%d)"
                         % (n, num_clusters))
    centres = np.empty((num_clusters, x.shape[1]))
    centres[0] = x[random_state.randint(n)]
    closest = squared_distances(x, centres[:1])[:, 0]
    for i in range(1, num_clusters):
        total = closest.sum()
        probabilities = closest / total if total > 0 else np.full(n, 1.0 / n)
        centres[i] = x[random_state.choice(n, p=probabilities)]
        closest = np.minimum(closest, squared_distances(x, centres[i:i + 1])[:, 0])
    return centres


def fit_kmeans(batches, num_clusters, iterations=10, tol=1e-4, init_size=None, seed=0):
    """Streaming k-means.

    Args:
        batches: callable returning an iterable over ``[b, d]`` arrays (a full pass).
        num_clusters: k.
        iterations: maximum number of Lloyd passes.
        tol: stop when Σ‖Δcentroid‖² ≤ tol · mean feature variance (as scikit-learn).
        init_size: rows used for k-means++ (default ``max(4k, 256)``).
        seed: seeds the k-means++ draws.
    Empty clusters keep their previous centroid.
    """
    init_size = init_size or max(4 * num_clusters, 256)
    sample = _first_rows(batches(), init_size)
    centroids = kmeans_plus_plus(sample, num_clusters, np.random.RandomState(seed))
    threshold = tol * float(np.mean(np.var(sample, axis=0)))
    inertia, iteration = 0.0, 0
    for iteration in range(1, iterations + 1):
        sums = np.zeros_like(centroids)
        counts = np.zeros(num_clusters)
        inertia = 0.0
        for batch in batches():
            batch = np.asarray(batch, dtype=np.float64).reshape(len(batch), -1)
            labels, distances = assign(batch, centroids)
            members = np.eye(num_clusters)[labels]  # [b, k] one-hot
            sums += members.T @ batch
            counts += members.sum(0)
            inertia += float(distances.sum())
        filled = counts > 0
        updated = centroids.copy()
        updated[filled] = sums[filled] / counts[filled, None]
        shift = float(np.sum((updated - centroids) ** 2))
        centroids = updated
        if shift <= threshold:
            break
    return KMeansResult(centroids.astype(np.float32), inertia, iteration)


def kmeans(x, num_clusters, iterations=50, tol=1e-4, seed=0, batch_size=4096):
    """In-memory k-means on ``x [n, d]`` (k-means++ on all rows)."""
    x = np.asarray(x)
    chunks = [x[i:i + batch_size] for i in range(0, len(x), batch_size)]
    return fit_kmeans(lambda: chunks, num_clusters, iterations, tol, init_size=len(x), seed=seed)


def _first_rows(batches, count):
    rows, total = [], 0
    for batch in batches:
        batch = np.asarray(batch).reshape(len(batch), -1)
        rows.append(batch[:count - total])
        total += len(rows[-1])
        if total >= count:
            break
    if not rows:
        raise ValueError("k-means got no data")
    return np.concatenate(rows)
