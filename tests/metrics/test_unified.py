"""Unified scores (tfdisent.metrics.unified) against literal numpy ports of
disentanglement_lib's evaluation/metrics/unified_scores.py,
visualize/visualize_scores.py (precision, bfs) and visualize/dendrogram.py
(_find, _union, report_merges), and its unified_scores_test ranges."""

import numpy as np
import pytest

from tfdisent.metrics import unified


# -- literal ports -------------------------------------------------------------
def bfs(matrix, to_visit, factors, codes, size):
    """visualize_scores.py::bfs"""
    (current_node, flag) = to_visit.pop()
    if flag == 0:
        factors[current_node] = 1
        for i in range(len(matrix[current_node, :])):
            if matrix[current_node, i] != 0:
                if codes[i] == 0:
                    to_visit.append((i, 1))
                    size += 1
                    factors, codes, size = bfs(matrix, to_visit, factors, codes, size)
    else:
        codes[current_node] = 1
        for i in range(len(matrix[:, current_node])):
            if matrix[i, current_node] != 0:
                if factors[i] == 0:
                    to_visit.append((i, 0))
                    size += 1
                    factors, codes, size = bfs(matrix, to_visit, factors, codes, size)
    return factors, codes, size


def precision(matrix, th):
    """visualize_scores.py::precision"""
    tmp = matrix.copy()
    tmp[tmp < th] = 0
    factors = np.zeros(tmp.shape[0])
    codes = np.zeros(tmp.shape[1])
    cc = 0
    for i in range(len(factors)):
        if factors[i] == 0:
            to_visit = [(i, 0)]
            factors, codes, size = bfs(tmp, to_visit, factors, codes, 1)
            if size > 1:
                cc += 1
    return cc


def pr_curves_values(matrix):
    """unified_scores.py::pr_curves_values"""
    scores = {}
    thresholds = np.sort(matrix.flatten())[::-1]
    precisions = [precision(matrix, x) for x in thresholds]
    area = 0.
    for i in range(len(precisions) - 1):
        area += (precisions[i] + precisions[i + 1]) * (thresholds[i] - thresholds[i + 1]) * 0.5
    scores["area_precision"] = area
    scores["max_precision"] = max(precisions)
    return scores


def _find(nodes, i):
    if nodes[i] != i:
        nodes[i] = _find(nodes, nodes[i])
    return nodes[i]


def _union(nodes, idx, idy, val, z, cluster_id, size, matrix, n_clusters, idx_found):
    """dendrogram.py::_union"""
    parent_idx = _find(nodes, idx)
    parent_idy = _find(nodes, idy)
    if parent_idx != parent_idy:
        if parent_idy > parent_idx:
            nodes[parent_idy] = parent_idx
        else:
            nodes[parent_idx] = parent_idy
        if parent_idx < matrix.shape[0] and parent_idy < matrix.shape[0]:
            cc_idx = cluster_id[parent_idx]
            cc_idy = cluster_id[parent_idy]
            n_clusters += 1
            size[n_clusters] = size[cc_idx] + size[cc_idy]
            z[idx_found, :] = [cc_idx, cc_idy, val, size[n_clusters]]
            idx_found += 1
            cluster_id[parent_idy] = n_clusters
            cluster_id[parent_idx] = n_clusters
    return z, cluster_id, size, n_clusters, idx_found


def report_merges(z, num_factors):
    """dendrogram.py::report_merges"""
    scores = {}
    id_to_node_list = {}
    n_clusters = num_factors - 1
    for i in range(num_factors):
        id_to_node_list[i] = [i, ]
    for i in range(z.shape[0]):
        cluster_id_1 = z[i, 0]
        cluster_id_2 = z[i, 1]
        threshold_id = z[i, 2]
        list_nodes_1 = id_to_node_list[cluster_id_1]
        list_nodes_2 = id_to_node_list[cluster_id_2]
        for node_1 in list_nodes_1:
            for node_2 in list_nodes_2:
                scores["merge_{}_{}".format(node_1, node_2)] = threshold_id
        del id_to_node_list[cluster_id_1]
        del id_to_node_list[cluster_id_2]
        n_clusters += 1
        id_to_node_list[n_clusters] = list_nodes_1 + list_nodes_2
    return scores


def dendrogram_merges(matrix):
    """dendrogram.py::dendrogram_plot up to its report_merges (no plot);
    `matrix` [num_factors, num_codes]."""
    # pd.melt(pd.DataFrame(matrix).reset_index(), id_vars="index").to_numpy():
    # rows (index, variable, value), the variables (columns) outermost.
    tmp = np.array([[i, j, matrix[i, j]] for j in range(matrix.shape[1])
                    for i in range(matrix.shape[0])], dtype=object)
    tmp = tmp[tmp[:, -1].argsort()[::-1]]
    tmp[:, 1] += matrix.shape[0]
    size = {}
    cluster_id = {}
    for i in range(matrix.shape[0]):
        size[i] = 1
        cluster_id[i] = i
    z = np.zeros([matrix.shape[0] - 1, 4])
    n_clusters = matrix.shape[0] - 1
    nodes = list(range(matrix.shape[0] + matrix.shape[1]))
    idx_found = 0
    for id_i, i in enumerate(tmp):
        z, cluster_id, size, n_clusters, idx_found = _union(
            nodes, int(i[0]), int(i[1]), id_i, z, cluster_id, size, matrix, n_clusters,
            idx_found)
    return report_merges(z, matrix.shape[0])


def compute_modularity_per_code(mutual_information):
    """unified_scores.py::compute_modularity_per_code"""
    squared_mi = np.square(mutual_information)
    max_squared_mi = np.max(squared_mi, axis=1)
    numerator = np.sum(squared_mi, axis=1) - max_squared_mi
    denominator = max_squared_mi * (squared_mi.shape[1] - 1.)
    delta = numerator / denominator
    modularity_score = 1. - delta
    index = (max_squared_mi == 0.)
    modularity_score[index] = 0.
    return modularity_score


def sap_compute_diff_top_two(matrix):
    sorted_matrix = np.sort(matrix, axis=0)
    return sorted_matrix[-1, :] - sorted_matrix[-2, :]


# -- tests -------------------------------------------------------------------
def random_matrix(seed, codes=7, factors=4):
    return np.random.RandomState(seed).uniform(size=(codes, factors))


@pytest.mark.parametrize("seed", range(4))
def test_precision_values_equal_the_port(seed):
    matrix = random_matrix(seed)
    matrix[matrix < 0.3] = 0.0  # some missing edges
    for threshold in np.sort(matrix.ravel()):
        assert unified.precision(matrix, threshold) == precision(matrix, threshold)
    got, want = unified.pr_values(matrix), pr_curves_values(matrix)
    assert got["max_precision"] == want["max_precision"]
    assert got["area_precision"] == pytest.approx(want["area_precision"], rel=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_merges_equal_the_dendrogram_port(seed):
    matrix = random_matrix(seed, codes=6, factors=5)
    assert unified.merges(matrix) == dendrogram_merges(matrix.T.copy())


def test_aggregations_equal_the_port():
    matrix = random_matrix(9)
    factors = np.random.RandomState(1).randint(3, size=(200, 4))
    modularity = unified.aggregation_modularity(matrix, factors)
    np.testing.assert_allclose([modularity["modularity.code_%d" % i] for i in range(7)],
                               compute_modularity_per_code(matrix))
    sap = unified.aggregation_sap(matrix, factors)
    np.testing.assert_allclose([sap["sap.factor_%d" % j] for j in range(4)],
                               sap_compute_diff_top_two(matrix))
    assert sap["sap"] == pytest.approx(np.mean(sap_compute_diff_top_two(matrix)))
    mig = unified.aggregation_mig(matrix, factors)
    entropy = np.array([-(np.bincount(f) / 200 * np.log(np.bincount(f) / 200)).sum()
                        for f in factors.T])
    top = np.sort(matrix, axis=0)[::-1]
    np.testing.assert_allclose([mig["mig.factor_%d" % j] for j in range(4)],
                               (top[0] - top[1]) / entropy)
    dci = unified.aggregation_dci(matrix, factors)
    assert dci["dci"] == dci["dci_disentanglement"]
    assert len([k for k in dci if k.startswith("dci_completeness.code_")]) == 4


def identity_sample(seed, num=600, duplicated=False):
    """Codes equal to the factors (or each twice) with 5 values per factor."""
    rs = np.random.RandomState(seed)
    factors = rs.randint(5, size=(num, 3))
    codes = factors.astype(np.float64) + rs.uniform(-0.1, 0.1, size=factors.shape)
    return (np.concatenate([codes, codes], 1) if duplicated else codes), factors


def test_identity_and_duplicated_codes_score_as_the_reference_test():
    """disentanglement_lib's unified_scores_test: identity codes give MIG and
    modularity of the MI matrix and GBT DCI in [0.9, 1]; duplicated codes
    give MIG and SVM-SAP in [0, 0.2] and modularity, DCI in [0.9, 1]."""
    scores = unified.unified_scores(*identity_sample(0), *identity_sample(1))
    assert 0.9 <= scores["mutual_information_matrix.mig"] <= 1.0
    assert 0.9 <= scores["mutual_information_matrix.modularity"] <= 1.0
    assert 0.9 <= scores["importance_gbt_matrix.dci_disentanglement"] <= 1.0
    assert scores["importance_gbt_matrix.max_precision"] == 3
    duplicated = unified.unified_scores(*identity_sample(0, duplicated=True),
                                        *identity_sample(1, duplicated=True))
    assert 0.0 <= duplicated["mutual_information_matrix.mig"] <= 0.2
    assert 0.9 <= duplicated["mutual_information_matrix.modularity"] <= 1.0
    assert 0.9 <= duplicated["importance_gbt_matrix.dci_disentanglement"] <= 1.0
    assert 0.0 <= duplicated["accuracy_svm_matrix.sap"] <= 0.2


def test_constant_codes_score_zero():
    codes, factors = identity_sample(2)
    constant = np.zeros_like(codes)
    scores = unified.unified_scores(constant, factors, constant, factors,
                                    matrices=["mutual_information_matrix"])
    assert scores["mutual_information_matrix.mig"] == 0.0
    assert scores["mutual_information_matrix.modularity"] == 0.0
    assert scores["mutual_information_matrix.max_precision"] == 0.0


def test_pictures_are_written(tmp_path):
    codes, factors = identity_sample(3)
    unified.unified_scores(codes, factors, codes, factors,
                           matrices=["mutual_information_matrix"],
                           artifact_dir=str(tmp_path), factor_names=["a", "b", "c"])
    for suffix in ("", "_pr", "_dendrogram"):
        path = tmp_path / ("mutual_information_matrix%s.png" % suffix)
        assert path.stat().st_size > 1000, path


def test_an_unknown_matrix_is_one_line():
    codes, factors = identity_sample(4)
    with pytest.raises(ValueError, match="unknown matrices \\['svm'\\]"):
        unified.unified_scores(codes, factors, codes, factors, matrices=["svm"])
