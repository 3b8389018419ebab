"""Downstream task: dlib's keys, both study predictors, known answers."""

import numpy as np
import pytest

from metrics_fixtures import IdentityData, RandomCodes, identity
from tfdisent.metrics import downstream, utils

DATA = IdentityData((3, 4, 5))


@pytest.fixture(autouse=True)
def empty_cache():
    utils.clear_sampling_cache()


def test_keys_by_hand():
    scores = downstream.accuracy_scores(10, [1.0, 0.5], [0.75, 0.25])
    assert scores == {
            "10:mean_train_accuracy": 0.75, "10:mean_test_accuracy": 0.5,
            "10:min_train_accuracy": 0.5, "10:min_test_accuracy": 0.25,
            "10:train_accuracy_factor_0": 1.0, "10:test_accuracy_factor_0": 0.75,
            "10:train_accuracy_factor_1": 0.5, "10:test_accuracy_factor_1": 0.25}


@pytest.mark.parametrize("predictor", ["logistic_regression_cv",
                                       "gradient_boosting_classifier",
                                       "hist_gradient_boosting_classifier"])
def test_identity_codes_are_predictable(predictor):
    scores = downstream.compute_downstream_task(
            DATA, identity, np.random.RandomState(0), num_train=(10, 300),
            num_test=200, predictor=predictor)
    assert len(scores) == 2 * (4 + 2 * 3)
    assert scores["300:mean_test_accuracy"] == 1.0
    assert 0.0 < scores["10:min_test_accuracy"] <= 1.0


def test_random_codes_are_not():
    scores = downstream.compute_downstream_task(
            DATA, RandomCodes(3), np.random.RandomState(0), num_train=(300,),
            num_test=300, predictor="gradient_boosting_classifier")
    assert scores["300:mean_test_accuracy"] < 0.45  # chance is ~0.28


def test_same_seed_same_numbers():
    run = lambda: downstream.compute_downstream_task(
            DATA, RandomCodes(3, seed=5), np.random.RandomState(1),
            num_train=(50,), num_test=50,
            predictor="gradient_boosting_classifier")
    first = run()
    utils.clear_sampling_cache()
    assert run() == first


def test_unknown_predictor_fails_before_sampling():
    with pytest.raises(ValueError, match="unknown predictor 'svm'"):
        downstream.compute_downstream_task(DATA, None, np.random.RandomState(0),
                                           predictor="svm")
