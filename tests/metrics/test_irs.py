"""IRS: a hand-computed case, dlib's factor discretisation, known answers."""

import numpy as np
import pytest

from metrics_fixtures import IdentityData, RandomCodes, identity
from tfdisent.metrics import irs, utils


@pytest.fixture(autouse=True)
def empty_cache():
    utils.clear_sampling_cache()


def test_score_by_hand():
    factors = np.array([[0], [0], [1], [1]])
    codes = np.array([[0.0], [2.0], [10.0], [12.0]])
    # Within each factor value the codes deviate by 1 from their mean; the
    # largest deviation from the overall mean (6) is 6: IRS = 1 - 1/6.
    result = irs.scalable_disentanglement_score(factors, codes, diff_quantile=1.0)
    assert result["avg_score"] == pytest.approx(5 / 6, abs=1e-15)
    np.testing.assert_allclose(result["IRS_matrix"], [[5 / 6]])


def test_scores_are_weighted_by_max_deviation():
    factors = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    # Code 0 follows factor 0 exactly: score 1, max deviation 5. Code 1 is
    # [1, 3, -1, 5]: mean 2, max deviation 3; within each value of factor 1
    # it deviates by 1 (1 - 1/3), within factor 0 by 1 and 3 (1 - 2/3).
    codes = np.array([[0.0, 0.0], [0.0, 4.0], [10.0, 0.0], [10.0, 4.0]])
    codes[:, 1] += [1.0, -1.0, -1.0, 1.0]
    result = irs.scalable_disentanglement_score(factors, codes, 1.0)
    np.testing.assert_allclose(result["IRS_matrix"],
                               [[1.0, 0.0], [1 / 3, 2 / 3]], atol=1e-15)
    np.testing.assert_array_equal(result["parents"], [0, 1])
    assert result["avg_score"] == pytest.approx((5 * 1.0 + 3 * 2 / 3) / 8)


DATA = IdentityData((4, 5, 6))


def test_identity_codes_score_one():
    scores = irs.compute_irs(DATA, identity, np.random.RandomState(0),
                             num_train=1000)
    assert scores == {"IRS": 1.0, "num_active_dims": 3}


def test_random_codes_score_low():
    scores = irs.compute_irs(DATA, RandomCodes(3), np.random.RandomState(0),
                             num_train=1000)
    assert scores["IRS"] < 0.35


def test_constant_codes_are_dropped_and_counted():
    with_constant = lambda x: np.hstack([identity(x), np.full((len(x), 2), 7.0)])
    scores = irs.compute_irs(DATA, with_constant, np.random.RandomState(0),
                             num_train=500)
    assert scores == {"IRS": 1.0, "num_active_dims": 3}
    none = irs.compute_irs(DATA, lambda x: np.zeros((len(x), 2)),
                           np.random.RandomState(0), num_train=100)
    assert none == {"IRS": 0.0, "num_active_dims": 0}


def test_factors_are_discretised_like_dlib():
    # A factor with 40 values is merged into 20 histogram bins, so a code
    # that copies it varies within each bin and scores below 1.
    data = IdentityData((40,))
    scores = irs.compute_irs(data, identity, np.random.RandomState(0),
                             num_train=2000)
    assert scores["IRS"] < 0.99
    undiscretised = irs.scalable_disentanglement_score(
            *data.sample(2000, np.random.RandomState(0)), diff_quantile=0.99)
    assert undiscretised["avg_score"] == 1.0
