"""Unsupervised scores of a representation (disentanglement_lib's
`unsupervised_metrics`): they use the codes only, not the factors.

With C the covariance (ddof=1) of the codes:
- gaussian_total_correlation = KL(N(0, C) || N(0, diag C))
  = 0.5 (sum_i log C_ii - log det C);
- gaussian_wasserstein_correlation = 2 tr C - 2 tr sqrt(diag(C) C), the
  squared 2-Wasserstein distance between N(0, C) and N(0, diag C);
- gaussian_wasserstein_correlation_norm = that / tr C;
- mutual_info_score = mean discrete MI between pairs of distinct
  histogram-discretised codes.
"""

import numpy as np

from tfdisent.metrics import utils


def gaussian_total_correlation(cov):
    """0.5 (sum log diag C - log det C) for a covariance matrix C."""
    cov = np.asarray(cov, np.float64)
    return float(0.5 * (np.sum(np.log(np.diag(cov)))
                        - np.linalg.slogdet(cov)[1]))


def gaussian_wasserstein_correlation(cov):
    """2 tr C - 2 tr sqrtm(C * diag(C)[:, None]).

    diag(C) C is similar to the symmetric PSD matrix S = D^1/2 C D^1/2
    (D = diag C), so the trace of its principal square root is the sum of the
    square roots of S's eigenvalues: computed that way it is real and stable
    (scipy.linalg.sqrtm, used by disentanglement_lib, gives the same value).
    """
    cov = np.asarray(cov, np.float64)
    scale = np.sqrt(np.diag(cov))
    eigenvalues = np.linalg.eigvalsh(cov * np.outer(scale, scale))
    return float(2.0 * np.trace(cov)
                 - 2.0 * np.sum(np.sqrt(np.clip(eigenvalues, 0.0, None))))


def mean_pairwise_mutual_info(codes, num_bins=utils.DEFAULT_NUM_BINS):
    """Mean discrete MI over ordered pairs of distinct discretised codes."""
    num_codes = codes.shape[1]
    if num_codes < 2:
        raise ValueError("pairwise mutual information needs at least 2 codes")
    discrete = utils.histogram_discretize(codes, num_bins)
    mutual_information = utils.discrete_mutual_info(discrete, discrete)
    np.fill_diagonal(mutual_information, 0.0)
    return float(np.sum(mutual_information) / (num_codes**2 - num_codes))


def _compute_unsupervised(codes, num_bins=utils.DEFAULT_NUM_BINS):
    """The four scores of codes [N, K]."""
    codes = np.asarray(codes)
    cov = np.cov(codes, rowvar=False)
    wasserstein = gaussian_wasserstein_correlation(cov)
    return {"gaussian_total_correlation": gaussian_total_correlation(cov),
            "gaussian_wasserstein_correlation": wasserstein,
            "gaussian_wasserstein_correlation_norm":
                    float(wasserstein / np.trace(cov)),
            "mutual_info_score": mean_pairwise_mutual_info(codes, num_bins)}


def compute_unsupervised_metrics(ground_truth_data, representation_function,
                                 random_state, *, num_train=10000,
                                 batch_size=16,
                                 num_bins=utils.DEFAULT_NUM_BINS):
    """Returns {"gaussian_total_correlation", "gaussian_wasserstein_correlation",
    "gaussian_wasserstein_correlation_norm", "mutual_info_score"}."""
    codes, _ = utils.generate_batch_factor_code(
            ground_truth_data, representation_function, num_train, random_state,
            batch_size)
    return _compute_unsupervised(codes, num_bins)
