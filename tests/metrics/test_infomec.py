"""InfoMEC: known answers of the research note, estimator equivalence, limits."""

import itertools

import numpy as np
import pytest
from sklearn.feature_selection import mutual_info_classif

from tfdisent.metrics import infomec

# Full factorial sources (4, 5, 3 values), 20 copies: distinct sources have
# exactly zero plug-in MI, so the NMI of a copied source is exactly 1.
SOURCES = np.tile(np.array(list(itertools.product(range(4), range(5), range(3)))),
                  (20, 1))
S0, S1, S2 = SOURCES.T
# The authors' standalone settings, under which the note ran these cases.
STANDALONE_DISCRETE = dict(discrete_latents=True, active_range_fraction=0.0,
                           infoe_encoding="one_hot")


@pytest.mark.parametrize("codes, infom, infoc, infoe", [
    # A: a permutation of the sources plus a dead code.
    (np.stack([S1, S0, S2, 0 * S0], 1), 1.0, 1.0, 0.999737),
    # B: an entangled pair, (0.75 - 1/3) / (2/3) = 0.625.
    (np.stack([5 * S0 + S1, S2], 1), 0.625, 1.0, 0.999195),
    # C: every source duplicated, (0.5 - 1/6) / (5/6) = 0.4.
    (np.stack([S0, S0, S1, S1, S2, S2], 1), 1.0, 0.4, 0.999821),
])
def test_known_answers_of_the_official_standalone_code(codes, infom, infoc, infoe):
    scores = infomec.infomec(codes.astype(float), SOURCES, **STANDALONE_DISCRETE)
    assert scores["infom"] == pytest.approx(infom, abs=1e-12)
    assert scores["infoc"] == pytest.approx(infoc, abs=1e-12)
    assert scores["infoe"] == pytest.approx(infoe, abs=1e-3)


def test_training_time_pruning_drops_the_narrow_code_of_case_b():
    # Ranges 19 and 2: 2 < 19 / 8, so only the entangled code stays active.
    scores = infomec.infomec(np.stack([5 * S0 + S1, S2], 1).astype(float), SOURCES,
                             discrete_latents=True)
    assert scores["num_active_dims"] == 1
    # Its NMI column is (1, 1, 0): purity 1/2, (1/2 - 1/3) / (2/3) = 0.25.
    assert scores["infom"] == pytest.approx(0.25, abs=1e-12)
    assert np.isnan(scores["infoc"])  # one active code: 0/0


def test_quantized_codes_use_values_as_classes():
    codebook = np.array([-0.5, -0.1, 0.3, 0.45, 0.5])
    codes = np.stack([codebook[S1], codebook[S0], codebook[S2]], 1)
    scores = infomec.infomec(codes, SOURCES, discrete_latents=True)
    np.testing.assert_allclose(scores["nmi_matrix"],
                               np.eye(3)[[1, 0, 2]].T, atol=1e-12)
    assert scores["infom"] == pytest.approx(1.0) and scores["infoc"] == pytest.approx(1.0)


def test_standardized_infoe_is_linear_in_the_code_value():
    entangled = np.stack([5 * S0 + S1, S2], 1).astype(float)
    # One-hot codes read S1 = code mod 5; a linear read-out of the value cannot.
    one_hot = infomec.info_explicitness(entangled, SOURCES, "one_hot")
    linear = infomec.info_explicitness(entangled, SOURCES, "standardize")
    assert one_hot > 0.99 and linear < 0.8
    identity = SOURCES.astype(float)
    assert infomec.info_explicitness(identity, SOURCES, "standardize") > 0.999


def test_infoe_of_a_constant_code_is_zero():
    assert infomec.info_explicitness(np.zeros((len(SOURCES), 2)), SOURCES) == \
        pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("labels", [S1, np.repeat([0, 1, 2], [900, 200, 100])])
def test_balanced_null_model_cross_entropy_is_log_num_classes(labels):
    # InfoE's H_null is taken as log K: what the intercept-only fit gives.
    fitted = infomec._logistic_cross_entropy(np.zeros((len(labels), 1)), labels, 100)
    assert fitted == pytest.approx(np.log(labels.max() + 1), abs=1e-9)


@pytest.mark.parametrize("n_neighbors", [3, 10])
def test_knn_estimator_matches_sklearn_mutual_info_classif(n_neighbors):
    rs = np.random.RandomState(0)
    labels = rs.randint(0, 6, size=800)
    labels[:1] = 9  # a singleton class, ignored by the estimator
    codes = np.stack([labels + 0.3 * rs.randn(800), rs.randn(800),
                      np.round(2 * rs.randn(800)),  # heavy ties
                      labels % 2 + 0.01 * rs.randn(800)], 1)
    expected = mutual_info_classif(codes, labels, n_neighbors=n_neighbors,
                                   random_state=np.random.RandomState(5))
    jittered = infomec.scale_and_jitter(codes, np.random.RandomState(5))
    actual = [infomec.continuous_discrete_mi(c, labels, n_neighbors) for c in jittered.T]
    np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-9)
    assert expected[0] > 1.0 and expected[1] < 0.05


def test_nmi_of_identity_and_constant_codes():
    codes = np.concatenate([SOURCES, np.zeros((len(SOURCES), 1))], 1).astype(float)
    nmi = infomec.nmi_matrix(codes, SOURCES, random_state=0)
    assert nmi.shape == (3, 4)
    assert np.all(np.diag(nmi) > 0.95)
    assert np.all(nmi[~np.eye(3, 4, dtype=bool)] < 0.05)
    binned = infomec.nmi_matrix(codes, SOURCES, histogram_bins=20)
    np.testing.assert_allclose(binned, np.eye(3, 4), atol=1e-12)


def test_constant_code_has_no_active_dims():
    scores = infomec.infomec(np.ones((len(SOURCES), 3)), SOURCES)
    assert scores["num_active_dims"] == 0
    assert np.isnan(scores["infom"]) and np.isnan(scores["infoc"])


def test_random_discrete_codes_score_low():
    codes = np.random.RandomState(0).randint(0, 10, size=(len(SOURCES), 6))
    scores = infomec.infomec(codes.astype(float), SOURCES, discrete_latents=True)
    assert scores["infoe"] < 0.05
    assert np.max(scores["nmi_matrix"]) < 0.05


def test_bad_infoe_encoding_is_rejected():
    with pytest.raises(ValueError, match="infoe_encoding"):
        infomec.info_explicitness(SOURCES.astype(float), SOURCES, "bogus")


class _Grid:
    """A factor grid whose 'observations' are the factors themselves."""
    num_factors = 3
    factors_num_values = [4, 5, 3]

    def sample(self, num, random_state):
        factors = np.stack([random_state.randint(n, size=num)
                            for n in self.factors_num_values], 1)
        return factors, factors.astype(np.float32)


def test_sampler_is_deterministic_and_scores_an_identity_code_near_one():
    def representation(x):
        return np.asarray(x)[:, [2, 0, 1]] * 0.5

    first = infomec.compute_infomec(_Grid(), representation,
                                    np.random.RandomState(1), num_points=600)
    second = infomec.compute_infomec(_Grid(), representation,
                                     np.random.RandomState(1), num_points=600)
    assert first["infom"] == second["infom"] and first["infoc"] == second["infoc"]
    assert first["infom"] > 0.95 and first["infoc"] > 0.95 and first["infoe"] > 0.99
    np.testing.assert_array_equal(np.argmax(first["nmi_matrix"], axis=1), [1, 2, 0])


# -- end to end on continuous codes against the official training-time code ----
def official_pairwise_mutual_information(latents, sources):
    """kylehkhsu/latent_quantization disentangle/metrics/mutual_information.py,
    compute_pairwise_mutual_information(continuous_latents=True,
    estimator='continuous-discrete', normalization='sources') (jnp -> np)."""
    from sklearn.metrics import mutual_info_score
    ret = np.zeros((latents.shape[1], sources.shape[1]))
    discrete = np.zeros_like(sources, dtype=np.int32)  # discretize_unique
    for i in range(sources.shape[1]):
        discrete[:, i] = np.unique(sources[:, i], return_inverse=True)[1]
    source_entropies = np.array([mutual_info_score(discrete[:, i], discrete[:, i])
                                 for i in range(sources.shape[1])])
    latent_ranges = np.max(latents, axis=0) - np.min(latents, axis=0)
    latent_mask = latent_ranges > np.max(latent_ranges) / 8
    for i in range(latents.shape[1]):
        for j in range(sources.shape[1]):
            ret[i, j] = mutual_info_classif(latents[:, i][:, None], discrete[:, j])[0]  # numpy 2
    ret /= source_entropies[None, :]
    return np.nan_to_num(ret, nan=0.), latent_mask


def official_mutual_information_ratio(pairwise, latent_mask, info_metric):
    """mutual_information.py, compute_mutual_information_ratio (jnp -> np)."""
    pairwise = pairwise * latent_mask[:, None]
    num_sources = pairwise.shape[1]
    num_active_latents = np.sum(latent_mask)
    with np.errstate(invalid="ignore"):
        if info_metric == "modularity":
            preferences = np.max(pairwise, axis=1) / np.sum(pairwise, axis=1)
            mask = np.isfinite(preferences)
            return (np.sum(preferences[mask]) / np.sum(mask) - 1 / num_sources) / (1 - 1 / num_sources)
        preferences = np.max(pairwise, axis=0) / np.sum(pairwise, axis=0)
        return (np.sum(preferences) / num_sources - 1 / num_active_latents) / (1 - 1 / num_active_latents)


def official_explicitness_classification(latents, sources):
    """disentangle/metrics/explicitness.py, explicitness_classification with
    process_latents (StandardScaler) and logistic_regression (sklearn 1.9
    spelling of LogisticRegression(penalty=None, multinomial, lbfgs));
    optax.softmax_cross_entropy_with_integer_labels -> -mean log p[y]."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import LabelEncoder, StandardScaler
    latents = StandardScaler().fit_transform(latents)

    def logistic_regression(X, y):
        model = LogisticRegression(C=np.inf, tol=1e-4, fit_intercept=True,
                                   class_weight="balanced", solver="lbfgs", max_iter=100)
        model.fit(X, y)
        logits = model.predict_log_proba(X)
        return np.mean(-logits[np.arange(len(y)), y])
    informations = []
    for i_source in range(sources.shape[1]):
        labels = LabelEncoder().fit_transform(sources[:, i_source])
        conditional = logistic_regression(latents, labels)
        marginal = logistic_regression(np.zeros_like(latents), labels)
        informations.append((marginal - conditional) / marginal)
    return np.mean(informations)


def test_continuous_codes_end_to_end_match_the_official_training_time_metrics():
    import warnings
    from sklearn.exceptions import ConvergenceWarning

    rs = np.random.RandomState(0)
    mixing = np.array([[1.0, 0.3, 0.0, 0.0], [0.0, 1.0, 0.5, 0.0], [0.2, 0.0, 1.0, 0.05]])
    codes = SOURCES @ mixing + 0.3 * rs.normal(size=(len(SOURCES), 4))
    codes[:, 3] *= 0.1  # range below 1/8 of the largest: pruned
    ours = infomec.infomec(codes, SOURCES, random_state=1, n_jobs=1)
    pairwise, mask = official_pairwise_mutual_information(codes, SOURCES)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        infoe = official_explicitness_classification(codes, SOURCES)
    np.testing.assert_allclose(ours["nmi_matrix"], pairwise.T, atol=1e-9)
    assert ours["num_active_dims"] == int(mask.sum()) == 3
    assert ours["infom"] == pytest.approx(official_mutual_information_ratio(pairwise, mask, "modularity"), abs=1e-9)
    assert ours["infoc"] == pytest.approx(official_mutual_information_ratio(pairwise, mask, "compactness"), abs=1e-9)
    assert ours["infoe"] == pytest.approx(infoe, abs=1e-6)
    assert 0.2 < ours["infom"] < 0.95 and 0.2 < ours["infoc"] < 0.95  # not a trivial case
