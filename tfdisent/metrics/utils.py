"""Machinery shared by the metrics: sampling codes, discretising, mutual
information, normalisation and per-factor predictors.

Array convention (the whole package): samples are rows. ``codes`` is
``[N, K]`` (one column per code / latent dimension) and ``factors`` is
``[N, F]`` (one column per ground-truth factor). disentanglement_lib stores the
transpose (``[K, N]``, ``[F, N]``); only the layout differs.
"""

import collections
import contextlib
import hashlib
import warnings

import joblib
import numpy as np
import threadpoolctl
from sklearn import ensemble, exceptions, linear_model, model_selection

DEFAULT_NUM_BINS = 20
# Observations passed to the representation function per call. Draws are still
# made in disentanglement_lib's batch order; only the encoder calls are merged.
IMAGES_PER_CALL = 1024
# How many (dataset, representation, size, seed) samples are remembered.
SAMPLING_CACHE_SIZE = 4


# --------------------------------------------------------------------------
# Representations


def encode(observations, representation_function):
    """Calls the representation function once; checks it returns [B, K] codes."""
    codes = np.asarray(representation_function(observations))
    if codes.ndim != 2 or codes.shape[0] != len(observations):
        raise ValueError(
            "representation_function must map %d observations to a [%d, K] "
            "array of codes; it returned shape %s"
            % (len(observations), len(observations), codes.shape))
    return codes


def encode_in_chunks(draws, representation_function, images_per_call=None):
    """Encodes a stream of draws with few representation calls.

    Args:
      draws: iterable of ``(label, observations)``; it is consumed lazily and in
        order, so whatever random state it draws from advances exactly as if
        each draw were encoded at once.
      representation_function: observations [B, ...] -> codes [B, K].
      images_per_call: observations merged into one call (at least one
        draw); default `IMAGES_PER_CALL`.

    Yields:
      ``(label, codes)`` per draw, in order.
    """
    images_per_call = images_per_call or IMAGES_PER_CALL
    pending = []
    num_pending = 0

    def flush():
        observations = np.concatenate([obs for _, obs in pending])
        codes = encode(observations, representation_function)
        sizes = np.cumsum([len(obs) for _, obs in pending])[:-1]
        return zip([label for label, _ in pending], np.split(codes, sizes))

    for label, observations in draws:
        pending.append((label, observations))
        num_pending += len(observations)
        if num_pending >= images_per_call:
            yield from flush()
            pending, num_pending = [], 0
    if pending:
        yield from flush()


def _factor_code_draws(ground_truth_data, num_points, random_state, batch_size):
    """disentanglement_lib's draw order: `sample(min(batch, left))` per batch."""
    drawn = 0
    while drawn < num_points:
        size = min(batch_size, num_points - drawn)
        yield ground_truth_data.sample(size, random_state)
        drawn += size


def draw_factor_code(ground_truth_data, representation_function, num_points,
                     random_state, batch_size=16):
    """Samples `num_points` (codes [N, K], factors [N, F]) without the cache."""
    if num_points < 1 or batch_size < 1:
        raise ValueError("num_points and batch_size must be positive, got %d "
                         "and %d" % (num_points, batch_size))
    draws = _factor_code_draws(ground_truth_data, num_points, random_state,
                               batch_size)
    factors, codes = zip(*encode_in_chunks(draws, representation_function))
    return np.concatenate(codes), np.concatenate(factors)


_sampling_cache = collections.OrderedDict()


def _state_digest(random_state):
    name, keys, pos, has_gauss, cached_gaussian = random_state.get_state()
    digest = hashlib.sha1(np.ascontiguousarray(keys).tobytes())
    digest.update(repr((name, pos, has_gauss, cached_gaussian)).encode())
    return digest.hexdigest()


def generate_batch_factor_code(ground_truth_data, representation_function,
                               num_points, random_state, batch_size=16):
    """Samples codes and the factors that generated them.

    Draws exactly as disentanglement_lib's function of the same name (batches
    of `batch_size` via ``ground_truth_data.sample``), so a seed gives the same
    points. Results are memoised on (dataset object, representation function
    object, num_points, batch_size, random state): a repeated call, e.g. MIG
    then DCI with the same seed, reuses the points and leaves `random_state`
    where a fresh draw would have left it. The cache assumes a deterministic
    representation function; clear it with `clear_sampling_cache()`.

    Returns:
      codes [num_points, K] and factors [num_points, F].
    """
    key = (id(ground_truth_data), id(representation_function), num_points,
           batch_size, _state_digest(random_state))
    if key in _sampling_cache:
        _sampling_cache.move_to_end(key)
        _, _, codes, factors, state_after = _sampling_cache[key]
        random_state.set_state(state_after)
        return codes.copy(), factors.copy()
    codes, factors = draw_factor_code(ground_truth_data, representation_function,
                                      num_points, random_state, batch_size)
    # The entry holds the dataset and function, so their ids stay unique.
    _sampling_cache[key] = (ground_truth_data, representation_function,
                            codes.copy(), factors.copy(),
                            random_state.get_state())
    while len(_sampling_cache) > SAMPLING_CACHE_SIZE:
        _sampling_cache.popitem(last=False)
    return codes, factors



def train_and_test_codes(ground_truth_data, representation_function, num_train,
                         num_test, random_state, batch_size):
    """((codes, factors) train, (codes, factors) test), drawn in that order
    from one random state as disentanglement_lib's supervised metrics do."""
    train = generate_batch_factor_code(ground_truth_data, representation_function,
                                       num_train, random_state, batch_size)
    test = generate_batch_factor_code(ground_truth_data, representation_function,
                                      num_test, random_state, batch_size)
    return train, test

def clear_sampling_cache():
    """Forgets every memoised sample of `generate_batch_factor_code`."""
    _sampling_cache.clear()


def check_codes_factors(codes, factors):
    """Validates a (codes [N, K], factors [N, F]) pair; returns numpy arrays."""
    codes, factors = np.asarray(codes), np.asarray(factors)
    if codes.ndim != 2 or factors.ndim != 2 or len(codes) != len(factors):
        raise ValueError("expected codes [N, K] and factors [N, F] with the same "
                         "N; got shapes %s and %s" % (codes.shape, factors.shape))
    return codes, factors


# --------------------------------------------------------------------------
# Discretisation and information


def histogram_discretize(values, num_bins=DEFAULT_NUM_BINS):
    """Equal-width histogram bins per column, numbered 1..num_bins.

    Column for column identical to disentanglement_lib's
    ``np.digitize(x, np.histogram(x, num_bins)[1][:-1])``, vectorised.
    Returns int64 [N, C].
    """
    values = np.asarray(values)
    if values.ndim != 2:
        raise ValueError("histogram_discretize expects [N, C] values, got shape "
                         "%s" % (values.shape,))
    if not np.all(np.isfinite(values)):
        bad = np.flatnonzero(~np.all(np.isfinite(values), axis=0)).tolist()
        raise ValueError("cannot discretise non-finite values in columns %s" % bad)
    low, high = values.min(axis=0), values.max(axis=0)
    if np.issubdtype(values.dtype, np.integer):
        low, high = low.astype(np.float64), high.astype(np.float64)
    constant = low == high
    # np.histogram widens an empty range to [x - 0.5, x + 0.5].
    low = np.where(constant, low - low.dtype.type(0.5), low)
    high = np.where(constant, high + high.dtype.type(0.5), high)
    edges = np.linspace(low, high, num_bins + 1, dtype=low.dtype)  # [bins+1, C]
    if np.any(edges[:-1] >= edges[1:]):
        raise ValueError("too many bins (%d) for the range of a column" % num_bins)
    return np.sum(values[:, :, None] >= edges[:-1].T[None], axis=-1)


def _dense_labels(labels):
    """Per column: labels -> 0..n-1 (int64 [N, C]) and the n per column."""
    dense = np.empty(labels.shape, dtype=np.int64)
    sizes = np.empty(labels.shape[1], dtype=np.int64)
    for c in range(labels.shape[1]):
        uniques, dense[:, c] = np.unique(labels[:, c], return_inverse=True)
        sizes[c] = len(uniques)
    return dense, sizes


def mutual_info_from_counts(counts):
    """Mutual information (nats) of joint count tables [..., A, B]."""
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum(axis=(-2, -1), keepdims=True)
    rows = counts.sum(axis=-1, keepdims=True)
    cols = counts.sum(axis=-2, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        # One log of a ratio: exactly 0 for a constant variable.
        terms = counts * np.log(counts * total / (rows * cols))
    terms = np.where(counts > 0, terms, 0.0)
    return np.maximum(terms.sum(axis=(-2, -1)) / total[..., 0, 0], 0.0)


def discrete_mutual_info(codes, factors):
    """MI matrix [K, F]: m[i, j] = I(codes[:, i]; factors[:, j]) in nats.

    Equals ``sklearn.metrics.mutual_info_score(factors[:, j], codes[:, i])``
    (disentanglement_lib's definition), from contingency tables in numpy.
    """
    codes, factors = check_codes_factors(codes, factors)
    a, a_sizes = _dense_labels(codes)
    b, b_sizes = _dense_labels(factors)
    num_factors, b_max = factors.shape[1], int(b_sizes.max())
    mi = np.empty((codes.shape[1], num_factors))
    for i, a_size in enumerate(a_sizes):
        # One bincount gives the joint table of code i with every factor.
        cell = (np.arange(num_factors) * a_size + a[:, i:i + 1]) * b_max + b
        counts = np.bincount(cell.ravel(), minlength=num_factors * a_size * b_max)
        mi[i] = mutual_info_from_counts(counts.reshape(num_factors, a_size, b_max))
    return mi


def discrete_entropy(factors):
    """Entropy (nats) per column [F]; equals mutual_info_score(y, y)."""
    factors = np.asarray(factors)
    dense, sizes = _dense_labels(factors)
    num = len(factors)
    entropy = np.empty(factors.shape[1])
    for j, size in enumerate(sizes):
        counts = np.bincount(dense[:, j], minlength=size).astype(np.float64)
        entropy[j] = np.log(num) - np.sum(counts * np.log(counts)) / num
    return np.maximum(entropy, 0.0)


def normalize_data(data, mean=None, stddev=None):
    """Z-scores columns of [N, C] data; returns (normalised, mean, stddev)."""
    data = np.asarray(data)
    mean = np.mean(data, axis=0) if mean is None else mean
    stddev = np.std(data, axis=0) if stddev is None else stddev
    return (data - mean) / stddev, mean, stddev


# --------------------------------------------------------------------------
# Predictors


def logistic_regression_cv():
    """disentanglement_lib's `logistic_regression_cv`: L2 logistic regression,
    10 values of C chosen by 5-fold (unshuffled) cross-validated accuracy."""
    return linear_model.LogisticRegressionCV(
            Cs=10, cv=model_selection.KFold(n_splits=5), l1_ratios=(0.0,),
            scoring="accuracy", use_legacy_attributes=False)


def gradient_boosting_classifier():
    """sklearn's default gradient-boosted trees (100 stages, depth 3, lr 0.1);
    seeded so feature ties break the same way on every run."""
    return ensemble.GradientBoostingClassifier(random_state=0)


PREDICTORS = {
        "logistic_regression_cv": logistic_regression_cv,
        "gradient_boosting_classifier": gradient_boosting_classifier,
}


def make_predictor(predictor):
    """A predictor factory from its name (see PREDICTORS) or a factory itself."""
    if callable(predictor):
        return predictor
    if predictor not in PREDICTORS:
        raise ValueError("unknown predictor %r; choose one of %s"
                         % (predictor, sorted(PREDICTORS)))
    return PREDICTORS[predictor]


@contextlib.contextmanager
def sklearn_fitting():
    """Context for the metrics' sklearn fits.

    - One BLAS thread: the problems are small (N x K with K ~ 10), and
      multi-threaded BLAS inside L-BFGS made a 10-point LogisticRegressionCV
      take seconds instead of tenths on a busy machine (oversubscription).
    - No ConvergenceWarning: the study's classifiers run with sklearn's
      default iteration limits, which unscaled codes often hit (as they did in
      disentanglement_lib); one warning per fit is noise.
    """
    with warnings.catch_warnings(), threadpoolctl.threadpool_limits(
            1, user_api="blas"):
        warnings.simplefilter("ignore", exceptions.ConvergenceWarning)
        yield


def fit_per_factor(make_model, codes, factors, n_jobs=1):
    """Fits one fresh `make_model()` per factor column on all codes.

    With n_jobs != 1 the factors are fitted in parallel threads (sklearn's
    tree and linear solvers release the GIL); the models are the same.
    """
    def fit(j):
        return make_model().fit(codes, factors[:, j])

    with sklearn_fitting():
        if n_jobs == 1:
            return [fit(j) for j in range(factors.shape[1])]
        return joblib.Parallel(n_jobs=n_jobs, prefer="threads")(
                joblib.delayed(fit)(j) for j in range(factors.shape[1]))


def accuracy_per_factor(models, codes, factors):
    """Accuracy of each per-factor model on (codes, factors): [F]."""
    return np.array([np.mean(model.predict(codes) == factors[:, j])
                     for j, model in enumerate(models)])
