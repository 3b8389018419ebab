"""Interventional Robustness Score (Suter et al. 2019), as disentanglement_lib
computes it.

Factors are histogram-discretised like codes (20 bins: factors with more
values are merged, a value-defining choice of disentanglement_lib that we
keep) and constant codes are dropped. For factor i and each of its observed
values k, the deviation of the codes from their mean within {g_i = k} is
summarised by its `diff_quantile` percentile; these are averaged over k. A
code's IRS against factor i is 1 - that average / the code's largest absolute
deviation from its overall mean; its score is the best factor, and IRS is
the mean over codes weighted by their largest deviation.
"""

import numpy as np

from tfdisent.metrics import utils


def scalable_disentanglement_score(factors, codes, diff_quantile=0.99):
    """Pure core on discrete factors [N, F] and (non-constant) codes [N, K].

    Returns a dict with "avg_score" (the IRS), "disentanglement_scores" [K],
    "parents" [K], "IRS_matrix" [K, F] and "max_deviations" [K].
    """
    factors, codes = np.asarray(factors), np.asarray(codes)
    max_deviations = np.max(np.abs(codes - codes.mean(axis=0)), axis=0)
    mean_deviations = np.zeros((codes.shape[1], factors.shape[1]))
    for i in range(factors.shape[1]):
        values, group = np.unique(factors[:, i], return_inverse=True)
        for k in range(len(values)):
            members = codes[group == k]
            spread = np.abs(members - members.mean(axis=0))
            mean_deviations[:, i] += np.percentile(spread, diff_quantile * 100,
                                                   axis=0)
        mean_deviations[:, i] /= len(values)
    irs_matrix = 1.0 - mean_deviations / max_deviations[:, None]
    scores = irs_matrix.max(axis=1)
    if np.sum(max_deviations) > 0.0:
        average = np.average(scores, weights=max_deviations)
    else:
        average = np.mean(scores)
    return {"avg_score": float(average), "disentanglement_scores": scores,
            "parents": irs_matrix.argmax(axis=1), "IRS_matrix": irs_matrix,
            "max_deviations": max_deviations}


def _compute_irs(codes, factors, diff_quantile=0.99,
                 num_bins=utils.DEFAULT_NUM_BINS):
    codes, factors = utils.check_codes_factors(codes, factors)
    active = np.var(codes, axis=0) > 0.0
    if not active.any():
        return {"IRS": 0.0, "num_active_dims": 0}
    factors = utils.histogram_discretize(factors, num_bins)
    score = scalable_disentanglement_score(factors, codes[:, active],
                                           diff_quantile)["avg_score"]
    return {"IRS": score, "num_active_dims": int(active.sum())}


def compute_irs(ground_truth_data, representation_function, random_state, *,
                num_train=10000, batch_size=16, diff_quantile=0.99,
                num_bins=utils.DEFAULT_NUM_BINS):
    """IRS. Returns {"IRS", "num_active_dims"} (the number of non-constant
    codes)."""
    codes, factors = utils.generate_batch_factor_code(
            ground_truth_data, representation_function, num_train, random_state,
            batch_size)
    return _compute_irs(codes, factors, diff_quantile, num_bins)
