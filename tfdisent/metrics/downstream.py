"""Downstream-task accuracy (disentanglement_lib's `downstream_task`): for each
training size n, one classifier per factor on all codes, trained on n sampled
points and tested on `num_test` fresh points."""

import numpy as np

from tfdisent.metrics import utils


def downstream_accuracies(codes_train, factors_train, codes_test, factors_test,
                          predictor="logistic_regression_cv", n_jobs=1):
    """Pure core: per-factor (train, test) accuracies, each [F]."""
    codes_train, factors_train = utils.check_codes_factors(codes_train,
                                                           factors_train)
    codes_test, factors_test = utils.check_codes_factors(codes_test,
                                                         factors_test)
    models = utils.fit_per_factor(utils.make_predictor(predictor), codes_train,
                                  factors_train, n_jobs)
    return (utils.accuracy_per_factor(models, codes_train, factors_train),
            utils.accuracy_per_factor(models, codes_test, factors_test))


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
                            predictor="logistic_regression_cv", n_jobs=1):
    """Downstream accuracies for every size in `num_train`.

    Args:
      predictor: "logistic_regression_cv" or "gradient_boosting_classifier"
        (the study's two configurations), or a factory of sklearn classifiers.
      n_jobs: factors fitted in parallel threads (same result).

    Returns:
      {"<n>:mean_train_accuracy", "<n>:mean_test_accuracy",
      "<n>:min_train_accuracy", "<n>:min_test_accuracy",
      "<n>:train_accuracy_factor_<j>", "<n>:test_accuracy_factor_<j>"}.
    """
    utils.make_predictor(predictor)  # fail on a bad name before sampling
    scores = {}
    for size in num_train:
        train = utils.generate_batch_factor_code(
                ground_truth_data, representation_function, size, random_state,
                batch_size)
        test = utils.generate_batch_factor_code(
                ground_truth_data, representation_function, num_test,
                random_state, batch_size)
        scores.update(accuracy_scores(
                size, *downstream_accuracies(*train, *test, predictor, n_jobs)))
    return scores
