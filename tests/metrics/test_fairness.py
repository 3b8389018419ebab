"""Fairness against a literal numpy port of disentanglement_lib's
evaluation/metrics/fairness.py (inter_group_fairness, compute_scores_dict),
its tests' known answers, and the property that a representation whose
prediction of a factor ignores another is fair."""

import numpy as np
import pytest

from metrics_fixtures import IdentityData, identity
from tfdisent.metrics import api, fairness, utils

DATA = IdentityData((3, 4, 5))


@pytest.fixture(autouse=True)
def empty_cache():
    utils.clear_sampling_cache()


# --- disentanglement_lib, evaluation/metrics/fairness.py, ported literally ------------

def dlib_inter_group_fairness(counts):
    overall_distribution = np.sum(counts, axis=1, dtype=np.float32)
    overall_distribution /= overall_distribution.sum()
    normalized_counts = np.array(counts, dtype=np.float32)
    counts_per_class = np.sum(counts, axis=0)
    normalized_counts /= np.expand_dims(counts_per_class, 0)
    differences = normalized_counts - np.expand_dims(overall_distribution, 1)
    total_variation_distances = np.sum(np.abs(differences), 0) / 2.
    mean = (total_variation_distances * counts_per_class)
    mean /= counts_per_class.sum()
    return np.sum(mean), np.amax(total_variation_distances)


def dlib_compute_scores_dict(metric, prefix):
    result = {}
    for i in range(metric.shape[0]):
        for j in range(metric.shape[1]):
            if i != j:
                result["{}:pred{}:sens{}".format(prefix, i, j)] = metric[i, j]
    rows_means, rows_maxs = [], []
    for i in range(metric.shape[0]):
        relevant_scores = [metric[i, j] for j in range(metric.shape[1]) if i != j]
        mean_score, max_score = np.mean(relevant_scores), np.amax(relevant_scores)
        result["{}:pred{}:mean_sens".format(prefix, i)] = mean_score
        result["{}:pred{}:max_sens".format(prefix, i)] = max_score
        rows_means.append(mean_score)
        rows_maxs.append(max_score)
    column_means, column_maxs = [], []
    for j in range(metric.shape[1]):
        relevant_scores = [metric[i, j] for i in range(metric.shape[0]) if i != j]
        mean_score, max_score = np.mean(relevant_scores), np.amax(relevant_scores)
        result["{}:sens{}:mean_pred".format(prefix, j)] = mean_score
        result["{}:sens{}:max_pred".format(prefix, j)] = max_score
        column_means.append(mean_score)
        column_maxs.append(max_score)
    result["{}:mean_sens:mean_pred".format(prefix)] = np.mean(column_means)
    result["{}:mean_sens:max_pred".format(prefix)] = np.mean(column_maxs)
    result["{}:max_sens:mean_pred".format(prefix)] = np.amax(column_means)
    result["{}:max_sens:max_pred".format(prefix)] = np.amax(column_maxs)
    result["{}:mean_pred:mean_sens".format(prefix)] = np.mean(rows_means)
    result["{}:mean_pred:max_sens".format(prefix)] = np.mean(rows_maxs)
    result["{}:max_pred:mean_sens".format(prefix)] = np.amax(rows_means)
    result["{}:max_pred:max_sens".format(prefix)] = np.amax(rows_maxs)
    return result


# --------------------------------------------------------------------------------------

def test_inter_group_fairness_known_answer_and_port():
    mean, maximum = fairness.inter_group_fairness([[0, 100], [100, 100]])
    assert mean == pytest.approx(2 / 9) and maximum == pytest.approx(1 / 3)
    rs = np.random.RandomState(0)
    for _ in range(20):
        counts = rs.randint(0, 50, size=(rs.randint(2, 6), rs.randint(2, 6)))
        counts[0] += 1  # every sensitive value has predictions
        np.testing.assert_allclose(fairness.inter_group_fairness(counts),
                                   dlib_inter_group_fairness(counts), rtol=1e-6)


def test_scores_dict_known_answer_and_port():
    matrix = np.array([[0, 2, 4], [4, 0, 8], [2, 10, 0]], dtype=float)
    ours = fairness.scores_dict(matrix, "test")
    assert ours == pytest.approx(dlib_compute_scores_dict(matrix, "test"))
    assert len(ours) == 26
    assert ours["test:mean_sens:max_pred"] == pytest.approx(22 / 3)
    assert ours["test:max_pred:max_sens"] == 10
    random = np.random.RandomState(1).uniform(size=(5, 5))
    assert fairness.scores_dict(random, "p") == pytest.approx(
        dlib_compute_scores_dict(random, "p"))


def test_an_identity_code_is_fair_and_an_entangled_one_is_not():
    fair = fairness.compute_fairness(DATA, identity, np.random.RandomState(0),
                                     num_train=600, num_test_points_per_class=50,
                                     predictor="logistic_regression_cv")
    assert fair["mean_fairness:mean_pred:mean_sens"] < 0.02
    assert len(fair) == 2 * (3 * 2 + 4 * 3 + 8)

    def mixed(observations):
        """Factor 0 appears only through its sum with factor 1."""
        codes = np.asarray(observations, dtype=np.float64)
        return np.stack([codes[:, 0] + codes[:, 1], codes[:, 2]], axis=1)
    unfair = fairness.compute_fairness(DATA, mixed, np.random.RandomState(0),
                                       num_train=600, num_test_points_per_class=50,
                                       predictor="logistic_regression_cv")
    assert unfair["mean_fairness:pred0:sens1"] > 0.3
    assert unfair["mean_fairness:pred2:sens0"] < 0.05  # factor 2 has its own code


def test_fairness_is_a_sampled_metric_of_the_array_api():
    assert "fairness" in api.METRICS and "fairness" in api.SAMPLED_METRICS
