"""BetaVAE score: dlib's draw order and known answers."""

import numpy as np

from metrics_fixtures import (CountingRepresentation, IdentityData,
                              NoisyIdentityData, RandomCodes, dlib_beta_vae_points,
                              identity)
from tfdisent.metrics import beta_vae


def test_points_follow_dlib_draw_order_with_batched_calls():
    data = NoisyIdentityData((3, 4, 5))
    representation = CountingRepresentation()
    rs_ours, rs_dlib = np.random.RandomState(9), np.random.RandomState(9)
    features, labels = beta_vae.sample_beta_vae_points(
            data, representation, rs_ours, 32, 50)
    ref_features, ref_labels = dlib_beta_vae_points(data, identity, 32, 50, rs_dlib)
    np.testing.assert_array_equal(labels, ref_labels)
    np.testing.assert_allclose(features, ref_features, rtol=1e-12)
    assert rs_ours.randint(1 << 30) == rs_dlib.randint(1 << 30)
    assert representation.calls == 4  # 100 batches of 32 in 4 calls


def test_float32_codes_give_float64_points_as_in_dlib():
    """dlib's points array is float64, so its logistic regression fits in
    float64 even on float32 codes; ours must fit the same array."""
    def float32_codes(observations):
        return np.asarray(observations, np.float32) * np.float32(1.7)

    data = NoisyIdentityData((3, 4, 5))
    features, _ = beta_vae.sample_beta_vae_points(
            data, float32_codes, np.random.RandomState(2), 16, 20)
    ref_features, _ = dlib_beta_vae_points(data, float32_codes, 16, 20,
                                           np.random.RandomState(2))
    assert features.dtype == ref_features.dtype == np.float64
    np.testing.assert_array_equal(features, ref_features)


def test_fixed_factor_has_zero_feature():
    features, labels = beta_vae.sample_beta_vae_points(
            IdentityData(), identity, np.random.RandomState(0), 16, 30)
    assert np.all(features[np.arange(30), labels] == 0.0)


DATA = IdentityData((4, 5, 6))
SMALL = dict(batch_size=16, num_train=300, num_eval=200)


def test_identity_codes_score_one():
    scores = beta_vae.compute_beta_vae_sklearn(DATA, identity,
                                               np.random.RandomState(0), **SMALL)
    assert scores == {"train_accuracy": 1.0, "eval_accuracy": 1.0}


def test_random_codes_score_near_chance():
    scores = beta_vae.compute_beta_vae_sklearn(DATA, RandomCodes(3),
                                               np.random.RandomState(0), **SMALL)
    assert scores["eval_accuracy"] < 0.5  # chance is 1/3


def test_same_seed_same_numbers():
    run = lambda: beta_vae.compute_beta_vae_sklearn(
            DATA, RandomCodes(3, seed=1), np.random.RandomState(2), **SMALL)
    assert run() == run()


def test_core_by_hand():
    # Label = the coordinate that is zero: linearly separable.
    train = np.array([[0.0, 1.0], [0.0, 2.0], [1.0, 0.0], [2.0, 0.0]])
    labels = np.array([0, 0, 1, 1])
    assert beta_vae.beta_vae_accuracies(train, labels, train[::-1],
                                        labels[::-1]) == (1.0, 1.0)
    assert beta_vae.beta_vae_accuracies(train, labels, train,
                                        1 - labels) == (1.0, 0.0)
