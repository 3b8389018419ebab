"""Fairness of classifiers on a representation (Locatello et al., NeurIPS
2019, "On the Fairness of Disentangled Representations"; disentanglement_lib's
evaluation/metrics/fairness.py, gin name `fairness`).

One classifier per target factor i is trained on `num_train` codes. For each
sensitive factor j ≠ i, `num_test_points_per_class` factor rows are drawn
once; for every value c of j the rows are set to j = c, rendered, coded and
classified. The unfairness of (i, j) is the total variation between the
distribution of predictions of i under each intervention j = c and their
pooled distribution: its mean over c (weighted by the points per value,
all equal) and its maximum. The keys aggregate the [F, F] matrices over
targets and sensitive factors as disentanglement_lib does; its headline
score is `mean_fairness:mean_pred:mean_sens`.

Deviations: the total variations are computed in float64 (disentanglement_lib:
float32; the values agree to 1e-6, tested), and the boosted trees are
seeded (`gradient_boosting_classifier`, as DCI's), so a seed gives the same
scores. No TensorFlow here.
"""

import numpy as np

from tfdisent.metrics import utils


def inter_group_fairness(counts):
    """(mean, max) over the sensitive values c (columns) of the total variation
    between the predictions' distribution given c and the pooled one;
    `counts` [classes of the target, values of the sensitive factor]."""
    counts = np.asarray(counts, dtype=np.float64)
    pooled = counts.sum(axis=1) / counts.sum()
    per_value = counts.sum(axis=0)
    distances = np.abs(counts / per_value - pooled[:, None]).sum(axis=0) / 2
    return float((distances * per_value).sum() / per_value.sum()), float(distances.max())


def scores_dict(matrix, prefix):
    """disentanglement_lib's keys of an [F, F] (target, sensitive) matrix:
    each off-diagonal entry, each target's and each sensitive factor's mean
    and max, and the eight means and maxima of those."""
    matrix = np.asarray(matrix, dtype=np.float64)
    count = matrix.shape[0]
    off = ~np.eye(count, dtype=bool)
    result = {"%s:pred%d:sens%d" % (prefix, i, j): float(matrix[i, j])
              for i in range(count) for j in range(count) if i != j}
    rows = [matrix[i][off[i]] for i in range(count)]
    columns = [matrix[:, j][off[:, j]] for j in range(count)]
    for name, parts, label in (("pred", rows, "sens"), ("sens", columns, "pred")):
        for k, values in enumerate(parts):
            result["%s:%s%d:mean_%s" % (prefix, name, k, label)] = float(values.mean())
            result["%s:%s%d:max_%s" % (prefix, name, k, label)] = float(values.max())
    row_means, row_maxs = [r.mean() for r in rows], [r.max() for r in rows]
    column_means, column_maxs = [c.mean() for c in columns], [c.max() for c in columns]
    for outer, inner, means, maxs in (("sens", "pred", column_means, column_maxs),
                                      ("pred", "sens", row_means, row_maxs)):
        result["%s:mean_%s:mean_%s" % (prefix, outer, inner)] = float(np.mean(means))
        result["%s:mean_%s:max_%s" % (prefix, outer, inner)] = float(np.mean(maxs))
        result["%s:max_%s:mean_%s" % (prefix, outer, inner)] = float(np.max(means))
        result["%s:max_%s:max_%s" % (prefix, outer, inner)] = float(np.max(maxs))
    return result


def compute_fairness(ground_truth_data, representation_function, random_state, *,
                     num_train=10000, num_test_points_per_class=100, batch_size=16,
                     predictor="gradient_boosting_classifier", n_jobs=None):
    """The fairness scores (defaults: disentanglement_lib's fairness study,
    `fairness_study_v1/metric_configs/fairness.gin`).

    Draws as disentanglement_lib: the training codes first, then per target
    i and sensitive j the test rows and each intervention's observations. The
    F classifiers are fitted first, in parallel (`n_jobs`), which draws
    nothing."""
    make_model = utils.make_predictor(predictor)
    sizes = ground_truth_data.factors_num_values
    codes, factors = utils.generate_batch_factor_code(
        ground_truth_data, representation_function, num_train, random_state, batch_size)
    models = utils.parallel_map(_fit, [(make_model, codes, factors[:, i])
                                       for i in range(len(sizes))], n_jobs)
    mean_fairness = np.zeros((len(sizes), len(sizes)))
    max_fairness = np.zeros((len(sizes), len(sizes)))
    for i, model in enumerate(models):
        for j in range(len(sizes)):
            if i == j:
                continue
            rows = ground_truth_data.sample_factors(num_test_points_per_class, random_state)
            counts = np.zeros((sizes[i], sizes[j]), dtype=np.int64)
            for value in range(sizes[j]):
                rows[:, j] = value
                observations = ground_truth_data.sample_observations_from_factors(
                    rows, random_state)
                predictions = model.predict(utils.encode(observations,
                                                         representation_function))
                counts[:, value] = np.bincount(predictions, minlength=sizes[i])
            mean_fairness[i, j], max_fairness[i, j] = inter_group_fairness(counts)
    scores = scores_dict(mean_fairness, "mean_fairness")
    scores.update(scores_dict(max_fairness, "max_fairness"))
    return scores


def _fit(make_model, codes, labels):
    return make_model().fit(codes, labels)
