"""m-FVM_k: CFASL's multi-factor FactorVAE metric (Jung et al., TMLR 2024).

For k = 2 .. F-1: each vote fixes k distinct random factors across a batch
and picks the k active codes with the smallest batch-to-global variance ratio
(the FactorVAE sampler of `factor_vae.py` with k fixed factors). Votes are
grouped by the (sorted) tuple of fixed factors; m-FVM_k is the mean over the
observed factor tuples of the share of that tuple's votes that went to its
most frequent (sorted) code tuple. Defaults follow the official code
(`src/disent_metrics/mfvm.py`): batch 100, 800 votes, global variance from
100 observations, active codes with std >= 0.06.
"""

import numpy as np

from tfdisent.metrics import factor_vae


def mfvm_score(fixed_factors, chosen_codes):
    """Pure core: mean over factor tuples of the majority code tuple's share.

    Args:
      fixed_factors: int [P, k], the fixed factors of each vote.
      chosen_codes: int [P, k], the codes each vote chose.
    """
    fixed_factors = np.sort(np.asarray(fixed_factors), axis=1)
    chosen_codes = np.sort(np.asarray(chosen_codes), axis=1)
    _, group = np.unique(fixed_factors, axis=0, return_inverse=True)
    _, target = np.unique(chosen_codes, axis=0, return_inverse=True)
    counts = np.zeros((group.max() + 1, target.max() + 1), dtype=np.int64)
    np.add.at(counts, (group.ravel(), target.ravel()), 1)
    return float(np.mean(counts.max(axis=1) / counts.sum(axis=1)))


def compute_mfvm(ground_truth_data, representation_function, random_state, *,
                 num_fixed=None, batch_size=100, num_votes=800,
                 num_variance_estimate=100, prune_threshold=0.06):
    """m-FVM_k for every k in `num_fixed` (default 2 .. num_factors - 1).

    The global variances come from `random_state`; then one seed is drawn and
    every k restarts from it (the official code re-seeds before each k), so
    mfvm_k does not depend on which other k are computed.

    Returns:
      {"mfvm_<k>": score, ..., "num_active_dims": count}; a score is 0 when
      fewer than k codes are active.
    """
    num_factors = ground_truth_data.num_factors
    num_fixed = range(2, num_factors) if num_fixed is None else num_fixed
    if not len(num_fixed):
        raise ValueError("m-FVM fixes 2 .. F-1 factors, so it needs at least 3 "
                         "factors; this dataset has %d" % num_factors)
    if any(not 1 <= k < num_factors for k in num_fixed):
        raise ValueError("each k in num_fixed must be in [1, %d), got %s"
                         % (num_factors, list(num_fixed)))
    global_variances = factor_vae.estimate_code_variances(
            ground_truth_data, representation_function, num_variance_estimate,
            random_state)
    active = factor_vae.prune_dims(global_variances, prune_threshold)
    seed = random_state.randint(2**31 - 1)
    scores = {"num_active_dims": int(active.sum())}
    for k in num_fixed:
        if active.sum() < k:
            scores["mfvm_%d" % k] = 0.0
            continue
        fixed, dims = factor_vae.sample_fixed_factor_votes(
                ground_truth_data, representation_function,
                np.random.RandomState(seed), num_votes, batch_size,
                global_variances, active, num_fixed=k)
        scores["mfvm_%d" % k] = mfvm_score(fixed, dims)
    return scores
