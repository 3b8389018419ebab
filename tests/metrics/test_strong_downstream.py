"""Strong downstream task: the intervention against a literal port of
disentanglement_lib's strong_downstream_task.intervene, its test's
invariants, and accuracies on codes that do and do not carry the factors."""

import numpy as np
import pytest

from metrics_fixtures import IdentityData, RandomCodes, identity
from tfdisent.metrics import strong_downstream, utils

DATA = IdentityData((3, 4, 5))


@pytest.fixture(autouse=True)
def empty_cache():
    utils.clear_sampling_cache()


def dlib_intervene(y_train, y_test, target_y, num_factors, ground_truth_data):
    """disentanglement_lib, evaluation/metrics/strong_downstream_task.py::intervene."""
    factor_list_to_interv = [j for j in range(num_factors) if j != target_y]
    interv_factor = np.random.choice(factor_list_to_interv)
    all_val_factor = list(range(ground_truth_data.factors_num_values[interv_factor]))
    factor_interv_train = np.random.choice(all_val_factor)
    all_val_factor.remove(factor_interv_train)
    y_train[:, interv_factor] = factor_interv_train
    factor_interv_test = np.random.choice(all_val_factor, size=y_test.shape[0])
    y_test[:, interv_factor] = factor_interv_test
    return y_train, y_test, interv_factor, factor_interv_train


def test_intervene_draws_as_the_reference_from_the_given_state():
    rs = np.random.RandomState(7)
    train, test = DATA.sample_factors(50, rs), DATA.sample_factors(40, rs)
    for target in range(3):
        for seed in range(5):
            np.random.seed(seed)
            expected = dlib_intervene(train.copy(), test.copy(), target, 3, DATA)
            got = strong_downstream.intervene(train, test, target, DATA.factors_num_values,
                                              np.random.RandomState(seed))
            for a, b in zip(got, expected):
                np.testing.assert_array_equal(a, b)
            new_train, new_test, factor, value = got
            assert factor != target and np.all(new_train[:, factor] == value)
            assert np.all(new_test[:, factor] != value)
            others = [k for k in range(3) if k != factor]
            np.testing.assert_array_equal(new_train[:, others], train[:, others])


def test_identity_codes_generalise_and_random_codes_do_not():
    settings = dict(num_train=(300,), num_test=200, n_experiment=2,
                    predictor="logistic_regression_cv")
    good = strong_downstream.compute_strong_downstream_task(
        DATA, identity, np.random.RandomState(0), **settings)
    assert set(good) == {"300:mean_train_accuracy", "300:mean_test_accuracy",
                         "300:mean_strong_train_accuracy", "300:mean_strong_test_accuracy",
                         "300:strong_generalization_gap"}
    assert good["300:mean_test_accuracy"] == 1.0
    assert good["300:mean_strong_test_accuracy"] > 0.95
    assert good["300:strong_generalization_gap"] == pytest.approx(
        1 - good["300:mean_strong_test_accuracy"])
    noise = strong_downstream.compute_strong_downstream_task(
        DATA, RandomCodes(3), np.random.RandomState(0), **settings)
    assert noise["300:mean_strong_test_accuracy"] < 0.5
