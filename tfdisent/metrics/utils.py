"""Machinery shared by the metrics: sampling codes, discretising, mutual
information, normalisation and per-factor predictors.

Array convention (the whole package): samples are rows. ``codes`` is
``[N, K]`` (one column per code / latent dimension) and ``factors`` is
``[N, F]`` (one column per ground-truth factor). disentanglement_lib stores the
transpose (``[K, N]``, ``[F, N]``); only the layout differs.
"""

import collections
import concurrent.futures
import contextlib
import hashlib
import os
import pickle
import warnings

import joblib
import numpy as np
import threadpoolctl
from sklearn import ensemble, exceptions, linear_model, model_selection

from tfdisent.data.ground_truth import GroundTruthData
from tfdisent.metrics import code_memo

DEFAULT_NUM_BINS = 20
# Observations rendered and passed to the representation function per call
# (`encode_draws`). Draws are still made in disentanglement_lib's order.
IMAGES_PER_CALL = 1024
# Rows per rendering call when drawing ahead (64x64 sprites render 3x faster
# per image in batches of 64 than of 1024, and 128 was already slower: cache).
RENDER_ROWS = 64
# How many (size, seed) samples of the current dataset and representation
# are remembered: enough for all.gin, whose downstream tasks (8 samples) run between the
# metrics sharing the 10,000-point sample (MIG ... unsupervised, InfoMEC).
SAMPLING_CACHE_SIZE = 12


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


def _same_state(state, other):
    """True if two `RandomState.get_state()` tuples are equal."""
    return all(np.array_equal(a, b) for a, b in zip(state, other))


def _draw_chunk(draw, indices, random_state):
    """Draws `indices`: (labels, blocks per draw, all blocks' rows in one array)."""
    labels, blocks = zip(*(draw(i, random_state) for i in indices))
    return list(labels), list(blocks), np.concatenate([b for bs in blocks for b in bs])


def _render_rows(render, rows, random_state):
    """Observations of `rows`, `RENDER_ROWS` per render call (renderers are
    fastest on cache-sized batches); None if there are no rows."""
    if not len(rows):
        return None
    return np.concatenate([render(rows[i:i + RENDER_ROWS], random_state)
                           for i in range(0, len(rows), RENDER_ROWS)])


def _draw_ahead(render, draw, indices, random_state):
    """Draws `indices` ahead, then renders their blocks together.

    Returns (labels, blocks per draw, observations), or None after restoring
    `random_state` if the rendering consumed random numbers (drawing ahead
    would then have changed the draws).
    """
    start = random_state.get_state()
    labels, blocks, rows = _draw_chunk(draw, indices, random_state)
    drawn = random_state.get_state()
    observations = _render_rows(render, rows, random_state)
    if _same_state(drawn, random_state.get_state()):
        return labels, blocks, observations
    random_state.set_state(start)
    return None


def _draw_in_order(render, draw, indices, random_state):
    """Draw, render each of its blocks, next draw: the sequential order."""
    labels, blocks, observations = [], [], []
    for i in indices:
        label, draw_blocks = draw(i, random_state)
        labels.append(label)
        blocks.append(draw_blocks)
        observations.extend(render(b, random_state) for b in draw_blocks)
    return labels, blocks, np.concatenate(observations)


def _draw_reusing(render, draw, indices, random_state, memo):
    """Draws `indices`, then renders only the factor vectors `memo` has no
    code for (each once).

    Returns (labels, blocks per draw, observations to encode or None if
    every code is known, the chunk's `code_memo.ReusedChunk`). Rendering
    must not consume `random_state`.
    """
    labels, blocks, rows = _draw_chunk(draw, indices, random_state)
    drawn = random_state.get_state()
    chunk, to_render = memo.split(rows)
    observations = _render_rows(render, to_render, random_state)
    if not _same_state(drawn, random_state.get_state()):
        raise RuntimeError("the dataset declares observations_determined_by_factors "
                           "but its rendering consumed the random state")
    return labels, blocks, observations, chunk


def _chunk_codes(encoded, sizes, chunk):
    """Per-draw codes of a chunk from its encoding call's result."""
    new_codes = encoded.result() if encoded is not None else None
    return np.split(new_codes if chunk is None else chunk.codes(new_codes), sizes)


def encode_draws(render, representation_function, random_state, draw,
                 num_draws, images_per_draw, images_per_call=None, memo=None):
    """Labels and codes of `num_draws` draws, exactly as if each draw's blocks
    were rendered and encoded right after it was drawn.

    Args:
      render: ``render(block, random_state) -> observations``, usually a
        dataset's ``sample_observations_from_factors``.
      draw: ``draw(index, random_state) -> (label, [block, ...])``; in the
        sequential order each block is rendered by one `render` call right
        after the draw.
      images_per_draw: rows per draw (sizes the chunks).
      images_per_call: a chunk is the fewest draws with at least this many
        rows (default `IMAGES_PER_CALL`); its rows are encoded in one call.
      memo: a `code_memo.FactorCodeMemo` when the blocks are factor rows of a
        dataset whose observations they determine, under a deterministic
        representation (`code_memo.memo_for`): factor vectors encoded before
        are looked up instead of rendered and encoded again.

    A chunk of draws is made ahead, its blocks rendered together
    (`RENDER_ROWS` rows per call) and encoded in one call. If the rendering consumes `random_state` (noise, colours, hidden
    factors), drawing ahead would change the draws: the state is rolled back
    and the rest is rendered block by block in the sequential order (still
    encoded in large calls). The random stream and the codes are the
    sequential ones either way. Chunk k is encoded in a background thread
    while chunk k + 1 is drawn and rendered (one call at a time, in order).

    Returns:
      labels (list) and codes (list of [rows of the draw, K]) per draw.
    """
    # The fewest draws with at least `images_per_call` rows.
    per_chunk = max(1, -(-(images_per_call or IMAGES_PER_CALL)
                         // max(1, images_per_draw)))
    labels, codes = [], []
    ahead = True
    # One encoder thread: chunk k is encoded while chunk k + 1 is drawn and
    # rendered here; the calls still come one at a time, in order.
    with concurrent.futures.ThreadPoolExecutor(1) as encoder:
        pending = None
        for start in range(0, num_draws, per_chunk):
            indices = range(start, min(num_draws, start + per_chunk))
            reused = None
            if memo is not None:
                chunk_labels, blocks, observations, reused = _draw_reusing(
                        render, draw, indices, random_state, memo)
            else:
                chunk = ahead and _draw_ahead(render, draw, indices, random_state)
                ahead = chunk is not None
                chunk_labels, blocks, observations = chunk or _draw_in_order(
                        render, draw, indices, random_state)
            sizes = np.cumsum([sum(len(b) for b in bs) for bs in blocks])[:-1]
            labels.extend(chunk_labels)
            if pending is not None:
                codes.extend(_chunk_codes(*pending))
            encoded = (encoder.submit(encode, observations, representation_function)
                       if observations is not None else None)
            pending = (encoded, sizes, reused)
        if pending is not None:
            codes.extend(_chunk_codes(*pending))
    return labels, codes


def _rendered(observations, random_state):
    del random_state
    return observations


def draw_factor_code(ground_truth_data, representation_function, num_points,
                     random_state, batch_size=16):
    """Samples `num_points` (codes [N, K], factors [N, F]) without the cache.

    The draws are disentanglement_lib's: `sample(min(batch_size, left))` per
    batch, i.e. the factors, then their observations. For a `GroundTruthData`
    (whose `sample` is just that) the observations are rendered in large
    chunks (`encode_draws`); any other object's own `sample` is called per
    batch. Either way the codes are encoded in large calls.
    """
    if num_points < 1 or batch_size < 1:
        raise ValueError("num_points and batch_size must be positive, got %d "
                         "and %d" % (num_points, batch_size))
    num_batches = -(-num_points // batch_size)
    renders_factors = (isinstance(ground_truth_data, GroundTruthData) and
                       type(ground_truth_data).sample is GroundTruthData.sample)

    def draw(i, random_state):
        size = min(batch_size, num_points - i * batch_size)
        if renders_factors:
            factors = ground_truth_data.sample_factors(size, random_state)
            return factors, [factors]
        factors, observations = ground_truth_data.sample(size, random_state)
        return factors, [observations]

    render = (ground_truth_data.sample_observations_from_factors
              if renders_factors else _rendered)
    memo = (code_memo.memo_for(ground_truth_data, representation_function)
            if renders_factors else None)
    factors, codes = encode_draws(render, representation_function, random_state,
                                  draw, num_batches, batch_size, memo=memo)
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
    # Only the current (dataset, function) pair is remembered, so a process
    # that scores model after model keeps no old dataset or model alive.
    for old in [k for k in _sampling_cache if k[:2] != key[:2]]:
        del _sampling_cache[old]
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
    """Forgets every memoised sample of `generate_batch_factor_code` and every
    remembered code (`code_memo`)."""
    _sampling_cache.clear()
    code_memo.clear()


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


def hist_gradient_boosting_classifier():
    """A faster, NON-default alternative to `gradient_boosting_classifier`:
    sklearn's histogram GBT (100 iterations, lr 0.1, up to 31 leaves per
    tree, no early stopping, seeded). Its accuracies differ from
    disentanglement_lib's boosted trees (docs/performance.md)."""
    return ensemble.HistGradientBoostingClassifier(early_stopping=False,
                                                   random_state=0)


PREDICTORS = {
        "logistic_regression_cv": logistic_regression_cv,
        "gradient_boosting_classifier": gradient_boosting_classifier,
        "hist_gradient_boosting_classifier": hist_gradient_boosting_classifier,
}


def make_predictor(predictor):
    """A predictor factory from its name (see PREDICTORS) or a factory itself."""
    if callable(predictor):
        # gin's @logistic_regression_cv wraps ours (and cannot be pickled for
        # the worker processes); ours takes no parameters, so nothing is lost.
        unwrapped = getattr(predictor, "__wrapped__", None)
        return unwrapped if unwrapped in PREDICTORS.values() else predictor
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


# --------------------------------------------------------------------------
# Parallel fits

WORKERS_ENV = "TFDISENT_NUM_WORKERS"
# Idle workers stay this long (loky's default, 300 s, is shorter than the
# sampling between two fitting metrics of a suite: each restart costs seconds).
WORKER_IDLE_SECONDS = 900
_workers_override = []


def available_cores():
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def default_num_workers():
    """Worker processes for the metrics' fits: the innermost `num_workers`
    context (gin: `evaluation.num_workers`), else $TFDISENT_NUM_WORKERS, else
    every available core."""
    if _workers_override:
        return _workers_override[-1]
    value = os.environ.get(WORKERS_ENV, "")
    if not value:
        return available_cores()
    return check_num_workers(value, WORKERS_ENV)


def check_num_workers(value, source="num_workers"):
    """`value` as a positive int; a one-line ValueError otherwise."""
    try:
        workers = int(value)
    except (TypeError, ValueError):
        workers = 0
    if workers < 1 or str(value).strip() != str(workers):
        raise ValueError("%s must be a positive integer, got %r" % (source, value))
    return workers


@contextlib.contextmanager
def num_workers(workers):
    """Within the context, fits use `workers` processes (None: no change)."""
    if workers is None:
        yield
        return
    _workers_override.append(check_num_workers(workers))
    try:
        yield
    finally:
        _workers_override.pop()


def _call_fitting(function, item):
    with sklearn_fitting():
        return function(*item)


def parallel_map(function, items, n_jobs=None, costs=None):
    """``[function(*item) for item in items]`` in `n_jobs` worker processes.

    Every call is independent and seeded, so the results are those of the
    sequential loop, in item order. Calls run under `sklearn_fitting`, the
    most costly first (`costs`, one number per item) to balance the workers.
    Processes, not threads: the fits are dominated by Python-level work (a
    GBT grows 100 x classes small trees), which threads serialise on the GIL.

    Args:
      n_jobs: None = `default_num_workers()`; 1 runs in this process, and so
        does a `function` or item that cannot be pickled.
    """
    items = list(items)
    workers = min(len(items), default_num_workers() if n_jobs is None
                  else check_num_workers(n_jobs, "n_jobs"))
    if workers <= 1:
        return [_call_fitting(function, item) for item in items]
    order = (np.argsort(-np.asarray(costs, np.float64), kind="stable")
             if costs is not None else np.arange(len(items)))
    try:
        done = joblib.Parallel(n_jobs=workers, backend="loky", batch_size=1,
                               pre_dispatch="all",
                               idle_worker_timeout=WORKER_IDLE_SECONDS)(
                joblib.delayed(_call_fitting)(function, items[i]) for i in order)
    except pickle.PicklingError:  # e.g. a user's factory holding a lock
        return [_call_fitting(function, item) for item in items]
    results = [None] * len(items)
    for i, result in zip(order, done):
        results[i] = result
    return results


def fit_and_score(make_model, codes_train, labels_train, codes_test,
                  labels_test, attribute=None):
    """Fits ``make_model()`` on (codes_train, labels_train); returns its train
    and test accuracy and, if named, one fitted attribute."""
    model = make_model().fit(codes_train, labels_train)
    return (np.mean(model.predict(codes_train) == labels_train),
            np.mean(model.predict(codes_test) == labels_test),
            None if attribute is None else getattr(model, attribute))


def fit_and_score_per_factor(make_model, codes_train, factors_train, codes_test,
                             factors_test, attribute=None, n_jobs=None):
    """`fit_and_score` for every factor column, in parallel (`parallel_map`).

    Returns:
      train accuracies [F], test accuracies [F] and the attribute per factor.
    """
    return fit_and_score_tasks(
            [(make_model, codes_train, factors_train[:, j], codes_test,
              factors_test[:, j], attribute)
             for j in range(factors_train.shape[1])], n_jobs)


def fit_and_score_tasks(tasks, n_jobs=None):
    """`fit_and_score(*task)` for every task, in parallel; the tasks with the
    most classes (the costliest boosted fits) go first."""
    costs = [len(np.unique(task[2])) for task in tasks]
    train, test, attributes = zip(*parallel_map(fit_and_score, tasks, n_jobs,
                                                costs))
    return np.array(train), np.array(test), list(attributes)
