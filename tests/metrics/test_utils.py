"""Shared metric machinery: discretiser, MI, sampling order, sampling cache."""

import numpy as np
import pytest
from sklearn.metrics import mutual_info_score

from metrics_fixtures import (CountingRepresentation, IdentityData,
                              NoisyIdentityData, identity)
from tfdisent.metrics import dci, mig, utils


@pytest.fixture(autouse=True)
def empty_cache():
    utils.clear_sampling_cache()
    yield
    utils.clear_sampling_cache()


def dlib_discretize(values, num_bins):
    """disentanglement_lib's loop, in our [N, C] layout."""
    out = np.zeros(values.shape, dtype=np.int64)
    for c in range(values.shape[1]):
        edges = np.histogram(values[:, c], num_bins)[1][:-1]
        out[:, c] = np.digitize(values[:, c], edges)
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_histogram_discretize_equals_dlib_loop(dtype):
    rs = np.random.RandomState(1)
    for num_bins in (2, 7, 20):
        values = (rs.standard_t(2, size=(500, 4)) * 50).astype(dtype)
        values[:, 2] = values[0, 2]  # a constant column
        got = utils.histogram_discretize(values, num_bins)
        np.testing.assert_array_equal(got, dlib_discretize(values, num_bins))
        assert got.min() >= 1 and got.max() <= num_bins


def test_histogram_discretize_rejects_non_finite():
    values = np.ones((5, 2))
    values[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"non-finite values in columns \[1\]"):
        utils.histogram_discretize(values)


def test_discrete_mutual_info_and_entropy_equal_sklearn():
    rs = np.random.RandomState(0)
    factors = rs.randint(0, [3, 40, 7], size=(3000, 3))
    codes = np.stack([factors[:, 1] // 4, rs.randint(0, 20, 3000),
                      factors[:, 0] * 3 + rs.randint(0, 2, 3000),
                      np.zeros(3000, int)], axis=1)
    got = utils.discrete_mutual_info(codes, factors)
    expected = [[mutual_info_score(factors[:, j], codes[:, i])
                 for j in range(3)] for i in range(4)]
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-10)
    np.testing.assert_allclose(
            utils.discrete_entropy(factors),
            [mutual_info_score(f, f) for f in factors.T], rtol=0, atol=1e-10)
    assert got[3].max() == 0.0  # a constant code carries no information


def test_mutual_info_from_counts_by_hand():
    # Perfectly dependent 2x2 table: MI = log 2; independent table: 0.
    np.testing.assert_allclose(
            utils.mutual_info_from_counts([[[5, 0], [0, 5]], [[2, 2], [3, 3]]]),
            [np.log(2), 0.0], atol=1e-15)


def dlib_generate(data, representation, num_points, random_state, batch_size):
    """disentanglement_lib's generate_batch_factor_code, [N, K] layout."""
    codes, factors = [], []
    done = 0
    while done < num_points:
        size = min(num_points - done, batch_size)
        f, obs = data.sample(size, random_state)
        factors.append(f)
        codes.append(representation(obs))
        done += size
    return np.vstack(codes), np.vstack(factors)


def test_generate_batch_factor_code_draws_like_dlib_with_fewer_calls():
    data = NoisyIdentityData((3, 4, 5))
    representation = CountingRepresentation()
    rs_ours, rs_dlib = np.random.RandomState(7), np.random.RandomState(7)
    codes, factors = utils.generate_batch_factor_code(
            data, representation, 1003, rs_ours, batch_size=16)
    ref_codes, ref_factors = dlib_generate(data, identity, 1003, rs_dlib, 16)
    np.testing.assert_array_equal(codes, ref_codes)
    np.testing.assert_array_equal(factors, ref_factors)
    assert rs_ours.randint(1 << 30) == rs_dlib.randint(1 << 30)
    assert representation.observations == 1003
    assert representation.calls == 1  # 63 batches merged into one call


def test_bad_representation_shape_is_a_clear_error():
    with pytest.raises(ValueError, match=r"to a \[4, K\] array of codes"):
        utils.draw_factor_code(IdentityData(), lambda x: x[:, 0], 4,
                               np.random.RandomState(0), 4)


def test_cache_reuses_points_and_matches_a_fresh_run():
    data = NoisyIdentityData((3, 4, 5))
    representation = CountingRepresentation()
    mig.compute_mig(data, representation, np.random.RandomState(3),
                    num_train=600)
    calls_after_mig = representation.calls
    state = np.random.RandomState(3)
    shared = dci.compute_dci(data, representation, state, num_train=600,
                             num_test=300, importance="random_forest")
    # Only the test set was new.
    assert representation.calls == calls_after_mig + 1
    shared_state_next = state.randint(1 << 30)

    utils.clear_sampling_cache()
    state = np.random.RandomState(3)
    fresh = dci.compute_dci(data, identity, state, num_train=600, num_test=300,
                            importance="random_forest")
    assert shared == fresh
    assert state.randint(1 << 30) == shared_state_next


def test_cache_hit_returns_copies_and_is_bounded():
    data = IdentityData()
    first, _ = utils.generate_batch_factor_code(data, identity, 50,
                                                np.random.RandomState(0))
    first[:] = -1
    again, _ = utils.generate_batch_factor_code(data, identity, 50,
                                                np.random.RandomState(0))
    assert again.min() >= 0
    for seed in range(utils.SAMPLING_CACHE_SIZE + 3):
        utils.generate_batch_factor_code(data, identity, 10,
                                         np.random.RandomState(seed))
    assert len(utils._sampling_cache) == utils.SAMPLING_CACHE_SIZE


def test_cache_keeps_only_the_current_dataset_and_representation():
    data, other = IdentityData(), IdentityData()
    utils.generate_batch_factor_code(data, identity, 10, np.random.RandomState(0))
    utils.generate_batch_factor_code(data, identity, 10, np.random.RandomState(1))
    assert len(utils._sampling_cache) == 2
    utils.generate_batch_factor_code(other, identity, 10, np.random.RandomState(0))
    assert [entry[0] for entry in utils._sampling_cache.values()] == [other]


def test_normalize_data_uses_given_statistics():
    data = np.array([[1.0, 10.0], [3.0, 30.0]])
    normalised, mean, std = utils.normalize_data(data)
    np.testing.assert_allclose(normalised, [[-1, -1], [1, 1]])
    again, _, _ = utils.normalize_data(data + 2.0, mean, std)
    np.testing.assert_allclose(again, [[1.0, -0.8], [3.0, 1.2]])


def test_make_predictor_rejects_unknown_names():
    assert utils.make_predictor("gradient_boosting_classifier") is (
            utils.gradient_boosting_classifier)
    with pytest.raises(ValueError, match="unknown predictor 'svm'"):
        utils.make_predictor("svm")
