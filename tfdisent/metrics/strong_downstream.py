"""Strong downstream generalisation under covariate shift (disentanglement_lib's
evaluation/metrics/strong_downstream_task.py, gin name
`strong_downstream_task`).

For each training size n: one classifier per factor on n codes, tested on
`num_test` fresh ones (the plain downstream accuracies). Then, for each
target factor i and each of `n_experiment` repetitions, an intervention:
another factor j is drawn, the whole training set gets one value v of j and
the test set values of j other than v (drawn per row); the factors are
rendered and coded again and a classifier of i is trained and tested on
them. Keys, prefix "<n>:": mean_train_accuracy, mean_test_accuracy,
mean_strong_train_accuracy, mean_strong_test_accuracy and
strong_generalization_gap = 1 − strong test / test accuracy.

Deviation: the interventions draw from the run's random state, not numpy's
global generator (a seed then gives the same scores); the draws are the
reference's calls in its order (tested against a port of `intervene`). The
fits of each size run in one parallel pass. No TensorFlow here.
"""

import numpy as np

from tfdisent.metrics import utils


def intervene(factors_train, factors_test, target, factor_sizes, random_state):
    """Copies of the factors with one other factor j fixed to a value v in
    training and drawn from the other values in test; returns (train, test,
    j, v). The calls of disentanglement_lib's `intervene`, on `random_state`."""
    train, test = np.array(factors_train), np.array(factors_test)
    candidates = [j for j in range(len(factor_sizes)) if j != target]
    factor = random_state.choice(candidates)
    values = list(range(factor_sizes[factor]))
    value = random_state.choice(values)
    values.remove(value)
    train[:, factor] = value
    test[:, factor] = random_state.choice(values, size=test.shape[0])
    return train, test, factor, value


def compute_strong_downstream_task(ground_truth_data, representation_function,
                                   random_state, *, num_train=(1000,), num_test=1000,
                                   n_experiment=2,
                                   predictor="gradient_boosting_classifier", n_jobs=None):
    """The scores for every size in `num_train` (defaults: disentanglement_lib's
    test configuration; it ships no other)."""
    make_model = utils.make_predictor(predictor)
    sizes = ground_truth_data.factors_num_values

    def coded(factors):
        observations = ground_truth_data.sample_observations_from_factors(factors,
                                                                          random_state)
        return utils.encode(observations, representation_function)

    scores = {}
    for size in num_train:
        factors_train = ground_truth_data.sample_factors(size, random_state)
        factors_test = ground_truth_data.sample_factors(num_test, random_state)
        codes_train, codes_test = coded(factors_train), coded(factors_test)
        tasks = [(make_model, codes_train, factors_train[:, i], codes_test,
                  factors_test[:, i]) for i in range(len(sizes))]
        for i in range(len(sizes)):
            for _ in range(n_experiment):
                train, test, _, _ = intervene(factors_train, factors_test, i, sizes,
                                              random_state)
                tasks.append((make_model, coded(train), train[:, i], coded(test), test[:, i]))
        train_accuracy, test_accuracy, _ = utils.fit_and_score_tasks(tasks, n_jobs)
        plain, strong = slice(0, len(sizes)), slice(len(sizes), None)
        prefix = "%d:" % size
        scores[prefix + "mean_train_accuracy"] = float(np.mean(train_accuracy[plain]))
        scores[prefix + "mean_test_accuracy"] = float(np.mean(test_accuracy[plain]))
        scores[prefix + "mean_strong_train_accuracy"] = float(np.mean(train_accuracy[strong]))
        scores[prefix + "mean_strong_test_accuracy"] = float(np.mean(test_accuracy[strong]))
        scores[prefix + "strong_generalization_gap"] = 1.0 - (
            scores[prefix + "mean_strong_test_accuracy"] / scores[prefix + "mean_test_accuracy"])
    return scores
