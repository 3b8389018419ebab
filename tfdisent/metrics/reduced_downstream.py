"""Reduced downstream task (disentanglement_lib's
evaluation/metrics/reduced_downstream_task.py, gin name
`reduced_downstream_task`): how much information about a factor leaks into
the other codes.

For each factor f, the code most important for f (DCI's boosted-tree
importance matrix, recomputed on the codes left) is removed,
`num_factors_to_remove` times; then one classifier per factor is trained
on the remaining codes. Keys, prefix "<n>:": per factor f,
`reduced_factor_<f>:mean_{train,test}_accuracy_reduced_factor` (factor f's
accuracy), `..._factor_<i>` (every factor's) and `..._non_reduced_factor`
(the mean over the others); and their means over f,
`mean_{train,test}_accuracy_reduced_factor` and
`mean_{train,test}_accuracy_other_factors`. No TensorFlow here.
"""

import numpy as np

from tfdisent.metrics import dci, utils


def reduce_codes(codes_train, factors_train, codes_test, factors_test, factor, count,
                 importance="gbt", n_jobs=None):
    """The codes without the `count` codes most important for `factor`, each
    chosen on the codes left (disentanglement_lib's
    `compute_reduced_representation` with `factorwise_dci`)."""
    for _ in range(count):
        matrix, _, _ = dci.importance_matrix(codes_train, factors_train, codes_test,
                                             factors_test, importance, n_jobs)
        drop = int(np.argmax(matrix[:, factor]))
        codes_train = np.delete(codes_train, drop, axis=1)
        codes_test = np.delete(codes_test, drop, axis=1)
    return codes_train, codes_test


def reduced_scores(codes_train, factors_train, codes_test, factors_test,
                   num_factors_to_remove=1, predictor="gradient_boosting_classifier",
                   size=None, n_jobs=None):
    """The core on arrays: the scores of one training size (`size`: the
    key prefix; default the number of training points)."""
    codes_train, factors_train = utils.check_codes_factors(codes_train, factors_train)
    codes_test, factors_test = utils.check_codes_factors(codes_test, factors_test)
    if not 0 < num_factors_to_remove < codes_train.shape[1]:
        raise ValueError("reduced_downstream_task removes 1 to %d of the %d codes, not %d"
                         % (codes_train.shape[1] - 1, codes_train.shape[1],
                            num_factors_to_remove))
    make_model = utils.make_predictor(predictor)
    prefix = "%d:" % (len(codes_train) if size is None else size)
    num_factors = factors_train.shape[1]
    scores, reduced, others = {}, {"train": [], "test": []}, {"train": [], "test": []}
    for factor in range(num_factors):
        kept_train, kept_test = reduce_codes(codes_train, factors_train, codes_test,
                                             factors_test, factor, num_factors_to_remove,
                                             n_jobs=n_jobs)
        train, test, _ = utils.fit_and_score_per_factor(make_model, kept_train, factors_train,
                                                        kept_test, factors_test, n_jobs=n_jobs)
        head = "%sreduced_factor_%d:mean_" % (prefix, factor)
        for split, accuracy in (("train", train), ("test", test)):
            rest = np.delete(accuracy, factor)
            scores[head + "%s_accuracy_reduced_factor" % split] = float(accuracy[factor])
            scores.update((head + "%s_accuracy_factor_%d" % (split, i), float(a))
                          for i, a in enumerate(accuracy))
            scores[head + "%s_accuracy_non_reduced_factor" % split] = float(rest.mean())
            reduced[split].append(accuracy[factor])
            others[split].append(rest.mean())
    for split in ("train", "test"):
        scores["%smean_%s_accuracy_reduced_factor" % (prefix, split)] = float(
            np.mean(reduced[split]))
        scores["%smean_%s_accuracy_other_factors" % (prefix, split)] = float(
            np.mean(others[split]))
    return scores


def compute_reduced_downstream_task(ground_truth_data, representation_function,
                                    random_state, *, num_factors_to_remove=1,
                                    num_train=(1000,), num_test=5000, batch_size=16,
                                    predictor="gradient_boosting_classifier", n_jobs=None):
    """The sampler: per size in `num_train`, `size` training and `num_test`
    test points, drawn in disentanglement_lib's order. The defaults are
    this package's (the reference's are required gin values; its test uses
    [100] / 100, one code removed)."""
    scores = {}
    for size in num_train:
        train = utils.generate_batch_factor_code(ground_truth_data, representation_function,
                                                 size, random_state, batch_size)
        test = utils.generate_batch_factor_code(ground_truth_data, representation_function,
                                                num_test, random_state, batch_size)
        scores.update(reduced_scores(*train, *test, num_factors_to_remove, predictor, size,
                                     n_jobs))
    return scores
