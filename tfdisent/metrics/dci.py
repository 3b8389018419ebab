"""Disentanglement, Completeness and Informativeness (Eastwood & Williams 2018),
as disentanglement_lib computes them.

One classifier per factor predicts it from all codes; the absolute feature
importances form R [K codes, F factors]. Disentanglement is the
importance-weighted mean over codes of 1 - H_F(R[i, :] + 1e-11), completeness
the weighted mean over factors of 1 - H_K(R[:, j] + 1e-11) (entropies of the
normalised rows / columns, logarithm base F resp. K). "Informativeness" is the
classifiers' mean accuracy (disentanglement_lib's keys and values).
"""

import numpy as np
from sklearn import ensemble

from tfdisent.metrics import utils

# disentanglement_lib adds this to every importance before the entropies, so a
# perfectly diagonal R scores 1 - O(1e-9), not exactly 1.
ENTROPY_EPSILON = 1e-11


def _random_forest():
    return ensemble.RandomForestClassifier(n_estimators=50, max_depth=10,
                                           random_state=0)


# name -> classifier factory whose `feature_importances_` define R.
IMPORTANCE_MODELS = {
        "gbt": utils.gradient_boosting_classifier,  # disentanglement_lib's
        "random_forest": _random_forest,            # faster, not comparable
}


def importance_matrix(codes_train, factors_train, codes_test, factors_test,
                      importance="gbt", n_jobs=None):
    """R [K, F] and the mean train / test accuracy of the per-factor models
    (fitted in `n_jobs` processes, see `utils.parallel_map`)."""
    if importance not in IMPORTANCE_MODELS:
        raise ValueError("unknown importance %r; choose one of %s"
                         % (importance, sorted(IMPORTANCE_MODELS)))
    train, test, importances = utils.fit_and_score_per_factor(
            IMPORTANCE_MODELS[importance], codes_train, factors_train,
            codes_test, factors_test, "feature_importances_", n_jobs)
    matrix = np.abs(np.stack(importances, axis=1))
    return matrix, float(np.mean(train)), float(np.mean(test))


def _normalised_entropy(weights, axis):
    """Entropy of (weights + epsilon) normalised along `axis`, in base
    weights.shape[axis] (scipy.stats.entropy semantics)."""
    size = weights.shape[axis]
    if size < 2:
        raise ValueError("the entropy is taken in base %d; at least 2 entries "
                         "are needed along that axis" % size)
    p = weights + ENTROPY_EPSILON
    p = p / p.sum(axis=axis, keepdims=True)
    return -np.sum(p * np.log(p), axis=axis) / np.log(size)


def disentanglement_per_code(importance):
    """1 - H_F(R[i, :]) per code: [K]."""
    return 1.0 - _normalised_entropy(np.asarray(importance, np.float64), axis=1)


def completeness_per_factor(importance):
    """1 - H_K(R[:, j]) per factor: [F]."""
    return 1.0 - _normalised_entropy(np.asarray(importance, np.float64), axis=0)


def _weights(importance, axis):
    """Relative importance of each code (axis=1) or factor (axis=0); uniform
    if R is all zero, as in disentanglement_lib."""
    importance = np.asarray(importance, np.float64)
    if importance.sum() == 0.0:
        importance = np.ones_like(importance)
    return importance.sum(axis=axis) / importance.sum()


def disentanglement(importance):
    """Pure core: importance-weighted mean of the per-code disentanglement."""
    return float(np.sum(disentanglement_per_code(importance)
                        * _weights(importance, axis=1)))


def completeness(importance):
    """Pure core: importance-weighted mean of the per-factor completeness."""
    return float(np.sum(completeness_per_factor(importance)
                        * _weights(importance, axis=0)))


def _compute_dci(codes_train, factors_train, codes_test, factors_test,
                 importance="gbt", n_jobs=None):
    """DCI scores from sampled train / test codes [N, K] and factors [N, F]."""
    codes_train, factors_train = utils.check_codes_factors(codes_train,
                                                           factors_train)
    codes_test, factors_test = utils.check_codes_factors(codes_test,
                                                         factors_test)
    matrix, train_accuracy, test_accuracy = importance_matrix(
            codes_train, factors_train, codes_test, factors_test, importance,
            n_jobs)
    return {"disentanglement": disentanglement(matrix),
            "completeness": completeness(matrix),
            "informativeness_train": train_accuracy,
            "informativeness_test": test_accuracy}


def compute_dci(ground_truth_data, representation_function, random_state, *,
                num_train=10000, num_test=5000, batch_size=16, importance="gbt",
                n_jobs=None):
    """DCI. Returns {"disentanglement", "completeness",
    "informativeness_train", "informativeness_test"}.

    Args:
      importance: "gbt" (default: sklearn's default GradientBoostingClassifier,
        disentanglement_lib's definition) or "random_forest" (50 trees of
        depth <= 10; several times faster, scores not comparable).
      n_jobs: worker processes for the per-factor fits; None: every core
        (`utils.default_num_workers`). The result does not depend on it.
    """
    train, test = utils.train_and_test_codes(
        ground_truth_data, representation_function, num_train, num_test,
        random_state, batch_size)
    return _compute_dci(*train, *test, importance=importance, n_jobs=n_jobs)
