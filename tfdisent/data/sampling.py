"""Numpy factor samplers over any GroundTruthData (no TensorFlow needed).

These draw the factor rows that the tf.data pipelines render, and are what
metrics use when they sample without tf.data.
"""

import threading

import numpy as np


def checked_factors(factors, factors_num_values):
    """Factor rows as int64 [N, F]; ValueError if a row is off the grid."""
    factors = np.asarray(factors)
    sizes = np.asarray(factors_num_values)
    if factors.ndim != 2 or factors.shape[1] != len(sizes):
        raise ValueError("expected factor rows of shape [N, %d], got %s"
                         % (len(sizes), factors.shape))
    factors = factors.astype(np.int64)
    if np.any(factors < 0) or np.any(factors >= sizes):
        raise ValueError("factor values out of range for sizes %s" % sizes.tolist())
    return factors


def seeded_random_state(seed, *stream):
    """A RandomState determined by a seed and a stream position (ints >= 0)."""
    return np.random.RandomState(_stream_words(seed, stream))


_per_thread = threading.local()  # each thread's reseeded RandomState


def reseeded_random_state(seed, *stream):
    """What `seeded_random_state(seed, *stream)` returns, as this thread's one
    RandomState reseeded in place (about 10x cheaper than building one, which
    matters at thousands of batches a second). It is valid until this
    thread's next call: draw from it and drop it."""
    state = getattr(_per_thread, "random_state", None)
    if state is None:
        state = _per_thread.random_state = np.random.RandomState()
    state.seed(_stream_words(seed, stream))
    return state


def _stream_words(seed, stream):
    entropy = [int(seed)] + [int(s) for s in stream]
    if min(entropy) < 0:
        raise ValueError("seeds and stream positions must be >= 0, got %s" % entropy)
    return np.random.SeedSequence(entropy).generate_state(4)


def check_factor(data, factor):
    """The factor index as an int; ValueError if the dataset has no such factor."""
    if not 0 <= factor < data.num_factors:
        raise ValueError("factor %r out of range: the dataset has %d factors"
                         % (factor, data.num_factors))
    return int(factor)


def check_anchor(data, anchor):
    """The anchor as int64 [F]; ValueError if it is not a factor vector of `data`."""
    return checked_factors(np.reshape(anchor, (1, -1)), data.factors_num_values)[0]


def one_factor_varying_factors(data, factor, anchor, num, random_state):
    """`num` factor rows equal to `anchor` except column `factor`, drawn uniformly."""
    factor = check_factor(data, factor)
    factors = np.tile(check_anchor(data, anchor), (num, 1))
    factors[:, factor] = random_state.randint(data.factors_num_values[factor], size=num)
    return factors


def single_factor_sweep(data, factor, anchor):
    """The rows of `anchor` with `factor` swept through all its values, in order."""
    factor = check_factor(data, factor)
    factors = np.tile(check_anchor(data, anchor), (data.factors_num_values[factor], 1))
    factors[:, factor] = np.arange(data.factors_num_values[factor])
    return factors


def fixed_factors(data, fixed, num, random_state):
    """`num` random factor rows sharing one random value in each column of `fixed`."""
    fixed = [check_factor(data, f) for f in fixed]
    factors = data.sample_factors(num, random_state)
    factors[:, fixed] = data.sample_factors(1, random_state)[0, fixed]
    return factors


def observations_in_batches(data, factors, batch_size, random_state=None):
    """Yields float32 observations for `factors`, `batch_size` rows at a time."""
    if random_state is None:
        random_state = np.random.RandomState(0)
    factors = np.asarray(factors)
    for start in range(0, len(factors), batch_size):
        yield data.sample_observations_from_factors(
                factors[start:start + batch_size], random_state)
