"""SAP: hand-computed score matrices and sampler known answers."""

import numpy as np
import pytest

from metrics_fixtures import IdentityData, RandomCodes, identity
from tfdisent.metrics import sap, utils


@pytest.fixture(autouse=True)
def empty_cache():
    utils.clear_sampling_cache()


def test_top_two_gap_by_hand():
    matrix = np.array([[0.9, 0.1], [0.3, 0.5], [0.2, 0.45]])
    # factor 0: 0.9 - 0.3; factor 1: 0.5 - 0.45.
    assert sap.average_top_two_gap(matrix) == pytest.approx(0.325, abs=1e-15)


def test_continuous_scores_are_squared_correlations():
    rs = np.random.RandomState(0)
    factors = rs.normal(size=(500, 2))
    codes = np.stack([3 * factors[:, 0] + 1, -factors[:, 1],
                      np.full(500, 2.0)], axis=1)
    matrix = sap.continuous_score_matrix(codes, factors)
    expected = np.corrcoef(codes[:, :2], factors, rowvar=False)[:2, 2:] ** 2
    np.testing.assert_allclose(matrix[:2], expected, atol=1e-12)
    np.testing.assert_array_equal(matrix[2], [0.0, 0.0])  # constant code
    scores = sap._compute_sap(codes, factors, None, None,
                              continuous_factors=True)
    assert scores["SAP_score"] == pytest.approx(1.0 - np.mean(
            [expected[1, 0], expected[0, 1]]), abs=1e-12)


def test_discrete_scores_are_single_code_svm_accuracies():
    factors = np.repeat([[0, 0], [1, 1], [0, 1], [1, 0]], 25, axis=0)
    codes = factors.astype(np.float64)
    matrix = sap.discrete_score_matrix(codes, factors, codes, factors)
    # Each code predicts its own binary factor exactly and the other at chance.
    np.testing.assert_allclose(matrix, [[1.0, 0.5], [0.5, 1.0]])


DATA = IdentityData((2, 3, 2))


def test_identity_beats_random_codes():
    kwargs = dict(num_train=1000, num_test=500)
    good = sap.compute_sap(DATA, identity, np.random.RandomState(0), **kwargs)
    bad = sap.compute_sap(DATA, RandomCodes(3), np.random.RandomState(0),
                          **kwargs)
    # Binary factors are linearly separable on one code: gap 1 - 1/2; the
    # 3-valued factor is not (a 1-D linear SVM, as in dlib).
    assert good["SAP_score"] > 0.3
    assert bad["SAP_score"] < 0.05


def test_same_seed_same_numbers():
    run = lambda: sap.compute_sap(DATA, RandomCodes(3, seed=3),
                                  np.random.RandomState(1), num_train=300,
                                  num_test=100)
    first = run()
    utils.clear_sampling_cache()
    assert run() == first


def test_linear_svc_pins_the_documented_solver_settings():
    # docs/deviations.md: random_state=0 and dual="auto" (dlib: LinearSVC(C=0.01, class_weight="balanced")).
    params = sap._linear_svc().get_params()
    assert (params["C"], params["class_weight"], params["random_state"], params["dual"]) == \
        (0.01, "balanced", 0, "auto")
