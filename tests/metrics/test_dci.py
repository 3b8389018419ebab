"""DCI: exact values on constructed importance matrices, sampler behaviour."""

import numpy as np
import pytest
import scipy.stats

from metrics_fixtures import IdentityData, RandomCodes, duplicated, identity
from tfdisent.metrics import dci, utils

EPS = dci.ENTROPY_EPSILON


def dlib_disentanglement(r):
    """disentanglement_lib's formula, written with scipy as it is there."""
    per_code = 1.0 - scipy.stats.entropy(r.T + EPS, base=r.shape[1])
    weights = r if r.sum() else np.ones_like(r)
    return np.sum(per_code * weights.sum(axis=1) / weights.sum())


def dlib_completeness(r):
    per_factor = 1.0 - scipy.stats.entropy(r + EPS, base=r.shape[0])
    weights = r if r.sum() else np.ones_like(r)
    return np.sum(per_factor * weights.sum(axis=0) / weights.sum())


DIAG = np.diag(5.0 * np.ones(5))
CASES = {
        "diagonal": DIAG,
        "empty_code": np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]),
        "redundant_codes": np.vstack([DIAG, DIAG]),
        "one_code_two_factors": np.hstack([DIAG, DIAG]),
        "missed_factors": DIAG[:2],
        "dense": np.random.RandomState(0).uniform(size=(6, 4)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_dlib_formula_exactly(name):
    r = CASES[name]
    assert dci.disentanglement(r) == pytest.approx(dlib_disentanglement(r),
                                                   rel=1e-13)
    assert dci.completeness(r) == pytest.approx(dlib_completeness(r), rel=1e-13)


def test_diagonal_is_one_up_to_the_epsilon():
    # 5 codes x 5 factors, weight 5: each row is (5 + e, e, e, e, e); with
    # p = e / (5 + 5e) the entropy is ~ -4 p log p / log 5 = 1.39e-10.
    p_low = EPS / (5 + 5 * EPS)
    p_high = (5 + EPS) / (5 + 5 * EPS)
    expected = 1 + (p_high * np.log(p_high) + 4 * p_low * np.log(p_low)) / np.log(5)
    for score in (dci.disentanglement(DIAG), dci.completeness(DIAG)):
        assert score == pytest.approx(expected, abs=1e-15)
        assert 0 < 1 - score < 2e-10


def test_split_importance_costs_log2_over_log_base():
    # Each code splits its importance equally over 2 of 10 factors.
    assert dci.disentanglement(CASES["one_code_two_factors"]) == pytest.approx(
            1 - np.log(2) / np.log(10), abs=1e-8)
    assert dci.completeness(CASES["one_code_two_factors"]) == pytest.approx(
            1.0, abs=1e-8)
    # Each factor splits its importance equally over 2 of 10 codes.
    assert dci.completeness(CASES["redundant_codes"]) == pytest.approx(
            1 - np.log(2) / np.log(10), abs=1e-8)
    assert dci.disentanglement(CASES["redundant_codes"]) == pytest.approx(
            1.0, abs=1e-8)


def test_all_zero_importance_scores_zero():
    zero = np.zeros((10, 10))
    assert dci.disentanglement(zero) == pytest.approx(0.0, abs=1e-12)
    assert dci.completeness(zero) == pytest.approx(0.0, abs=1e-12)


def test_one_factor_is_rejected():
    with pytest.raises(ValueError, match="at least 2 entries"):
        dci.disentanglement(np.ones((3, 1)))


@pytest.fixture(autouse=True)
def empty_cache():
    utils.clear_sampling_cache()


DATA = IdentityData((4, 5, 6))


def test_identity_codes_score_one():
    scores = dci.compute_dci(DATA, identity, np.random.RandomState(0),
                             num_train=1000, num_test=500)
    assert scores["disentanglement"] > 0.99
    assert scores["completeness"] > 0.99
    assert scores["informativeness_train"] == 1.0
    assert scores["informativeness_test"] == 1.0


def test_random_codes_score_near_zero():
    scores = dci.compute_dci(DATA, RandomCodes(3), np.random.RandomState(0),
                             num_train=600, num_test=300,
                             importance="random_forest")
    assert scores["disentanglement"] < 0.1
    assert scores["completeness"] < 0.1
    assert scores["informativeness_test"] < 0.4  # chance is ~0.2


def test_duplicated_codes_lower_completeness_by_the_split():
    # Each factor's importance is split between its two copies with some
    # fraction q: completeness is 1 - H(q) / log 6 (6 codes), at most
    # 1 - log 2 / log 6 = 0.613 for an even split, and disentanglement stays 1.
    train = utils.draw_factor_code(DATA, duplicated, 600,
                                   np.random.RandomState(0))
    matrix, _, _ = dci.importance_matrix(*train, *train)
    split = matrix[:3] / (matrix[:3] + matrix[3:])
    share = np.diag(split)
    entropy = -(share * np.log(share) + (1 - share) * np.log(1 - share))
    factor_weights = matrix.sum(axis=0) / matrix.sum()
    expected = np.sum(factor_weights * (1 - entropy / np.log(6)))
    assert dci.completeness(matrix) == pytest.approx(expected, abs=1e-6)
    assert 1 - np.log(2) / np.log(6) - 1e-6 < dci.completeness(matrix) < 0.9
    assert dci.disentanglement(matrix) > 0.99


def test_same_seed_same_numbers():
    run = lambda: dci.compute_dci(DATA, RandomCodes(3, seed=4),
                                  np.random.RandomState(5), num_train=300,
                                  num_test=100, importance="random_forest")
    first = run()
    utils.clear_sampling_cache()
    assert run() == first


def test_threads_give_the_same_result():
    train = utils.draw_factor_code(DATA, identity, 300, np.random.RandomState(0))
    one = dci._compute_dci(*train, *train, importance="random_forest")
    two = dci._compute_dci(*train, *train, importance="random_forest", n_jobs=2)
    assert one == two


def test_unknown_importance_is_rejected():
    with pytest.raises(ValueError, match="unknown importance 'lasso'"):
        dci._compute_dci(np.zeros((4, 2)), np.zeros((4, 2)),
                         np.zeros((4, 2)), np.zeros((4, 2)), importance="lasso")
