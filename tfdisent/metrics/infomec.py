"""InfoMEC: InfoM (modularity), InfoE (explicitness), InfoC (compactness).

Hsu et al., "Disentanglement via Latent Quantization" (NeurIPS 2023), as
computed by the official code at training time (the numbers of the paper):

- sources s_i are label-encoded; ``NMI[i, j] = I(s_i; z_j) / H(s_i)`` in nats
  (plug-in estimates), a [num_factors, num_codes] matrix;
- I(s_i; z_j) is the continuous-discrete kNN estimator of Ross (2014) for
  continuous codes (what ``sklearn.feature_selection.mutual_info_classif``
  computes, k = 3), or the plug-in discrete MI for quantized codes (each
  distinct value is a class); equal-width binning (`histogram_bins`) is offered as
  the alternative the authors also logged;
- code j is active if its range exceeds 1/8 of the largest range;
- InfoM = (mean_active_j max_i NMI / sum_i NMI - 1/F) / (1 - 1/F),
  InfoC = (mean_i max_active_j NMI / sum_active_j NMI - 1/A) / (1 - 1/A),
  InfoE = mean_i (H_null - CE_i) / H_null with CE_i the training
  cross-entropy of an unpenalised, class-balanced multinomial logistic
  regression from the (standardised) codes to s_i.

See docs/evaluation.md for the alternatives (the authors' standalone
implementation) and every deviation.
"""

import warnings

import numpy as np
from scipy.special import digamma, log_softmax
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from tfdisent.metrics import utils


def compute_infomec(ground_truth_data, representation_function, random_state, *,
                    num_points=10000, batch_size=16, discrete_latents=None,
                    histogram_bins=None, n_neighbors=3, active_range_fraction=0.125,
                    infoe_encoding="standardize", infoe_max_iter=100, n_jobs=None):
    """InfoM, InfoE, InfoC of a representation on `num_points` i.i.d. samples.

    Args:
      discrete_latents: True for quantized codes (QLAE): each distinct code
        value is a class and the plug-in discrete MI is used. None: what the
        representation function records (`discrete_latents`, set from the
        SavedModel: True for QLAE / QLInfoWGAN-GP), else False.
      histogram_bins: for continuous codes, None uses the kNN continuous-discrete
        estimator (the reported one); an int bins each code into that many
        equal-width bins and uses the discrete MI instead.
      n_neighbors: k of the kNN estimator (3 at training time, 10 standalone).
      active_range_fraction: a code is active if its range is larger than this
        fraction of the largest range (1/8 at training time; the standalone
        code uses 1/20 for continuous and 0, i.e. any non-constant code, for
        discrete codes).
      infoe_encoding: "standardize" (training time, float codes) or "one_hot"
        (the standalone code's choice for discrete codes).
      n_jobs: worker processes for InfoE's per-factor fits (None: every
        core; the result does not depend on it).
    Returns:
      {"infom", "infoe", "infoc", "num_active_dims", "nmi_matrix"}.
    """
    if discrete_latents is None:
        discrete_latents = bool(getattr(representation_function, "discrete_latents", False))
    codes, factors = utils.generate_batch_factor_code(
            ground_truth_data, representation_function, num_points, random_state,
            batch_size)
    return infomec(codes, factors, random_state=random_state,
                   discrete_latents=discrete_latents, histogram_bins=histogram_bins,
                   n_neighbors=n_neighbors,
                   active_range_fraction=active_range_fraction,
                   infoe_encoding=infoe_encoding, infoe_max_iter=infoe_max_iter,
                   n_jobs=n_jobs)


def infomec(codes, factors, *, random_state=0, discrete_latents=False,
            histogram_bins=None, n_neighbors=3, active_range_fraction=0.125,
            infoe_encoding="standardize", infoe_max_iter=100, n_jobs=None):
    """The pure core of `compute_infomec` on arrays codes [N, K], factors [N, F]."""
    codes, factors = utils.check_codes_factors(codes, factors)
    codes = codes.astype(np.float64)
    nmi = nmi_matrix(codes, factors, random_state=random_state,
                     discrete_latents=discrete_latents, histogram_bins=histogram_bins,
                     n_neighbors=n_neighbors)
    active = active_codes(codes, active_range_fraction)
    return {
        "infom": info_modularity(nmi, active),
        "infoe": info_explicitness(codes, factors, infoe_encoding, infoe_max_iter,
                                   n_jobs=n_jobs),
        "infoc": info_compactness(nmi, active),
        "num_active_dims": int(active.sum()),
        "nmi_matrix": nmi,
    }


# --- normalised mutual information -------------------------------------------

def nmi_matrix(codes, factors, *, random_state=0, discrete_latents=False,
               histogram_bins=None, n_neighbors=3):
    """NMI[i, j] = I(s_i; z_j) / H(s_i), [num_factors, num_codes], in nats.

    A factor with zero entropy gets a zero row (as the official code's
    nan_to_num does).
    """
    if discrete_latents:
        mutual_info = utils.discrete_mutual_info(codes, factors).T
    elif histogram_bins is not None:
        mutual_info = utils.discrete_mutual_info(
                utils.histogram_discretize(codes, histogram_bins), factors).T
    else:
        scaled = scale_and_jitter(codes, _as_random_state(random_state))
        mutual_info = np.array([
                [continuous_discrete_mi(code, source, n_neighbors) for code in scaled.T]
                for source in label_encode(factors).T])
    entropies = utils.discrete_entropy(factors)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nan_to_num(mutual_info / entropies[:, None], nan=0.0)


def label_encode(values):
    """Each column's distinct values -> 0..n_unique-1 (int64, same shape)."""
    values = np.asarray(values)
    encoded = np.empty(values.shape, dtype=np.int64)
    for j in range(values.shape[1]):
        encoded[:, j] = np.unique(values[:, j], return_inverse=True)[1].ravel()
    return encoded


def scale_and_jitter(codes, random_state):
    """The preprocessing of mutual_info_classif: divide each code by its
    standard deviation (no centring; constant codes are left as they are) and
    add N(0, 1) * 1e-10 * max(1, mean |code|) to break ties."""
    codes = np.asarray(codes, dtype=np.float64)
    std = codes.std(axis=0)
    scaled = codes / np.where(std > 0, std, 1.0)
    magnitude = np.maximum(1.0, np.mean(np.abs(scaled), axis=0))
    return scaled + 1e-10 * magnitude * random_state.standard_normal(size=codes.shape)


def continuous_discrete_mi(values, labels, n_neighbors=3):
    """Ross (2014) kNN estimate of I(continuous values; discrete labels), nats.

    The same estimator as sklearn's ``_compute_mi_cd`` (k = min(n_neighbors,
    class size - 1), radius just below the k-th within-class neighbour
    distance, singleton classes ignored, clipped at 0), computed exactly for
    one dimension with sorted arrays instead of KD-trees.
    """
    values = np.asarray(values, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    order = np.lexsort((values, labels))
    x, y = values[order], labels[order]
    class_sizes = np.bincount(y)
    size = class_sizes[y]
    start = (np.cumsum(class_sizes) - class_sizes)[y]
    k = np.minimum(n_neighbors, size - 1)

    radius = _kth_neighbour_distance(x, start, start + size, k, n_neighbors)
    keep = size > 1
    x, radius, k, size = x[keep], radius[keep], k[keep], size[keep]
    within = _count_within(np.sort(x), x, np.nextafter(radius, 0))
    mi = (digamma(len(x)) + np.mean(digamma(k)) - np.mean(digamma(size))
          - np.mean(digamma(within)))
    return max(0.0, float(mi))


def _kth_neighbour_distance(x, start, end, k, max_k):
    """Distance from each x[p] (sorted within [start, end)) to its k[p]-th
    nearest neighbour in its segment: the k nearest lie within k positions."""
    position = np.arange(len(x))[:, None]
    offsets = np.arange(1, max_k + 1)
    left, right = position - offsets, position + offsets
    to_left = np.where(left >= start[:, None],
                       x[:, None] - x[np.maximum(left, 0)], np.inf)
    to_right = np.where(right < end[:, None],
                        x[np.minimum(right, len(x) - 1)] - x[:, None], np.inf)
    distances = np.sort(np.concatenate([to_left, to_right], axis=1), axis=1)
    return distances[np.arange(len(x)), np.maximum(k - 1, 0)]


def _count_within(sorted_x, centres, radius):
    """#{j : |sorted_x[j] - c| <= r} per centre (itself included), with the
    distances computed as c - x_j / x_j - c, exactly as the radii were."""
    split = np.searchsorted(sorted_x, centres, side="left")
    first = _binary_search(lambda j: centres - sorted_x[j] <= radius,
                           np.zeros_like(split), split)
    stop = _binary_search(lambda j: sorted_x[j] - centres > radius,
                          split, np.full_like(split, len(sorted_x)))
    return stop - first


def _binary_search(predicate, lo, hi):
    """Smallest index in [lo, hi) where a predicate, monotone False -> True
    along the index, holds (hi if nowhere); vectorised over rows."""
    lo, hi = lo.copy(), hi.copy()
    while np.any(lo < hi):
        searching = lo < hi
        mid = np.where(searching, (lo + hi) // 2, 0)
        holds = predicate(mid)
        hi = np.where(searching & holds, mid, hi)
        lo = np.where(searching & ~holds, mid + 1, lo)
    return lo


# --- pruning and the three scores --------------------------------------------

def active_codes(codes, active_range_fraction=0.125):
    """Codes whose range (max - min) exceeds the fraction of the largest range."""
    ranges = np.ptp(np.asarray(codes, dtype=np.float64), axis=0)
    return ranges > active_range_fraction * ranges.max()


def info_modularity(nmi, active):
    """InfoM: how much each active code is about one factor only.

    Inactive codes, and active codes with zero NMI to every factor, are left
    out of the mean (as the official code's isfinite filter does); NaN if no
    code remains.
    """
    num_factors = nmi.shape[0]
    if num_factors < 2:
        return float("nan")
    columns = nmi[:, active]
    totals = columns.sum(axis=0)
    informative = totals > 0
    if not informative.any():
        return float("nan")
    purity = columns[:, informative].max(axis=0) / totals[informative]
    return float((purity.mean() - 1.0 / num_factors) / (1.0 - 1.0 / num_factors))


def info_compactness(nmi, active):
    """InfoC: how much each factor is captured by one active code only.

    NaN when fewer than two codes are active or a factor has zero NMI with
    every active code (the formula is 0/0 there).
    """
    num_active = int(np.sum(active))
    rows = nmi[:, active]
    totals = rows.sum(axis=1)
    if num_active < 2 or np.any(totals <= 0):
        return float("nan")
    purity = rows.max(axis=1) / totals
    return float((purity.mean() - 1.0 / num_active) / (1.0 - 1.0 / num_active))


def info_explicitness(codes, factors, encoding="standardize", max_iter=100,
                      n_jobs=None):
    """InfoE: mean over factors of the normalised predictive information.

    Per factor an unpenalised multinomial logistic regression (lbfgs,
    class_weight="balanced", `max_iter` iterations) is fit and scored on the
    same samples; InfoE_i = (H_null - CE_i) / H_null where CE_i is the mean
    cross-entropy. H_null is the intercept-only fit of the same procedure,
    which with balanced class weights is exactly log(number of classes).
    The per-factor fits run in `n_jobs` processes (`utils.parallel_map`).
    """
    features = _explicitness_features(np.asarray(codes, dtype=np.float64), encoding)
    labels = label_encode(factors).T
    num_classes = labels.max(axis=1) + 1
    if np.any(num_classes < 2):
        raise ValueError("factor %d takes a single value in the sample; InfoE "
                         "needs at least two" % np.flatnonzero(num_classes < 2)[0])
    cross_entropies = utils.parallel_map(
            _logistic_cross_entropy,
            [(features, factor_labels, max_iter) for factor_labels in labels],
            n_jobs, costs=num_classes)
    null_entropies = np.log(num_classes)
    return float(np.mean([(null - ce) / null for null, ce
                          in zip(null_entropies, cross_entropies)]))


def _explicitness_features(codes, encoding):
    if encoding == "standardize":
        std = codes.std(axis=0)
        return (codes - codes.mean(axis=0)) / np.where(std > 0, std, 1.0)
    if encoding == "one_hot":
        encoded = label_encode(codes)
        return np.concatenate([np.eye(int(column.max()) + 1)[column]
                               for column in encoded.T], axis=1)
    raise ValueError("infoe_encoding must be 'standardize' or 'one_hot', got %r"
                     % (encoding,))


def _logistic_cross_entropy(features, labels, max_iter):
    """Mean training cross-entropy of the unpenalised balanced fit, from
    log-softmax of the decision function (finite where log(predict_proba)
    underflows to -inf on confidently wrong samples)."""
    model = LogisticRegression(C=np.inf, solver="lbfgs", max_iter=max_iter,
                               tol=1e-4, class_weight="balanced")
    # One BLAS thread: these problems are small, and threads only contend.
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(features, labels)
        logits = model.decision_function(features)
    if logits.ndim == 1:  # two classes: p(1) = sigmoid(logit)
        logits = np.stack([np.zeros_like(logits), logits], axis=1)
    log_proba = log_softmax(logits, axis=1)
    return float(-np.mean(log_proba[np.arange(len(labels)), labels]))


def _as_random_state(random_state):
    if isinstance(random_state, np.random.RandomState):
        return random_state
    return np.random.RandomState(random_state)
