"""Correlated factors at training time, over any ground-truth dataset.

Träuble et al. (ICML 2021, "On Disentangled Representations Learned from
Correlated Data"; facebookresearch/disentangling-correlated-factors) train on
data whose factor pairs are correlated,

    p(c1, c2) ∝ exp(−(c1 − c2)² / 2σ²),

with each factor's values scaled to [0, 1] (value / (levels − 1)), the other
factors uniform, and evaluate on the uncorrelated data. Here the pair's joint
table over the factor grid is normalised exactly and sampled in one
vectorised draw. Only the training pipeline uses the sampler
(`training_sampler`); metrics and bin/evaluate draw independent factors.

gin::

    correlated_factors.pairs = [("object_hue", "shape")]   # names or indices
    correlated_factors.sigma = 0.2
"""

import gin
import numpy as np


class PairCorrelation:
    """Draws factor rows with disjoint factor pairs correlated as above."""

    def __init__(self, data, pairs, sigma):
        if sigma <= 0:
            raise ValueError("correlated_factors.sigma must be positive, got %r" % sigma)
        self.data = data
        self.pairs = [tuple(factor_index(data, f) for f in pair) for pair in pairs]
        used = [f for pair in self.pairs for f in pair]
        if any(len(pair) != 2 or pair[0] == pair[1] for pair in self.pairs):
            raise ValueError("correlated_factors.pairs takes pairs of two different "
                             "factors, got %r" % (pairs,))
        if len(set(used)) != len(used):
            raise ValueError("correlated_factors.pairs must not share a factor, got %r"
                             % (pairs,))
        self.sigma = float(sigma)
        self.tables = [joint_table(data.factors_num_values[i], data.factors_num_values[j],
                                   self.sigma) for i, j in self.pairs]

    def __call__(self, num, random_state):
        factors = self.data.sample_factors(num, random_state)
        for (i, j), table in zip(self.pairs, self.tables):
            cells = np.searchsorted(np.cumsum(table.ravel()),
                                    random_state.uniform(size=num) * table.sum(), side="right")
            cells = np.minimum(cells, table.size - 1)
            factors[:, i], factors[:, j] = np.unravel_index(cells, table.shape)
        return factors

    def describe(self):
        names = list(self.data.factor_names)
        return {"pairs": [[names[i], names[j]] for i, j in self.pairs], "sigma": self.sigma}


def joint_table(levels_a, levels_b, sigma):
    """p(a, b) ∝ exp(−(a/(A−1) − b/(B−1))² / 2σ²) over the A × B grid."""
    a = np.arange(levels_a) / max(levels_a - 1, 1)
    b = np.arange(levels_b) / max(levels_b - 1, 1)
    table = np.exp(-(a[:, None] - b[None, :]) ** 2 / (2 * sigma ** 2))
    return table / table.sum()


def factor_index(data, factor):
    """A factor's index from its index or name; one clear error otherwise."""
    names = list(data.factor_names)
    if isinstance(factor, str):
        if factor not in names:
            raise ValueError("%r is not a factor of %s (factors: %s)"
                             % (factor, getattr(data, "name", "the dataset"), ", ".join(names)))
        return names.index(factor)
    if not 0 <= int(factor) < data.num_factors:
        raise ValueError("factor %r out of range: the dataset has %d factors"
                         % (factor, data.num_factors))
    return int(factor)


@gin.configurable("correlated_factors")
def training_sampler(data, pairs=None, sigma=0.2):
    """The factor sampler of the training pipeline: `data`'s own training
    distribution (`sample_training_factors`; uniform for most datasets), or,
    with `pairs`, the pair correlation above. Returns (sampler(num,
    random_state) -> int64 [num, F], description for the results or None)."""
    if pairs:
        correlated = PairCorrelation(data, pairs, sigma)
        return correlated, correlated.describe()
    if hasattr(data, "sample_training_factors"):
        return data.sample_training_factors, data.training_factors_description
    return data.sample_factors, None  # a dataset of disentanglement_lib's protocol
