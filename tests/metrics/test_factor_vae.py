"""FactorVAE score: cores by hand, dlib's draw order, known answers."""

import numpy as np

from metrics_fixtures import (IdentityData, NoisyIdentityData, RandomCodes,
                              constant, identity)
from tfdisent.metrics import factor_vae


def test_accuracies_by_hand():
    train = np.array([[5, 0, 1], [1, 3, 0]])
    evaluation = np.array([[2, 2, 0], [0, 1, 3]])
    # Majority classifier: code 0 -> factor 0, code 1 -> factor 1,
    # code 2 -> factor 0. Train: (5 + 3 + 1) / 10; eval: (2 + 1 + 0) / 8.
    assert factor_vae.factor_vae_accuracies(train, evaluation) == (0.9, 0.375)


def test_votes_matrix_counts_pairs():
    votes = factor_vae.votes_matrix(np.array([0, 1, 0, 0]),
                                    np.array([2, 0, 2, 1]), 2, 3)
    np.testing.assert_array_equal(votes, [[0, 1, 2], [1, 0, 0]])


def test_lowest_variance_codes_skip_inactive_codes():
    # Batch variances (ddof=1) of the 4 codes: [0, 4, 1, 9] / global [1, 1, 1, 9]
    # -> ratios [0, 4, 1, 1]; code 0 is inactive, so the smallest are 2 then 3.
    batch = np.array([[[5.0, 0.0, 0.0, 0.0], [5.0, 4.0, 2.0, 6.0],
                       [5.0, 2.0, 1.0, 3.0]]])
    assert np.allclose(np.var(batch[0], axis=0, ddof=1), [0, 4, 1, 9])
    active = np.array([False, True, True, True])
    global_variances = np.array([1.0, 1.0, 1.0, 9.0])
    picks = factor_vae.lowest_variance_codes(batch, global_variances, active, 1)
    np.testing.assert_array_equal(picks, [[2]])  # stable: first of the tie
    picks = factor_vae.lowest_variance_codes(batch, global_variances, active, 2)
    np.testing.assert_array_equal(picks, [[2, 3]])


def dlib_votes(data, representation, num_points, batch_size, random_state,
               global_variances, active):
    """disentanglement_lib's per-vote loop (argmin within the active codes)."""
    votes = np.zeros((data.num_factors, len(global_variances)), np.int64)
    for _ in range(num_points):
        index = random_state.randint(data.num_factors)
        factors = data.sample_factors(batch_size, random_state)
        factors[:, index] = factors[0, index]
        codes = representation(
                data.sample_observations_from_factors(factors, random_state))
        local = np.var(codes, axis=0, ddof=1)
        votes[index, np.argmin(local[active] / global_variances[active])] += 1
    return votes


def test_votes_follow_dlib_draw_order():
    data = NoisyIdentityData((3, 4, 5))
    mixing = np.array([[1.0, 0.2, 0.0, 0.0], [0.0, 1.0, 0.0, 0.5],
                       [0.3, 0.0, 1.0, 0.0]])
    representation = lambda x: identity(x) @ mixing
    global_variances = np.array([1.0, 2.0, 1.5, 0.7])
    active = np.array([True, False, True, True])
    rs_ours, rs_dlib = np.random.RandomState(4), np.random.RandomState(4)
    fixed, dims = factor_vae.sample_fixed_factor_votes(
            data, representation, rs_ours, 200, 16, global_variances, active)
    ours = factor_vae.votes_matrix(fixed[:, 0], dims[:, 0], 3, 4)
    reference = dlib_votes(data, representation, 200, 16, rs_dlib,
                           global_variances, active)
    # dlib indexes votes by position among the active codes; relabel.
    np.testing.assert_array_equal(ours[:, active], reference[:, :3])
    assert ours[:, ~active].sum() == 0
    assert rs_ours.randint(1 << 30) == rs_dlib.randint(1 << 30)


def test_global_variances_follow_dlib_draw_order():
    data = NoisyIdentityData((3, 4, 5))
    rs_ours, rs_dlib = np.random.RandomState(2), np.random.RandomState(2)
    ours = factor_vae.estimate_code_variances(data, identity, 3000, rs_ours)
    reference = np.var(identity(data.sample_observations(3000, rs_dlib)),
                       axis=0, ddof=1)
    np.testing.assert_array_equal(ours, reference)
    assert rs_ours.randint(1 << 30) == rs_dlib.randint(1 << 30)


DATA = IdentityData((4, 5, 6))
SMALL = dict(num_train=300, num_eval=200, num_variance_estimate=1000)


def test_identity_codes_score_one():
    scores = factor_vae.compute_factor_vae(DATA, identity,
                                           np.random.RandomState(0), **SMALL)
    assert scores == {"train_accuracy": 1.0, "eval_accuracy": 1.0,
                      "num_active_dims": 3}


def test_random_codes_score_near_chance():
    scores = factor_vae.compute_factor_vae(DATA, RandomCodes(3),
                                           np.random.RandomState(0), **SMALL)
    assert scores["eval_accuracy"] < 0.5  # chance is 1/3


def test_constant_codes_have_no_active_dims():
    scores = factor_vae.compute_factor_vae(DATA, constant,
                                           np.random.RandomState(0), **SMALL)
    assert scores == {"train_accuracy": 0.0, "eval_accuracy": 0.0,
                      "num_active_dims": 0}


def test_num_active_dims_counts_active_codes():
    with_dead_code = lambda x: np.hstack([identity(x), np.zeros((len(x), 2))])
    scores = factor_vae.compute_factor_vae(DATA, with_dead_code,
                                           np.random.RandomState(0), **SMALL)
    assert scores["num_active_dims"] == 3  # dlib would report 5
    assert scores["eval_accuracy"] == 1.0


def test_same_seed_same_numbers():
    run = lambda: factor_vae.compute_factor_vae(
            DATA, RandomCodes(3, seed=2), np.random.RandomState(1), **SMALL)
    assert run() == run()
