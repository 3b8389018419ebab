"""Mutual Information Gap (Chen et al. 2018), as disentanglement_lib computes
it: codes discretised into equal-width histogram bins, discrete MI with each
factor, and per factor the gap between the two most informative codes
divided by the factor's entropy, averaged over factors."""

import numpy as np

from tfdisent.metrics import utils


def mutual_information_gap(mutual_information, factor_entropy):
    """Pure core: mean_j (m_(1)j - m_(2)j) / H_j for an MI matrix [K, F]."""
    mutual_information = np.asarray(mutual_information)
    if mutual_information.shape[0] < 2:
        raise ValueError("MIG needs at least 2 codes, got %d"
                         % mutual_information.shape[0])
    factor_entropy = np.asarray(factor_entropy)
    if np.any(factor_entropy <= 0):
        raise ValueError("MIG divides by factor entropies; factors %s are "
                         "constant in the sample"
                         % np.flatnonzero(factor_entropy <= 0).tolist())
    return float(np.mean(gap_per_factor(mutual_information, factor_entropy)))


def gap_per_factor(mutual_information, factor_entropy):
    """(m_(1)j - m_(2)j) / H_j per factor [F], unchecked (a zero entropy
    gives inf or nan)."""
    top_two = -np.sort(-np.asarray(mutual_information), axis=0)[:2]
    with np.errstate(divide="ignore", invalid="ignore"):
        return (top_two[0] - top_two[1]) / np.asarray(factor_entropy)


def _compute_mig(codes, factors, num_bins=utils.DEFAULT_NUM_BINS):
    """MIG of codes [N, K] against discrete factors [N, F]."""
    codes, factors = utils.check_codes_factors(codes, factors)
    mutual_information = utils.discrete_mutual_info(
            utils.histogram_discretize(codes, num_bins), factors)
    return {"discrete_mig": mutual_information_gap(
            mutual_information, utils.discrete_entropy(factors))}


def compute_mig(ground_truth_data, representation_function, random_state, *,
                num_train=10000, batch_size=16, num_bins=utils.DEFAULT_NUM_BINS):
    """MIG on `num_train` sampled points. Returns {"discrete_mig"}."""
    codes, factors = utils.generate_batch_factor_code(
            ground_truth_data, representation_function, num_train, random_state,
            batch_size)
    return _compute_mig(codes, factors, num_bins)
