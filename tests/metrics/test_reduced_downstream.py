"""Reduced downstream task against a literal numpy port of disentanglement_lib's
evaluation/metrics/reduced_downstream_task.py, and the leak it measures."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from metrics_fixtures import IdentityData, identity
from tfdisent.metrics import api, dci, reduced_downstream, utils

DATA = IdentityData((3, 4, 5))


@pytest.fixture(autouse=True)
def empty_cache():
    utils.clear_sampling_cache()


# --- disentanglement_lib, reduced_downstream_task.py, ported literally (its
# correlation_measure, factorwise_dci, is DCI's importance matrix; its arrays are
# [codes, points] and [factors, points]) --------------------------------------------

def dlib_compute_reduced_representation(mus_train, ys_train, mus_test, ys_test,
                                        factor_of_interest, correlation_measure):
    importance_matrix = correlation_measure(mus_train, ys_train, mus_test, ys_test)
    factor_of_interest_importance = importance_matrix[:, factor_of_interest]
    factor_to_remove_index = np.argmax(factor_of_interest_importance)
    return (np.delete(mus_train.copy(), factor_to_remove_index, axis=0),
            np.delete(mus_test.copy(), factor_to_remove_index, axis=0))


def dlib_compute_predictive_accuracy(x_train, y_train, x_test, y_test, predictor_fn):
    train_acc, test_acc = [], []
    for i in range(y_train.shape[0]):
        model = predictor_fn()
        model.fit(x_train, y_train[i, :])
        train_acc.append(np.mean(model.predict(x_train) == y_train[i, :]))
        test_acc.append(np.mean(model.predict(x_test) == y_test[i, :]))
    return train_acc, test_acc


def dlib_scores(mus_train, ys_train, mus_test, ys_test, size_string, num_factors_to_remove,
                correlation_measure, predictor_model):
    """The body of compute_reduced_downstream_task for one training size."""
    scores = {}
    reduced_train, other_train, reduced_test, other_test = [], [], [], []
    for factor_of_interest in range(ys_train.shape[0]):
        reduced_mus_train, reduced_mus_test = mus_train.copy(), mus_test.copy()
        for _ in range(num_factors_to_remove):
            reduced_mus_train, reduced_mus_test = dlib_compute_reduced_representation(
                reduced_mus_train, ys_train, reduced_mus_test, ys_test, factor_of_interest,
                correlation_measure)
        train_acc, test_acc = dlib_compute_predictive_accuracy(
            np.transpose(reduced_mus_train), ys_train, np.transpose(reduced_mus_test),
            ys_test, predictor_model)
        key = size_string + ":reduced_factor_{}:mean_{}_accuracy_"
        scores[key.format(factor_of_interest, "train") + "reduced_factor"] = \
            train_acc[factor_of_interest]
        scores[key.format(factor_of_interest, "test") + "reduced_factor"] = \
            test_acc[factor_of_interest]
        reduced_train.append(train_acc[factor_of_interest])
        reduced_test.append(test_acc[factor_of_interest])
        local_train, local_test = [], []
        for i in range(len(train_acc)):
            scores[key.format(factor_of_interest, "train") + "factor_{}".format(i)] = train_acc[i]
            scores[key.format(factor_of_interest, "test") + "factor_{}".format(i)] = test_acc[i]
            if i != factor_of_interest:
                local_train.append(train_acc[i])
                local_test.append(test_acc[i])
        scores[key.format(factor_of_interest, "train") + "non_reduced_factor"] = \
            np.mean(local_train)
        scores[key.format(factor_of_interest, "test") + "non_reduced_factor"] = \
            np.mean(local_test)
        other_train.append(np.mean(local_train))
        other_test.append(np.mean(local_test))
    scores[size_string + ":mean_train_accuracy_reduced_factor"] = np.mean(reduced_train)
    scores[size_string + ":mean_test_accuracy_reduced_factor"] = np.mean(reduced_test)
    scores[size_string + ":mean_train_accuracy_other_factors"] = np.mean(other_train)
    scores[size_string + ":mean_test_accuracy_other_factors"] = np.mean(other_test)
    return scores


def logistic():
    """A fast classifier for the tests (any sklearn factory is accepted)."""
    return LogisticRegression(max_iter=500)


def factorwise_dci(mus_train, ys_train, mus_test, ys_test):
    return dci.importance_matrix(mus_train.T, ys_train.T, mus_test.T, ys_test.T, n_jobs=1)[0]


# --------------------------------------------------------------------------------------

def _points(seed, count):
    codes, factors = utils.generate_batch_factor_code(DATA, mixed, count,
                                                      np.random.RandomState(seed), 16)
    return codes, factors


def mixed(observations):
    """Three codes that carry the factors, one of them twice, plus noise."""
    x = np.asarray(observations, dtype=np.float64)
    noise = np.random.RandomState(len(x)).normal(size=(len(x), 1))
    return np.concatenate([x, x[:, :1] + 0.5 * x[:, 1:2], noise], axis=1)


@pytest.mark.parametrize("remove", [1, 2])
def test_scores_equal_disentanglement_libs(remove):
    train, test = _points(0, 200), _points(1, 100)
    expected = dlib_scores(train[0].T, train[1].T, test[0].T, test[1].T, "200", remove,
                           factorwise_dci, logistic)
    ours = reduced_downstream.reduced_scores(*train, *test, remove, logistic, n_jobs=1)
    assert ours == pytest.approx(expected, abs=1e-12)
    assert len(ours) == 3 * (2 + 2 * 3 + 2) + 4


def test_removing_a_factors_only_code_removes_its_accuracy():
    scores = reduced_downstream.compute_reduced_downstream_task(
        DATA, identity, np.random.RandomState(0), num_train=(300,), num_test=200,
        predictor=logistic, n_jobs=1)
    assert scores["300:mean_test_accuracy_other_factors"] == 1.0
    assert scores["300:mean_test_accuracy_reduced_factor"] < 0.5  # about chance
    with pytest.raises(ValueError, match="removes 1 to 4 of the 5 codes"):
        reduced_downstream.reduced_scores(*_points(0, 50), *_points(1, 50), 5)


def test_the_array_api_scores_given_codes_as_the_sampler():
    data_scores = reduced_downstream.compute_reduced_downstream_task(
        DATA, mixed, np.random.RandomState(4), num_train=(120,), num_test=60,
        predictor=logistic, n_jobs=1)
    train, test = utils.train_and_test_codes(DATA, mixed, 120, 60, np.random.RandomState(4),
                                             16)
    codes, factors = (np.concatenate(a) for a in zip(train, test))
    settings = dict(num_train=(120,), num_test=60, predictor=logistic, n_jobs=1)
    from tfdisent import metrics
    got = metrics.score(codes, factors, "reduced_downstream_task",
                        reduced_downstream_task=settings)["reduced_downstream_task"]
    assert got == pytest.approx(data_scores)
    assert "reduced_downstream_task" in api.FIXED_SAMPLE_METRICS
