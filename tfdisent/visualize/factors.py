"""Codes against ground-truth factors: normalised mutual information and
codes grouped by factor value (what the heatmap and violin plots draw)."""

import numpy as np

from tfdisent.metrics import utils


def nmi_matrix(codes, factors, num_bins=utils.DEFAULT_NUM_BINS):
    """[K, F]: I(code_i; factor_j) / H(factor_j), codes discretised by the
    metrics' histogram discretiser (as MIG normalises); 0 for a constant
    factor."""
    codes, factors = utils.check_codes_factors(codes, factors)
    mutual_info = utils.discrete_mutual_info(
            utils.histogram_discretize(codes, num_bins), factors)
    entropy = utils.discrete_entropy(factors)
    safe = np.where(entropy > 0, entropy, 1.0)
    return np.where(entropy > 0, mutual_info / safe, 0.0)


def shown_values(num_values, max_values):
    """The factor values drawn: all, or `max_values` evenly spaced ones."""
    if num_values <= max_values:
        return np.arange(num_values)
    return np.unique(np.round(np.linspace(0, num_values - 1, max_values)).astype(np.int64))


def codes_by_value(code, factor, values):
    """[(value, code[factor == value])] for each value of `values` that occurs."""
    return [(v, code[factor == v]) for v in values if np.any(factor == v)]
