"""Unsupervised scores: closed forms, dlib's sqrtm formula, known answers."""

import numpy as np
import pytest
import scipy.linalg

from metrics_fixtures import IdentityData, duplicated, identity
from tfdisent.metrics import unsupervised, utils


def test_total_correlation_closed_forms():
    assert unsupervised.gaussian_total_correlation(np.diag([1.0, 4.0, 9.0])) == (
            pytest.approx(0.0, abs=1e-15))
    rho = 0.6
    cov = np.array([[2.0, rho * np.sqrt(6.0)], [rho * np.sqrt(6.0), 3.0]])
    # KL(N(0, C) || N(0, diag C)) = -0.5 log(1 - rho^2).
    assert unsupervised.gaussian_total_correlation(cov) == pytest.approx(
            -0.5 * np.log(1 - rho**2), abs=1e-14)


def test_wasserstein_equals_dlib_sqrtm_formula():
    rs = np.random.RandomState(0)
    for _ in range(5):
        root = rs.normal(size=(6, 6))
        cov = root @ root.T + 0.1 * np.eye(6)
        dlib = 2 * np.trace(cov) - 2 * np.trace(
                scipy.linalg.sqrtm(cov * np.diag(cov)[:, None]))
        assert unsupervised.gaussian_wasserstein_correlation(cov) == (
                pytest.approx(np.real(dlib), rel=1e-9))


def test_wasserstein_closed_forms():
    assert unsupervised.gaussian_wasserstein_correlation(np.diag([1.0, 3.0])) == (
            pytest.approx(0.0, abs=1e-12))
    # Two identical unit-variance codes: C = [[1, 1], [1, 1]] has eigenvalues
    # 2 and 0, so W = 2 * 2 - 2 * sqrt(2).
    assert unsupervised.gaussian_wasserstein_correlation(np.ones((2, 2))) == (
            pytest.approx(4 - 2 * np.sqrt(2), abs=1e-12))


def test_mutual_info_score_by_hand():
    # Two identical 2-valued codes and one independent code: pairs (0,1)
    # and (1,0) carry log 2 each, the others 0; mean over 6 ordered pairs.
    codes = np.array([[0, 0, 0], [0, 0, 1], [1, 1, 0], [1, 1, 1]], float)
    assert unsupervised.mean_pairwise_mutual_info(codes) == pytest.approx(
            2 * np.log(2) / 6, abs=1e-15)


@pytest.fixture(autouse=True)
def empty_cache():
    utils.clear_sampling_cache()


def test_independent_codes_score_zero_and_duplicates_do_not():
    data = IdentityData((4, 5, 6))
    independent = unsupervised.compute_unsupervised_metrics(
            data, identity, np.random.RandomState(0), num_train=2000)
    assert set(independent) == {
            "gaussian_total_correlation", "gaussian_wasserstein_correlation",
            "gaussian_wasserstein_correlation_norm", "mutual_info_score"}
    assert all(abs(v) < 0.01 for v in independent.values())
    noisy_copy = lambda x: duplicated(x) + np.linspace(0, 0.3, 6)[None] * (
            np.arange(len(x))[:, None] % 2)
    dependent = unsupervised.compute_unsupervised_metrics(
            data, noisy_copy, np.random.RandomState(0), num_train=2000)
    assert dependent["gaussian_total_correlation"] > 1.0
    assert dependent["mutual_info_score"] > 0.2
