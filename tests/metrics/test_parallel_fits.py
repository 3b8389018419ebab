"""Per-factor fits in worker processes give exactly the sequential results."""

import numpy as np
import pytest

from metrics_fixtures import IdentityData
from tfdisent.metrics import dci, downstream, infomec, sap, utils


def noisy_codes(num, seed):
    """Codes that predict the factors imperfectly, so fits are not trivial."""
    random_state = np.random.RandomState(seed)
    factors = IdentityData((2, 3, 4)).sample_factors(num, random_state)
    mix = random_state.normal(size=(3, 5))
    codes = factors @ mix + random_state.normal(scale=1.5, size=(num, 5))
    return codes, factors


TRAIN, TEST = noisy_codes(120, 0), noisy_codes(60, 1)


@pytest.mark.parametrize("importance", ["gbt", "random_forest"])
def test_dci_parallel_equals_sequential(importance):
    sequential = dci._compute_dci(*TRAIN, *TEST, importance=importance, n_jobs=1)
    parallel = dci._compute_dci(*TRAIN, *TEST, importance=importance, n_jobs=2)
    assert parallel == sequential
    assert 0.0 < sequential["disentanglement"] < 1.0


@pytest.mark.parametrize("predictor", ["logistic_regression_cv",
                                       "gradient_boosting_classifier"])
def test_downstream_over_sizes_parallel_equals_sequential(predictor):
    data = IdentityData((2, 3, 4))

    def noisy(observations):
        return np.asarray(observations) @ np.array(
                [[1.0, 0.3], [0.2, 1.0], [0.5, -0.4]]) + np.sin(
                        7.0 * np.asarray(observations).sum(axis=1, keepdims=True))

    runs = [downstream.compute_downstream_task(
            data, noisy, np.random.RandomState(0), num_train=(20, 60),
            num_test=40, predictor=predictor, n_jobs=n_jobs)
            for n_jobs in (1, 2)]
    assert runs[0] == runs[1] and len(runs[0]) == 2 * (4 + 2 * 3)
    # The one-size core is the same computation.
    utils.clear_sampling_cache()
    state = np.random.RandomState(0)
    train = utils.generate_batch_factor_code(data, noisy, 20, state, 16)
    test = utils.generate_batch_factor_code(data, noisy, 40, state, 16)
    train_accuracy, test_accuracy = downstream.downstream_accuracies(
            *train, *test, predictor, n_jobs=1)
    assert runs[1]["20:mean_test_accuracy"] == float(np.mean(test_accuracy))
    assert runs[1]["20:train_accuracy_factor_2"] == float(train_accuracy[2])


def test_sap_parallel_equals_sequential():
    assert (sap._compute_sap(*TRAIN, *TEST, n_jobs=1)
            == sap._compute_sap(*TRAIN, *TEST, n_jobs=2))


def test_infomec_explicitness_parallel_equals_sequential():
    codes, factors = TRAIN
    assert (infomec.info_explicitness(codes, factors, n_jobs=1)
            == infomec.info_explicitness(codes, factors, n_jobs=2))


def test_parallel_map_keeps_item_order_whatever_the_costs():
    items = [(i,) for i in range(7)]
    assert utils.parallel_map(np.square, items, 2, costs=[1, 7, 3, 0, 5, 2, 2]) \
        == [np.square(i) for i in range(7)]


def test_unpicklable_work_runs_in_this_process():
    import threading
    lock = threading.Lock()
    assert utils.parallel_map(lambda x: (lock.locked(), 2 * x), [(1,), (2,)],
                              2) == [(False, 2), (False, 4)]


def test_gin_predictor_references_resolve_to_the_picklable_factories():
    import functools

    @functools.wraps(utils.logistic_regression_cv)
    def wrapper():  # as gin.external_configurable wraps it
        return utils.logistic_regression_cv()

    assert utils.make_predictor(wrapper) is utils.logistic_regression_cv
    own = lambda: None  # noqa: E731
    assert utils.make_predictor(own) is own


def test_worker_count_from_context_environment_and_cores(monkeypatch):
    monkeypatch.delenv(utils.WORKERS_ENV, raising=False)
    assert utils.default_num_workers() == utils.available_cores()
    monkeypatch.setenv(utils.WORKERS_ENV, "3")
    assert utils.default_num_workers() == 3
    with utils.num_workers(1):
        assert utils.default_num_workers() == 1
        with utils.num_workers(None):
            assert utils.default_num_workers() == 1
    assert utils.default_num_workers() == 3


@pytest.mark.parametrize("value", ["0", "two", "1.5", "-1"])
def test_bad_worker_count_is_one_clear_line(monkeypatch, value):
    monkeypatch.setenv(utils.WORKERS_ENV, value)
    with pytest.raises(ValueError, match="TFDISENT_NUM_WORKERS must be a "
                                         "positive integer"):
        utils.default_num_workers()
    with pytest.raises(ValueError, match="num_workers must be a positive"):
        with utils.num_workers(value):
            pass
