"""The labelled subset of semi-supervised training (Locatello et al., ICLR
2020) and disentanglement_lib's labellers. numpy only.

`draw_labelled_set` draws the subset as disentanglement_lib's
sample_supervised_data does: from RandomState(seed), the factors, then their
observations, then the labeller's noise. `split` keeps the first
ceil(n * train_percentage) points for training, as its train_test_split.
"""

import math

import gin
import numpy as np

from tfdisent.data.ground_truth import StateSpace


class Labeller:
    """Turns true factors into the labels a model is trained on."""

    def sizes(self, factors_num_values):
        """How many values each label takes."""
        return [int(k) for k in factors_num_values]

    def __call__(self, factors, factors_num_values, random_state):
        return np.float32(factors)


@gin.configurable("perfect_labeller")
class PerfectLabeller(Labeller):
    """The true factors."""


@gin.configurable("bin_labeller")
class BinLabeller(Labeller):
    """Factors with more than `num_bins` values are put into `num_bins` bins
    of equal (fractional) width, as a rough human labeller would."""

    def __init__(self, num_bins=5):
        if num_bins < 1:
            raise ValueError("bin_labeller.num_bins must be at least 1, got %s" % num_bins)
        self.num_bins = int(num_bins)

    def sizes(self, factors_num_values):
        return [min(int(k), self.num_bins) for k in factors_num_values]

    def __call__(self, factors, factors_num_values, random_state):
        labels = np.float32(factors)
        for i, num_values in enumerate(factors_num_values):
            if num_values > self.num_bins:
                width = num_values / self.num_bins
                labels[:, i] = np.minimum(labels[:, i] // width, self.num_bins - 1)
        return labels


@gin.configurable("noisy_labeller")
class NoisyLabeller(Labeller):
    """Each label is, with probability `prob_random`, replaced by a uniform
    draw over all of its values (which may be the true one)."""

    def __init__(self, prob_random=0.1):
        if not 0.0 <= prob_random <= 1.0:
            raise ValueError("noisy_labeller.prob_random must be in [0, 1], got %s"
                             % prob_random)
        self.prob_random = float(prob_random)

    def __call__(self, factors, factors_num_values, random_state):
        labels = np.array(factors, dtype=np.int64, copy=True)
        # Row by row, factor by factor: disentanglement_lib's order of draws.
        for row in range(labels.shape[0]):
            for i, num_values in enumerate(factors_num_values):
                if random_state.rand() < self.prob_random:
                    labels[row, i] = random_state.randint(num_values)
        return np.float32(labels)


@gin.configurable("permuted_labeller")
class PermutedLabeller(Labeller):
    """Each factor's values relabelled by a random permutation (the order
    of the values is lost)."""

    def __call__(self, factors, factors_num_values, random_state):
        labels = np.array(factors, dtype=np.int64, copy=True)
        for i, num_values in enumerate(factors_num_values):
            labels[:, i] = random_state.permutation(range(num_values))[labels[:, i]]
        return np.float32(labels)


LABELLERS = ("perfect_labeller", "bin_labeller", "noisy_labeller", "permuted_labeller")


def check_size(data, num_labelled):
    """ValueError unless 1 <= num_labelled <= the number of observations."""
    available = StateSpace(data.factors_num_values).num_states
    if not 1 <= num_labelled <= available:
        raise ValueError("num_labelled = %d, but the dataset has %d distinct "
                         "observations" % (num_labelled, available))


def draw_labelled_set(data, num_labelled, seed, labeller):
    """(observations uint8 [n, H, W, C], labels float32 [n, F], factors
    int64 [n, F]) drawn from RandomState(seed)."""
    check_size(data, num_labelled)
    random_state = np.random.RandomState(seed)
    factors = data.sample_factors(num_labelled, random_state)
    observations = data.observations_from_factors_uint8(factors, random_state)
    labels = labeller(factors, data.factors_num_values, random_state)
    return np.asarray(observations, np.uint8), labels, np.asarray(factors, np.int64)


def check_train_percentage(train_percentage):
    if not 0.0 < train_percentage <= 1.0:
        raise ValueError("train_percentage must be in (0, 1], got %s" % train_percentage)


def split(observations, labels, train_percentage):
    """(train observations, train labels, test observations, test labels):
    the first ceil(n * train_percentage) points train."""
    check_train_percentage(train_percentage)
    num_train = int(math.ceil(len(labels) * train_percentage))
    return (observations[:num_train], labels[:num_train],
            observations[num_train:], labels[num_train:])
