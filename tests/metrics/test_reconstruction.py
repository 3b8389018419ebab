"""reconstruction: per-image losses equal the training losses of the same
decoder output; the sampler scores a model's reconstructions of fresh points."""

import numpy as np
import pytest

from tfdisent.metrics import reconstruction


class UnitImages:
    """Observations [N, 2, 3, 1] in [0, 1], drawn from the random state."""
    observation_shape = (2, 3, 1)

    def sample_observations(self, num, random_state):
        return random_state.uniform(size=(num, *self.observation_shape)).astype(np.float32)


class Reconstructor:
    """A model stand-in whose reconstruct method is f(images) (the metric
    calls nothing else)."""

    def __init__(self, function):
        self.reconstruct = function


def sigmoid_cross_entropy_with_logits(labels, logits):
    """TensorFlow's formula (tf.nn.sigmoid_cross_entropy_with_logits)."""
    return np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits)))


def test_per_image_errors_are_the_training_losses_of_the_decoder_output():
    rng = np.random.RandomState(0)
    images = rng.uniform(size=(5, 4, 4, 3))
    logits = rng.normal(scale=4.0, size=images.shape)
    errors = reconstruction.per_image_errors(images, 1 / (1 + np.exp(-logits)))
    np.testing.assert_allclose(errors["squared_error"], np.sum(
        (images - 1 / (1 + np.exp(-logits))) ** 2, axis=(1, 2, 3)), rtol=1e-12)
    np.testing.assert_allclose(errors["bernoulli_cross_entropy"], np.sum(
        sigmoid_cross_entropy_with_logits(images, logits), axis=(1, 2, 3)), rtol=1e-9)


def test_a_saturated_wrong_pixel_costs_the_clipped_amount_not_infinity():
    errors = reconstruction.per_image_errors(np.zeros((1, 1, 1, 1)), np.ones((1, 1, 1, 1)))
    assert errors["bernoulli_cross_entropy"][0] == pytest.approx(-np.log(1e-7), rel=1e-6)
    assert errors["squared_error"][0] == 1.0


def test_perfect_reconstructions_cost_no_squared_error_and_the_images_entropy():
    data = UnitImages()
    scores = reconstruction.compute_reconstruction(
            data, Reconstructor(lambda x: x), np.random.RandomState(1), num_points=300,
            batch_size=64)
    images = data.sample_observations(300, np.random.RandomState(1)).astype(np.float64)
    entropy = -(images * np.log(images) + (1 - images) * np.log1p(-images)).sum(axis=(1, 2, 3))
    assert scores["squared_error"] == 0.0 and scores["squared_error_std_error"] == 0.0
    assert scores["bernoulli_cross_entropy"] == pytest.approx(entropy.mean(), rel=1e-6)
    assert scores["bernoulli_cross_entropy_std_error"] == pytest.approx(
        entropy.std(ddof=1) / np.sqrt(300), rel=1e-5)
    assert scores["num_points"] == 300


def test_a_worse_reconstruction_scores_worse_and_batches_do_not_matter():
    data = UnitImages()
    grey = Reconstructor(lambda x: np.full_like(x, 0.5))
    half = Reconstructor(lambda x: 0.5 * x + 0.25)
    scores = {name: reconstruction.compute_reconstruction(
                  data, model, np.random.RandomState(2), num_points=200, batch_size=batch)
              for name, model, batch in (("grey", grey, 50), ("half", half, 50),
                                         ("half_one_batch", half, 200))}
    assert scores["grey"]["squared_error"] > scores["half"]["squared_error"] > 0
    assert scores["half"] == pytest.approx(scores["half_one_batch"])


def test_codes_alone_are_refused():
    with pytest.raises(ValueError, match="no reconstruct method"):
        reconstruction.compute_reconstruction(UnitImages(), lambda x: x,
                                              np.random.RandomState(0))
