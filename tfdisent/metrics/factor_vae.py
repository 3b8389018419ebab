"""FactorVAE score (Kim & Mnih 2018), as disentanglement_lib computes it, and
the fixed-factor vote sampler it shares with m-FVM (`mfvm.py`).

A vote: fix k factors across a batch (k = 1 here), encode it, divide each
active code's batch variance by its global variance, and take the k codes
with the smallest ratio. FactorVAE then classifies each code by the factor it
most often votes for (majority vote) and reports that classifier's accuracy
on the training votes and on fresh evaluation votes.
"""

import numpy as np

from tfdisent.metrics import code_memo, utils


def estimate_code_variances(ground_truth_data, representation_function,
                            num_points, random_state):
    """Per-code variance (ddof=1) over `num_points` i.i.d. observations: [K].

    Draws like disentanglement_lib (all factor vectors at once, then their
    observations); observations are rendered and encoded in chunks.
    """
    factors = ground_truth_data.sample_factors(num_points, random_state)
    chunks = np.array_split(factors, max(1, num_points // utils.IMAGES_PER_CALL))
    codes = np.concatenate([utils.encode(
            ground_truth_data.sample_observations_from_factors(chunk, random_state),
            representation_function) for chunk in chunks])
    return np.var(codes, axis=0, ddof=1)


def prune_dims(variances, threshold):
    """Active-code mask: standard deviation at least `threshold`."""
    return np.sqrt(variances) >= threshold


def draw_fixed_factors(random_state, num_factors, num_fixed):
    """The factors to fix: dlib's `randint` for one, else k distinct ones."""
    if num_fixed == 1:
        return np.array([random_state.randint(num_factors)])
    return random_state.choice(num_factors, num_fixed, replace=False)


def _fixed_factor_draw(ground_truth_data, batch_size, num_fixed):
    """One vote's draw: the factors to fix, then a batch sharing their values."""
    def draw(_, random_state):
        fixed = draw_fixed_factors(random_state, ground_truth_data.num_factors,
                                   num_fixed)
        factors = ground_truth_data.sample_factors(batch_size, random_state)
        factors[:, fixed] = factors[0, fixed]
        return fixed, [factors]
    return draw


def lowest_variance_codes(batch_codes, global_variances, active, num_fixed=1):
    """Pure core of a vote: the `num_fixed` active codes whose batch variance
    (ddof=1) relative to the global variance is smallest.

    Args:
      batch_codes: [P, B, K] codes of P batches.
      global_variances: [K]; active: bool [K].
      num_fixed: codes returned per batch.

    Returns:
      int [P, num_fixed] code indices (into all K codes), ascending per row.
      The argmin runs over the active codes only, as in disentanglement_lib.
    """
    active_index = np.flatnonzero(active)
    local = np.var(batch_codes[:, :, active_index], axis=1, ddof=1)
    ratio = local / np.asarray(global_variances)[active_index]
    smallest = np.argsort(ratio, axis=1, kind="stable")[:, :num_fixed]
    return np.sort(active_index[smallest], axis=1)


def sample_fixed_factor_votes(ground_truth_data, representation_function,
                              random_state, num_points, batch_size,
                              global_variances, active, num_fixed=1):
    """Draws `num_points` votes with `num_fixed` factors fixed per batch.

    Per vote, in this order: the factors to fix, `sample_factors(batch_size)`,
    the fixed columns set to the first row, the observations. With
    num_fixed = 1 this is disentanglement_lib's FactorVAE draw sequence.

    Returns:
      fixed factors int [P, num_fixed] and chosen codes int [P, num_fixed],
      both ascending per row.
    """
    fixed, codes = utils.encode_draws(
            ground_truth_data.sample_observations_from_factors,
            representation_function, random_state,
            _fixed_factor_draw(ground_truth_data, batch_size, num_fixed),
            num_points, batch_size,
            memo=code_memo.memo_for(ground_truth_data, representation_function))
    dims = lowest_variance_codes(np.stack(codes), global_variances, active,
                                 num_fixed)
    return np.sort(np.stack(fixed), axis=1), dims


def votes_matrix(factor_index, code_index, num_factors, num_codes):
    """Counts votes[f, c] of (factor, code) pairs: int [F, K]."""
    votes = np.zeros((num_factors, num_codes), dtype=np.int64)
    np.add.at(votes, (factor_index, code_index), 1)
    return votes


def factor_vae_accuracies(train_votes, eval_votes):
    """Pure core: majority-vote classifier code -> factor fitted on the
    training votes [F, K]; returns its (train, eval) accuracy."""
    classifier = np.argmax(train_votes, axis=0)
    codes = np.arange(train_votes.shape[1])

    def accuracy(votes):
        return float(np.sum(votes[classifier, codes]) / np.sum(votes))

    return accuracy(train_votes), accuracy(eval_votes)


def compute_factor_vae(ground_truth_data, representation_function, random_state,
                       *, batch_size=64, num_train=10000, num_eval=5000,
                       num_variance_estimate=10000, prune_threshold=0.05):
    """FactorVAE score. Returns {"train_accuracy", "eval_accuracy",
    "num_active_dims"} (the number of codes with std >= prune_threshold)."""
    global_variances = estimate_code_variances(
            ground_truth_data, representation_function, num_variance_estimate,
            random_state)
    active = prune_dims(global_variances, prune_threshold)
    if not active.any():
        return {"train_accuracy": 0.0, "eval_accuracy": 0.0, "num_active_dims": 0}

    def votes(num_points):
        fixed, dims = sample_fixed_factor_votes(
                ground_truth_data, representation_function, random_state,
                num_points, batch_size, global_variances, active)
        return votes_matrix(fixed[:, 0], dims[:, 0],
                            ground_truth_data.num_factors, len(active))

    train_accuracy, eval_accuracy = factor_vae_accuracies(votes(num_train),
                                                          votes(num_eval))
    return {"train_accuracy": train_accuracy, "eval_accuracy": eval_accuracy,
            "num_active_dims": int(active.sum())}
