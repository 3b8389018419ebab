"""UDR: unsupervised model selection by agreement between models (Duan et al.,
ICLR 2020), as disentanglement_lib computes it (evaluation/udr/metrics/udr.py,
`compute_udr_sklearn`, gin name `udr_sklearn`).

Every model encodes the same observations. Its means are z-scored, and its
latents whose average KL to the prior is at most `kl_filter_threshold` are
zeroed. For every ordered pair of models (i, j) a correlation matrix
R[a, b] between latent a of model i and latent b of model j is formed: the
absolute weights of a Lasso (α = 0.1) that predicts model j's latents from
model i's, or the absolute Spearman correlations. With `filter_low_kl` the
rows and columns of low-KL latents are dropped, and the pair's score is the
relative strength

    UDR_ij = ½ [ mean_b max_a R_ab² / Σ_a R_ab  +  mean_a max_b R_ab² / Σ_b R_ab ]

(0/0 counted as 0). Model i's score is the median over j ≠ i of UDR_ji, the
pairs where model i is the one predicted.

Deviations (docs/metrics.md): disentanglement_lib zeroes the latents with KL
≤ 0.01 whatever `kl_filter_threshold` says (`replicate_official_zeroing =
True` does the same); a pair whose latents are all filtered out scores 0
(disentanglement_lib's max over an empty matrix raises). No TensorFlow here.
"""

import numpy as np
from scipy import stats

OFFICIAL_ZEROING_THRESHOLD = 0.01
LASSO_ALPHA = 0.1


def relative_strength(corr):
    """½ (mean over columns of max² / sum + mean over rows of max² / sum);
    0/0 counts as 0; an empty matrix scores 0."""
    corr = np.asarray(corr, dtype=np.float64)
    if corr.size == 0:
        return 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        columns = np.nan_to_num(corr.max(axis=0) ** 2 / corr.sum(axis=0))
        rows = np.nan_to_num(corr.max(axis=1) ** 2 / corr.sum(axis=1))
    return float((columns.mean() + rows.mean()) / 2)


def spearman_matrix(first, second):
    """|Spearman correlation| of every latent of `first` [N, A] with every
    latent of `second` [N, B]: [A, B]; NaN where a latent is constant."""
    ranked = [stats.rankdata(x, axis=0) for x in (first, second)]
    centred = [r - r.mean(axis=0) for r in ranked]
    norms = [np.sqrt((c ** 2).sum(axis=0)) for c in centred]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.abs(centred[0].T @ centred[1] / np.outer(*norms))


def lasso_matrix(first, second, random_state=None):
    """|weights| of a multi-output Lasso (α = 0.1) predicting `second`'s
    latents from `first`'s: [A, B], row a = latent a of `first`."""
    from sklearn import linear_model
    model = linear_model.Lasso(alpha=LASSO_ALPHA, random_state=random_state)
    model.fit(first, second)
    return np.abs(np.atleast_2d(model.coef_)).T


def gaussian_kl(mean, logvar):
    """Average KL of each latent's posterior to N(0, 1) over the rows: [L]."""
    mean, logvar = np.asarray(mean), np.asarray(logvar)
    return np.mean(0.5 * (mean ** 2 + np.exp(logvar) - logvar - 1), axis=0)


CORRELATIONS = ("lasso", "spearman")


def udr_scores(means, kls, random_state, correlation_matrix="lasso", filter_low_kl=True,
               include_raw_correlations=False, kl_filter_threshold=0.01,
               replicate_official_zeroing=False):
    """UDR of M models from their means on shared observations.

    Args:
      means: M arrays [N, L_m] (the same N observations, in order).
      kls: M arrays [L_m], each latent's average KL to the prior.
      random_state: a numpy RandomState (the Lasso's, as disentanglement_lib).
      correlation_matrix: "lasso" or "spearman".

    Returns disentanglement_lib's keys: "model_scores" [M],
    "pairwise_disentanglement_scores" [M, M, 1] (UDR_ij, diagonal 0) and,
    with `include_raw_correlations`, "raw_correlations" [M, M, L_i, L_j]
    (before filtering).
    """
    if correlation_matrix not in CORRELATIONS:
        raise ValueError("udr correlation_matrix must be one of %s, got %r"
                         % (", ".join(CORRELATIONS), correlation_matrix))
    if len(means) < 2 or len(means) != len(kls):
        raise ValueError("UDR compares at least two models (means and KLs for each), "
                         "got %d and %d" % (len(means), len(kls)))
    if len({len(m) for m in means}) != 1:
        raise ValueError("UDR needs every model's codes of the same observations, got "
                         "%s rows" % sorted({len(m) for m in means}))
    zeroing = OFFICIAL_ZEROING_THRESHOLD if replicate_official_zeroing else kl_filter_threshold
    codes, masks = [], []
    for mean, kl in zip(means, kls):
        mean, kl = np.asarray(mean, np.float64), np.asarray(kl, np.float64)
        std = mean.std(axis=0)
        scaled = (mean - mean.mean(axis=0)) / np.where(std > 0, std, 1.0)
        codes.append(scaled * (kl > zeroing))
        masks.append(kl > kl_filter_threshold)
    count = len(codes)
    pairwise = np.zeros((count, count, 1))
    raw = [[None] * count for _ in range(count)]
    for i in range(count):
        for j in range(count):
            if i == j:
                raw[i][j] = np.zeros((codes[i].shape[1], codes[j].shape[1]))
                continue
            if correlation_matrix == "lasso":
                corr = lasso_matrix(codes[i], codes[j], random_state)
            else:
                corr = spearman_matrix(codes[i], codes[j])
            raw[i][j] = corr
            if filter_low_kl:
                corr = corr[masks[i]][:, masks[j]]
            pairwise[i, j, 0] = relative_strength(corr)
    scores = {"pairwise_disentanglement_scores": pairwise.tolist(),
              "model_scores": [float(np.median(np.delete(pairwise[:, i, 0], i)))
                               for i in range(count)]}
    if include_raw_correlations:
        scores["raw_correlations"] = [[r.tolist() for r in row] for row in raw]
    return scores


def compute_udr_sklearn(ground_truth_data, representation_functions, random_state,
                        batch_size=10, num_data_points=1000, correlation_matrix="lasso",
                        filter_low_kl=True, include_raw_correlations=True,
                        kl_filter_threshold=0.01, replicate_official_zeroing=False):
    """The sampler: draws `num_data_points` observations in batches of
    `batch_size` (shared by all models, as disentanglement_lib draws them) and
    scores them with `udr_scores`. Each representation function maps
    observations to (means [B, L], per-latent KL of the batch [L]); a
    model's KL is the mean of its batches'. dlib's defaults here are those
    of its test configs (it has no others)."""
    if batch_size < 1 or num_data_points < batch_size or num_data_points % batch_size:
        raise ValueError("udr: num_data_points (%d) must be a positive multiple of "
                         "batch_size (%d)" % (num_data_points, batch_size))
    means = [[] for _ in representation_functions]
    kls = [[] for _ in representation_functions]
    for _ in range(num_data_points // batch_size):
        observations = ground_truth_data.sample_observations(batch_size, random_state)
        for m, function in enumerate(representation_functions):
            mean, kl = function(observations)
            means[m].append(np.asarray(mean))
            kls[m].append(np.asarray(kl))
    return udr_scores([np.concatenate(m) for m in means], [np.mean(k, axis=0) for k in kls],
                      random_state, correlation_matrix, filter_low_kl,
                      include_raw_correlations, kl_filter_threshold,
                      replicate_official_zeroing)


def udr_from_codes(means, logvars, random_state=None, **settings):
    """UDR of models from any framework: `means` and `logvars`, one [N, L_m]
    array each per model, of the same N observations. Settings as
    `udr_scores`; the KLs are averaged over all N rows."""
    if len(means) != len(logvars):
        raise ValueError("udr_from_codes takes a logvar array per means array, got %d "
                         "and %d" % (len(means), len(logvars)))
    random_state = random_state if random_state is not None else np.random.RandomState(0)
    return udr_scores([np.asarray(m) for m in means],
                      [gaussian_kl(m, v) for m, v in zip(means, logvars)], random_state,
                      **settings)
