"""Downstream-task accuracy (disentanglement_lib's `downstream_task`): for each
training size n, one classifier per factor on all codes, trained on n sampled
points and tested on `num_test` fresh points."""

import numpy as np

from tfdisent.metrics import utils


def downstream_accuracies(codes_train, factors_train, codes_test, factors_test,
                          predictor="logistic_regression_cv", n_jobs=None):
    """Pure core: per-factor (train, test) accuracies, each [F]."""
    return _accuracies_per_size([(codes_train, factors_train, codes_test,
                                  factors_test)], predictor, n_jobs)[0]


def _accuracies_per_size(samples, predictor, n_jobs):
    """`downstream_accuracies` of several (train, test) samples, every
    (sample, factor) fit in one parallel pass: [(train [F], test [F]), ...]."""
    make_model = utils.make_predictor(predictor)
    tasks, num_factors = [], []
    for codes_train, factors_train, codes_test, factors_test in samples:
        codes_train, factors_train = utils.check_codes_factors(codes_train,
                                                               factors_train)
        codes_test, factors_test = utils.check_codes_factors(codes_test,
                                                             factors_test)
        num_factors.append(factors_train.shape[1])
        tasks.extend((make_model, codes_train, factors_train[:, j], codes_test,
                      factors_test[:, j]) for j in range(factors_train.shape[1]))
    train, test, _ = utils.fit_and_score_tasks(tasks, n_jobs)
    bounds = np.cumsum(num_factors)[:-1]
    return list(zip(np.split(train, bounds), np.split(test, bounds)))


def accuracy_scores(size, train_accuracy, test_accuracy):
    """disentanglement_lib's keys for one training size."""
    scores = {"%d:mean_train_accuracy" % size: float(np.mean(train_accuracy)),
              "%d:mean_test_accuracy" % size: float(np.mean(test_accuracy)),
              "%d:min_train_accuracy" % size: float(np.min(train_accuracy)),
              "%d:min_test_accuracy" % size: float(np.min(test_accuracy))}
    for j, (train, test) in enumerate(zip(train_accuracy, test_accuracy)):
        scores["%d:train_accuracy_factor_%d" % (size, j)] = float(train)
        scores["%d:test_accuracy_factor_%d" % (size, j)] = float(test)
    return scores


def compute_downstream_task(ground_truth_data, representation_function,
                            random_state, *, num_train=(10, 100, 1000, 10000),
                            num_test=5000, batch_size=16,
                            predictor="logistic_regression_cv", n_jobs=None):
    """Downstream accuracies for every size in `num_train`.

    Args:
      predictor: "logistic_regression_cv" or "gradient_boosting_classifier"
        (the study's two configurations), or a factory of sklearn classifiers.
      n_jobs: worker processes for the fits of every (size, factor) pair;
        None: every core. The result does not depend on it.

    Returns:
      {"<n>:mean_train_accuracy", "<n>:mean_test_accuracy",
      "<n>:min_train_accuracy", "<n>:min_test_accuracy",
      "<n>:train_accuracy_factor_<j>", "<n>:test_accuracy_factor_<j>"}.
    """
    utils.make_predictor(predictor)  # fail on a bad name before sampling
    samples = []
    for size in num_train:  # drawn in disentanglement_lib's order
        train = utils.generate_batch_factor_code(
                ground_truth_data, representation_function, size, random_state,
                batch_size)
        test = utils.generate_batch_factor_code(
                ground_truth_data, representation_function, num_test,
                random_state, batch_size)
        samples.append((*train, *test))
    scores = {}
    for size, accuracies in zip(num_train, _accuracies_per_size(
            samples, predictor, n_jobs)):
        scores.update(accuracy_scores(size, *accuracies))
    return scores
