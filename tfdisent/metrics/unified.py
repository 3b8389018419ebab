"""Unified scores (disentanglement_lib's evaluation/metrics/unified_scores.py,
gin name `unified_scores`): DCI, MIG, SAP and modularity as aggregations of
any matrix relating codes and factors.

Each matrix [K codes, F factors] — DCI's boosted-tree importances, the
discrete mutual information of MIG and modularity, SAP's per-code SVM
accuracies — is aggregated in all four ways, and the precision curve over
thresholds is summarised: at threshold t, the "precision" is the number of
connected components, with at least one code and one factor, of the
bipartite graph whose edges are the entries >= t; `area_precision` is its
trapezoid area over the matrix's sorted entries, `max_precision` its
maximum. `merge_{a}_{b}` is the index (in that descending order of entries)
of the edge at which the components of factors a and b first join, as
disentanglement_lib's dendrogram reports. Keys: "<matrix>.<key>" with
disentanglement_lib's names. With `artifact_dir`, PNG pictures of each
matrix, its precision and recall curves and its dendrogram go there.

No TensorFlow here.
"""

import os

import numpy as np
from scipy.sparse import csgraph

from tfdisent.metrics import dci, mig, modularity_explicitness, sap, utils


def importance_gbt_matrix(codes_train, factors_train, codes_test, factors_test, n_jobs=None):
    """DCI's importance matrix (boosted trees)."""
    return dci.importance_matrix(codes_train, factors_train, codes_test, factors_test,
                                 "gbt", n_jobs)[0]


def mutual_information_matrix(codes_train, factors_train, codes_test, factors_test,
                              n_jobs=None):
    """MIG's and modularity's discrete MI (20 histogram bins, training points)."""
    return utils.discrete_mutual_info(utils.histogram_discretize(codes_train), factors_train)


def accuracy_svm_matrix(codes_train, factors_train, codes_test, factors_test, n_jobs=None):
    """SAP's test accuracy of an SVM per (code, factor)."""
    return sap.discrete_score_matrix(codes_train, factors_train, codes_test, factors_test,
                                     n_jobs)


MATRICES = {"importance_gbt_matrix": importance_gbt_matrix,
            "mutual_information_matrix": mutual_information_matrix,
            "accuracy_svm_matrix": accuracy_svm_matrix}


# -- aggregations of a matrix [K, F] ----------------------------------------
def aggregation_dci(matrix, factors_train):
    disentanglement = dci.disentanglement(matrix)
    scores = {"dci_disentanglement": disentanglement,
              "dci_completeness": dci.completeness(matrix),
              "dci": disentanglement}
    scores.update(("dci_disentanglement.code_%d" % i, float(v))
                  for i, v in enumerate(dci.disentanglement_per_code(matrix)))
    # disentanglement_lib names the per-factor completeness "code_<factor>".
    scores.update(("dci_completeness.code_%d" % j, float(v))
                  for j, v in enumerate(dci.completeness_per_factor(matrix)))
    return scores


def aggregation_mig(matrix, factors_train):
    """Per factor (largest - second largest entry) / H(factor), H from the
    training factors; a constant factor gives inf or nan, as the reference."""
    per_factor = mig.gap_per_factor(np.asarray(matrix, np.float64),
                                    utils.discrete_entropy(factors_train))
    scores = {"mig": float(np.mean(per_factor))}
    scores.update(("mig.factor_%d" % j, float(v)) for j, v in enumerate(per_factor))
    return scores


def aggregation_sap(matrix, factors_train):
    scores = {"sap": sap.average_top_two_gap(matrix)}
    scores.update(("sap.factor_%d" % j, float(v))
                  for j, v in enumerate(sap.top_two_gap_per_factor(matrix)))
    return scores


def aggregation_modularity(matrix, factors_train):
    scores = {"modularity": modularity_explicitness.modularity(matrix)}
    scores.update(("modularity.code_%d" % i, float(v))
                  for i, v in enumerate(modularity_explicitness.modularity_per_code(matrix)))
    return scores


AGGREGATIONS = (aggregation_dci, aggregation_mig, aggregation_sap, aggregation_modularity)


# -- precision curve and merges ----------------------------------------------
def precision(matrix, threshold):
    """Connected components with at least one code and one factor, among
    the edges of `matrix` [K, F] that are nonzero and >= `threshold`."""
    matrix = np.asarray(matrix)
    num_codes, num_factors = matrix.shape
    edges = (matrix >= threshold) & (matrix != 0)
    adjacency = np.zeros((num_codes + num_factors,) * 2, bool)
    adjacency[:num_codes, num_codes:] = edges
    _, component = csgraph.connected_components(adjacency, directed=False)
    linked = component[:num_codes][edges.any(axis=1)]
    return len(np.unique(linked))


def recall(matrix, threshold):
    """Codes (rows) with an entry >= `threshold`, as the reference's recall."""
    matrix = np.where(np.asarray(matrix) < threshold, 0, matrix)
    return int(np.sum(matrix.sum(axis=1) != 0))


def pr_values(matrix):
    """{"area_precision", "max_precision"} over the entries as thresholds."""
    thresholds = np.sort(np.asarray(matrix).ravel())[::-1]
    precisions = np.array([precision(matrix, t) for t in thresholds], np.float64)
    area = np.sum((precisions[:-1] + precisions[1:]) * (thresholds[:-1] - thresholds[1:]) * 0.5)
    return {"area_precision": float(area), "max_precision": float(precisions.max())}


def merge_events(matrix):
    """[(cluster of the edge's factor, cluster of its code's tree, edge
    index, new size)] as the components of factors join when the entries of
    `matrix` [K, F] are added in descending order (union-find; clusters
    numbered as scipy's linkage: factors 0..F-1, then F, F+1, ... per merge;
    ties in the order are broken by position, the reference's by its sort)."""
    relation = np.asarray(matrix).T  # [F, K]: factors first, as the reference
    num_factors = relation.shape[0]
    order = np.argsort(-relation.ravel(), kind="stable")
    parent = list(range(num_factors + relation.shape[1]))
    cluster = {f: f for f in range(num_factors)}
    size = {f: 1 for f in range(num_factors)}
    events = []

    def root(node):
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node
    for index, flat in enumerate(order):
        first, second = root(flat // relation.shape[1]), root(
                num_factors + flat % relation.shape[1])
        if first == second:
            continue
        low, high = min(first, second), max(first, second)
        parent[high] = low
        if high < num_factors:  # two trees rooted at factors join
            new = num_factors + len(events)
            size[new] = size[cluster[first]] + size[cluster[second]]
            events.append((cluster[first], cluster[second], index, size[new]))
            cluster[low] = cluster[high] = new
    return events


def merges(matrix):
    """{"merge_<a>_<b>": edge index at which factors a and b join}."""
    num_factors = np.asarray(matrix).shape[1]
    members = {f: [f] for f in range(num_factors)}
    scores = {}
    for number, (first, second, index, _) in enumerate(merge_events(matrix)):
        for a in members[first]:
            for b in members[second]:
                scores["merge_%d_%d" % (a, b)] = index
        members[num_factors + number] = members.pop(first) + members.pop(second)
    return scores


def unified_scores(codes_train, factors_train, codes_test, factors_test,
                   matrices=tuple(MATRICES), n_jobs=None, artifact_dir=None,
                   factor_names=None):
    """The core on arrays: every aggregation, the precision values and the
    merges of each matrix in `matrices` (names of MATRICES)."""
    codes_train, factors_train = utils.check_codes_factors(codes_train, factors_train)
    codes_test, factors_test = utils.check_codes_factors(codes_test, factors_test)
    unknown = sorted(set(matrices) - set(MATRICES))
    if unknown:
        raise ValueError("unified_scores: unknown matrices %s; choose from %s"
                         % (unknown, ", ".join(MATRICES)))
    scores = {}
    for name in matrices:
        matrix = MATRICES[name](codes_train, factors_train, codes_test, factors_test, n_jobs)
        values = dict(merges(matrix))
        values.update(pr_values(matrix))
        for aggregation in AGGREGATIONS:
            values.update(aggregation(matrix, factors_train))
        scores.update(("%s.%s" % (name, key), value) for key, value in values.items())
        if artifact_dir is not None:
            save_pictures(matrix, name, artifact_dir, factor_names)
    return scores


def compute_unified_scores(ground_truth_data, representation_function, random_state, *,
                           num_train=10000, num_test=5000, matrices=tuple(MATRICES),
                           batch_size=16, artifact_dir=None, n_jobs=None):
    """The sampler: `num_train` then `num_test` points, drawn in
    disentanglement_lib's order (its num_train / num_test are required gin
    values; these defaults are its DCI's)."""
    train = utils.generate_batch_factor_code(ground_truth_data, representation_function,
                                             num_train, random_state, batch_size)
    test = utils.generate_batch_factor_code(ground_truth_data, representation_function,
                                            num_test, random_state, batch_size)
    return unified_scores(*train, *test, matrices=matrices, n_jobs=n_jobs,
                          artifact_dir=artifact_dir,
                          factor_names=getattr(ground_truth_data, "factor_names", None))


def save_pictures(matrix, name, directory, factor_names=None):
    """<name>.png (the matrix), <name>_pr.png (precision and recall against
    the threshold), <name>_dendrogram.png (the merges) in `directory`."""
    import matplotlib  # pylint: disable=import-outside-toplevel
    matplotlib.use("Agg")
    from matplotlib import pyplot as plt  # pylint: disable=import-outside-toplevel
    from scipy.cluster import hierarchy  # pylint: disable=import-outside-toplevel
    os.makedirs(directory, exist_ok=True)
    matrix = np.asarray(matrix, np.float64)
    names = list(factor_names or ["factor %d" % j for j in range(matrix.shape[1])])

    figure, axis = plt.subplots(figsize=(1 + 0.6 * matrix.shape[1], 1 + 0.4 * matrix.shape[0]))
    image = axis.imshow(matrix, cmap="Blues", aspect="auto")
    axis.set(xlabel="Factors of variation", ylabel="Latent codes", title=name,
             xticks=range(matrix.shape[1]), yticks=range(matrix.shape[0]))
    axis.set_xticklabels(names, rotation=45, ha="right")
    figure.colorbar(image)
    figure.savefig(os.path.join(directory, name + ".png"), bbox_inches="tight")

    thresholds = np.sort(matrix.ravel())[::-1]
    figure, axis = plt.subplots()
    axis.plot(thresholds, [precision(matrix, t) for t in thresholds], label="precision")
    axis.plot(thresholds, [recall(matrix, t) for t in thresholds], label="recall")
    axis.set(xlabel="Threshold", ylabel="Count", title=name)
    axis.legend()
    figure.savefig(os.path.join(directory, name + "_pr.png"), bbox_inches="tight")

    events = merge_events(matrix)
    if len(events) == matrix.shape[1] - 1 > 0:
        figure, axis = plt.subplots()
        hierarchy.dendrogram(np.array(events, np.float64), labels=names, orientation="right",
                             ax=axis, color_threshold=0)
        axis.set(xlabel="Edge index (descending entries)", title=name)
        figure.savefig(os.path.join(directory, name + "_dendrogram.png"), bbox_inches="tight")
    plt.close("all")
