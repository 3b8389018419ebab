"""MIG: hand-computed gaps and sampler known answers."""

import numpy as np
import pytest

from metrics_fixtures import (IdentityData, RandomCodes, constant, duplicated,
                              identity)
from tfdisent.metrics import mig, utils


@pytest.fixture(autouse=True)
def empty_cache():
    utils.clear_sampling_cache()


def test_gap_by_hand():
    mutual_information = np.array([[1.0, 0.2], [0.5, 0.1], [0.2, 0.6]])
    # factor 0: (1.0 - 0.5) / 2; factor 1: (0.6 - 0.2) / 1.
    assert mig.mutual_information_gap(mutual_information, [2.0, 1.0]) == (
            pytest.approx(0.325, abs=1e-15))


def test_constant_factor_is_a_clear_error():
    with pytest.raises(ValueError, match=r"factors \[1\] are constant"):
        mig.mutual_information_gap(np.ones((2, 2)), [1.0, 0.0])


def test_core_on_arrays_equals_mi_over_entropy():
    rs = np.random.RandomState(0)
    factors = rs.randint(0, 8, size=(2000, 2))
    codes = np.stack([factors[:, 0], factors[:, 0] // 2,
                      rs.normal(size=2000)], axis=1).astype(np.float64)
    score = mig._compute_mig(codes, factors)["discrete_mig"]
    # Factor 0: code 0 holds H (8 values), code 1 holds H - log 2 exactly up
    # to sampling; factor 1: only noise. Gap ~ (log 2 / log 8) / 2 = 1/6.
    assert score == pytest.approx(1 / 6, abs=0.02)


DATA = IdentityData((4, 5, 6))


def test_identity_codes_near_one():
    score = mig.compute_mig(DATA, identity, np.random.RandomState(0),
                            num_train=2000)["discrete_mig"]
    assert 0.97 < score <= 1.0


@pytest.mark.parametrize("representation", [RandomCodes(3), constant])
def test_random_or_constant_codes_near_zero(representation):
    score = mig.compute_mig(DATA, representation, np.random.RandomState(0),
                            num_train=2000)["discrete_mig"]
    assert 0.0 <= score < 0.02


def test_duplicated_codes_have_no_gap():
    score = mig.compute_mig(DATA, duplicated, np.random.RandomState(0),
                            num_train=1000)["discrete_mig"]
    assert score == pytest.approx(0.0, abs=1e-12)


def test_same_seed_same_numbers():
    first = mig.compute_mig(DATA, RandomCodes(3, seed=1),
                            np.random.RandomState(2), num_train=500)
    utils.clear_sampling_cache()
    again = mig.compute_mig(DATA, RandomCodes(3, seed=1),
                            np.random.RandomState(2), num_train=500)
    assert first == again
