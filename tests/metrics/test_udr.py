"""UDR against a literal numpy port of disentanglement_lib's
evaluation/udr/metrics/udr.py, its unit tests' known answers, and the
deviation behind `replicate_official_zeroing`."""

import numpy as np
import pytest
import scipy.stats
from sklearn import linear_model, preprocessing

from tfdisent.metrics import udr


# --- disentanglement_lib, evaluation/udr/metrics/udr.py, ported literally -------------

def dlib_relative_strength_disentanglement(corr_matrix):
    score_x = np.nanmean(np.nan_to_num(
        np.power(np.ndarray.max(corr_matrix, axis=0), 2) / np.sum(corr_matrix, axis=0), 0))
    score_y = np.nanmean(np.nan_to_num(
        np.power(np.ndarray.max(corr_matrix, axis=1), 2) / np.sum(corr_matrix, axis=1), 0))
    return (score_x + score_y) / 2


def dlib_spearman_correlation_conv(vec1, vec2):
    assert vec1.shape == vec2.shape
    corr_y = []
    for i in range(vec1.shape[1]):
        corr_x = []
        for j in range(vec2.shape[1]):
            corr, _ = scipy.stats.spearmanr(vec1[:, i], vec2[:, j], nan_policy="omit")
            corr_x.append(corr)
        corr_y.append(np.stack(corr_x))
    return np.transpose(np.absolute(np.stack(corr_y, axis=1)))


def dlib_lasso_correlation_matrix(vec1, vec2, random_state=None):
    assert vec1.shape == vec2.shape
    model = linear_model.Lasso(random_state=random_state, alpha=0.1)
    model.fit(vec1, vec2)
    return np.transpose(np.absolute(model.coef_))


def dlib_compute_udr_core(inferred_model_reps, kl, random_state, correlation_matrix,
                          filter_low_kl, kl_filter_threshold):
    """compute_udr_sklearn after its sampling step (the representations and KLs given)."""
    num_models = len(inferred_model_reps)
    latent_dim = inferred_model_reps[0].shape[1]
    corr_matrix_all = np.zeros((num_models, num_models, latent_dim, latent_dim))
    kl_mask = []
    for i in range(len(inferred_model_reps)):
        scaler = preprocessing.StandardScaler()
        scaler.fit(inferred_model_reps[i])
        inferred_model_reps[i] = scaler.transform(inferred_model_reps[i])
        inferred_model_reps[i] = inferred_model_reps[i] * np.greater(kl[i], 0.01)
        kl_mask.append(kl[i] > kl_filter_threshold)
    disentanglement = np.zeros((num_models, num_models, 1))
    for i in range(num_models):
        for j in range(num_models):
            if i == j:
                continue
            if correlation_matrix == "lasso":
                corr_matrix = dlib_lasso_correlation_matrix(
                    inferred_model_reps[i], inferred_model_reps[j], random_state)
            else:
                corr_matrix = dlib_spearman_correlation_conv(
                    inferred_model_reps[i], inferred_model_reps[j])
            corr_matrix_all[i, j, :, :] = corr_matrix
            if filter_low_kl:
                corr_matrix = corr_matrix[kl_mask[i], ...][..., kl_mask[j]]
            disentanglement[i, j] = dlib_relative_strength_disentanglement(corr_matrix)
    scores_dict = {"raw_correlations": corr_matrix_all.tolist(),
                   "pairwise_disentanglement_scores": disentanglement.tolist()}
    scores_dict["model_scores"] = [np.median(np.delete(disentanglement[:, i], i))
                                   for i in range(num_models)]
    return scores_dict


# --------------------------------------------------------------------------------------

def _models(seed=0, n=300, latents=5, models=3):
    """Models that share 3 informative latents (permuted, scaled, noisy), a
    dead latent (KL 0.005) and a weak one (KL 0.03) that follows the first
    source."""
    rs = np.random.RandomState(seed)
    sources = rs.normal(size=(n, 3))
    means, kls = [], []
    for m in range(models):
        codes = rs.normal(size=(n, latents)) * 0.3
        order = rs.permutation(3)
        codes[:, :3] += sources[:, order] * rs.choice([-2.0, 1.0], size=3)
        codes[:, 4] += sources[:, 0]  # the weak latent carries a little
        means.append(codes)
        kls.append(np.array([1.2, 0.8, 2.0, 0.005, 0.03]))
    return means, kls


@pytest.mark.parametrize("correlation", ["lasso", "spearman"])
@pytest.mark.parametrize("filter_low_kl", [True, False])
def test_scores_equal_disentanglement_libs(correlation, filter_low_kl):
    means, kls = _models()
    expected = dlib_compute_udr_core([m.copy() for m in means], kls,
                                     np.random.RandomState(0), correlation, filter_low_kl,
                                     0.01)
    with np.errstate(divide="ignore", invalid="ignore"):
        ours = udr.udr_scores(means, kls, np.random.RandomState(0), correlation, filter_low_kl,
                              include_raw_correlations=True)
    np.testing.assert_allclose(ours["model_scores"], expected["model_scores"], rtol=1e-10)
    np.testing.assert_allclose(ours["pairwise_disentanglement_scores"],
                               expected["pairwise_disentanglement_scores"], rtol=1e-10)
    np.testing.assert_allclose(np.array(ours["raw_correlations"], dtype=float),
                               np.array(expected["raw_correlations"]), rtol=1e-9, atol=1e-12)


def test_the_zeroing_follows_the_threshold_unless_replicating_the_official_one():
    """dlib zeroes latents at KL 0.01 whatever kl_filter_threshold says: with a
    threshold of 0.05 its weak latent (KL 0.03) keeps its values."""
    means, kls = _models(seed=1)
    settings = dict(correlation_matrix="lasso", filter_low_kl=False,
                    kl_filter_threshold=0.05)
    with np.errstate(divide="ignore", invalid="ignore"):
        official = dlib_compute_udr_core([m.copy() for m in means], kls, None, "lasso",
                                         False, 0.05)
        replicated = udr.udr_scores(means, kls, None, replicate_official_zeroing=True,
                                    **settings)
        corrected = udr.udr_scores(means, kls, None, include_raw_correlations=True,
                                   **settings)
    np.testing.assert_allclose(replicated["model_scores"], official["model_scores"],
                               rtol=1e-10)
    raw = np.array(corrected["raw_correlations"][0][1], dtype=float)
    assert np.all(raw[3:, :] == 0) and np.all(raw[:, 3:] == 0)  # both low-KL latents zeroed
    assert np.array(official["raw_correlations"])[0, 1, :, 4].max() > 0.05
    assert not np.allclose(corrected["model_scores"], official["model_scores"])


def test_relative_strength_known_answers_of_dlibs_tests():
    assert udr.relative_strength(np.eye(3)) == pytest.approx(1.0)
    assert udr.relative_strength([[1, 1, 0], [1, 1, 0], [0, 0, 1]]) == pytest.approx(2 / 3)
    assert udr.relative_strength(np.ones((3, 3))) == pytest.approx(1 / 3)
    assert udr.relative_strength(np.zeros((3, 3))) == 0.0
    assert udr.relative_strength(np.zeros((0, 2))) == 0.0  # every latent filtered


def test_spearman_orientation_of_dlibs_test():
    rs = np.random.RandomState(0)
    first = rs.normal(size=(500, 3))
    second = first.copy()
    second[:, 1] = first[:, 0]
    np.testing.assert_allclose(udr.spearman_matrix(first, second),
                               [[1, 1, 0], [0, 0, 0], [0, 0, 1]], atol=0.1)


def test_a_permuted_sign_flipped_copy_agrees_and_dead_latents_are_filtered():
    rs = np.random.RandomState(2)
    codes = rs.normal(size=(1000, 10))
    copy = -codes[:, rs.permutation(10)]
    for correlation in udr.CORRELATIONS:
        scores = udr.udr_scores([codes, copy], [np.ones(10)] * 2, rs, correlation)
        assert all(0.8 <= s <= 1.0 for s in scores["model_scores"])
    informative = np.concatenate([codes[:, :1], rs.normal(size=(1000, 9))], axis=1)
    kl = np.array([1.0] + [0.0] * 9)
    filtered = udr.udr_scores([informative, informative * 2], [kl, kl], rs, "spearman")
    unfiltered = udr.udr_scores([informative, informative * 2], [kl, kl], rs, "spearman",
                                filter_low_kl=False)
    assert all(0.8 <= s <= 1.0 for s in filtered["model_scores"])
    assert all(0.0 <= s <= 0.2 for s in unfiltered["model_scores"])


def test_udr_from_codes_and_bad_input():
    means, _ = _models(models=2)
    logvars = [np.full_like(m, -1.0) for m in means]
    scores = udr.udr_from_codes(means, logvars)
    kl = udr.gaussian_kl(means[0], logvars[0])
    np.testing.assert_allclose(kl, np.mean(0.5 * (means[0] ** 2 + np.exp(-1.0) + 1.0 - 1),
                                           axis=0))
    assert len(scores["model_scores"]) == 2 and "raw_correlations" not in scores
    with pytest.raises(ValueError, match="at least two models"):
        udr.udr_scores(means[:1], [kl], None)
    with pytest.raises(ValueError, match="same observations"):
        udr.udr_scores([means[0], means[1][:10]], [kl, kl], None)
    with pytest.raises(ValueError, match="lasso, spearman"):
        udr.udr_scores(means, [kl, kl], None, correlation_matrix="pearson")
    with pytest.raises(ValueError, match="multiple of batch_size"):
        udr.compute_udr_sklearn(None, [], None, batch_size=7, num_data_points=100)
