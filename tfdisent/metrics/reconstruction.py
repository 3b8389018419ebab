"""Held-out reconstruction error: what a model's reconstructions of fresh
observations cost, per image, under both losses tfdisent trains with.

A training run's `reconstruction_loss` is one batch's value at the last step
(64 images, a code sampled from the posterior); this scores `num_points`
fresh observations reconstructed from the model's deterministic code (the
mean, as the SavedModel's `reconstructions` signature decodes it), so
models compare on the same images whatever loss they trained with.

It needs the model, not only its codes: the representation must have a
`reconstruct(images) -> images` method (bin/evaluate's SavedModel
representation reads the `reconstructions` signature). Numpy only.
"""

import numpy as np

# Probabilities are clipped here before the Bernoulli log-likelihood, so a
# saturated pixel costs at most -log(1e-7) ≈ 16 nats instead of infinity.
_PROBABILITY_CLIP = 1e-7


def per_image_errors(images, reconstructions):
    """{"squared_error", "bernoulli_cross_entropy"}: [N] float64 sums over
    each image's pixels, for images and reconstructions in [0, 1] (the
    reconstructions are sigmoid(logits), so these are the training losses
    `l2_loss` and `bernoulli_loss` of the same decoder output)."""
    images = np.asarray(images, dtype=np.float64)
    reconstructions = np.asarray(reconstructions, dtype=np.float64)
    if images.shape != reconstructions.shape:
        raise ValueError("reconstructions have shape %s, the images %s"
                         % (reconstructions.shape, images.shape))
    axes = tuple(range(1, images.ndim))
    p = np.clip(reconstructions, _PROBABILITY_CLIP, 1 - _PROBABILITY_CLIP)
    cross_entropy = -(images * np.log(p) + (1 - images) * np.log1p(-p))
    return {"squared_error": np.sum(np.square(images - reconstructions), axis=axes),
            "bernoulli_cross_entropy": np.sum(cross_entropy, axis=axes)}


def compute_reconstruction(ground_truth_data, representation_function, random_state, *,
                           num_points=10000, batch_size=500):
    """Mean per-image errors on `num_points` fresh observations (drawn in
    batches of `batch_size`), with the standard error of each mean."""
    reconstruct = getattr(representation_function, "reconstruct", None)
    if reconstruct is None:
        raise ValueError("reconstruction scores a model's reconstructions; this "
                         "representation has no reconstruct method (bin/evaluate's "
                         "SavedModel representation has one)")
    if num_points < 2:
        raise ValueError("reconstruction.num_points must be at least 2, got %d"
                         % num_points)
    errors = {}
    for start in range(0, num_points, batch_size):
        images = ground_truth_data.sample_observations(
                min(batch_size, num_points - start), random_state)
        for key, values in per_image_errors(images, reconstruct(images)).items():
            errors.setdefault(key, []).append(values)
    scores = {"num_points": num_points}
    for key, parts in errors.items():
        values = np.concatenate(parts)
        scores[key] = float(np.mean(values))
        scores[key + "_std_error"] = float(np.std(values, ddof=1) / np.sqrt(len(values)))
    return scores
