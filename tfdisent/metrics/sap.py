"""SAP score (Kumar et al. 2018), as disentanglement_lib computes it.

A score matrix S [K, F] rates how well each single code predicts each factor:
for discrete factors the test accuracy of a linear SVM (C=0.01, balanced
classes) trained on that one code; for continuous factors the squared
correlation. SAP is the mean over factors of the gap between the two highest
scores in the factor's column.
"""

import numpy as np
from sklearn import svm

from tfdisent.metrics import utils


def continuous_score_matrix(codes, factors):
    """Squared correlation cov(z_i, y_j)^2 / (var z_i var y_j), 0 where the
    code's variance is <= 1e-12: [K, F]."""
    codes = np.asarray(codes, np.float64)
    factors = np.asarray(factors, np.float64)
    centred_codes = codes - codes.mean(axis=0)
    centred_factors = factors - factors.mean(axis=0)
    dof = len(codes) - 1
    covariance = centred_codes.T @ centred_factors / dof
    code_variance = np.sum(centred_codes**2, axis=0) / dof
    factor_variance = np.sum(centred_factors**2, axis=0) / dof
    with np.errstate(divide="ignore", invalid="ignore"):
        score = covariance**2 / np.outer(code_variance, factor_variance)
    return np.where(code_variance[:, None] > 1e-12, score, 0.0)


def _linear_svc():
    # dual pinned (sklearn's default since 1.5; dlib's sklearn used dual=True),
    # so the solver does not change with the sklearn version.
    return svm.LinearSVC(C=0.01, class_weight="balanced", random_state=0, dual="auto")


def _code_scores(code, factors, code_test, factors_test):
    """Test accuracy of `_linear_svc` on one code [N, 1] per factor: [F]."""
    return np.array([
            np.mean(_linear_svc().fit(code, factors[:, j]).predict(code_test)
                    == factors_test[:, j]) for j in range(factors.shape[1])])


def discrete_score_matrix(codes, factors, codes_test, factors_test, n_jobs=None):
    """Test accuracy of a LinearSVC(C=0.01, class_weight="balanced") per
    (code, factor) pair, trained on the single code: [K, F]. The codes are
    fitted in `n_jobs` processes (`utils.parallel_map`; same result)."""
    return np.stack(utils.parallel_map(
            _code_scores, [(codes[:, i:i + 1], factors, codes_test[:, i:i + 1],
                            factors_test) for i in range(codes.shape[1])],
            n_jobs))


def top_two_gap_per_factor(score_matrix):
    """Per factor: largest - second largest score of a [K, F] matrix: [F]."""
    ordered = np.sort(np.asarray(score_matrix), axis=0)
    return ordered[-1] - ordered[-2]


def average_top_two_gap(score_matrix):
    """Pure core: mean over factors of (largest - second largest) score."""
    return float(np.mean(top_two_gap_per_factor(score_matrix)))


def _compute_sap(codes, factors, codes_test, factors_test,
                 continuous_factors=False, n_jobs=None):
    codes, factors = utils.check_codes_factors(codes, factors)
    if codes.shape[1] < 2:
        raise ValueError("SAP needs at least 2 codes, got %d" % codes.shape[1])
    if continuous_factors:
        matrix = continuous_score_matrix(codes, factors)
    else:
        codes_test, factors_test = utils.check_codes_factors(codes_test,
                                                             factors_test)
        matrix = discrete_score_matrix(codes, factors, codes_test, factors_test,
                                       n_jobs)
    return {"SAP_score": average_top_two_gap(matrix)}


def compute_sap(ground_truth_data, representation_function, random_state, *,
                num_train=10000, num_test=5000, batch_size=16,
                continuous_factors=False, n_jobs=None):
    """SAP score. Returns {"SAP_score"}. The test set is drawn (after the
    training set) even for continuous factors, as in disentanglement_lib.
    `n_jobs`: worker processes for the fits (None: every core)."""
    train, test = utils.train_and_test_codes(
        ground_truth_data, representation_function, num_train, num_test,
        random_state, batch_size)
    return _compute_sap(*train, *test, continuous_factors=continuous_factors,
                        n_jobs=n_jobs)
