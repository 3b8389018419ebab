"""The factor pairs of weak supervision (Locatello et al., ICML 2020).

A pair (x1, x2) shares all factors but k. numpy only; the tf.data pipeline
is `tfdisent.data.pipelines.pair_batches`.

The default is the paper's description: exactly k factors change (k = -1:
k uniform on {1, ..., F-1}, drawn per pair) and each changed factor takes a
value different from its old one. `official_pair_factors` is
disentanglement_lib's `simple_dynamics` as released: the number of changed
factors is 1 or k with probability 1/2 each, the new value is uniform over
all values (so it may equal the old one), and the label is the last index
written.
"""

import numpy as np


def check_k(data, k):
    """`k` as an int, or ValueError naming the allowed range."""
    changeable = int(np.sum(np.asarray(data.factors_num_values) > 1))
    if k == -1 or 1 <= k <= changeable:
        return int(k)
    raise ValueError("pairs: k = %s, but the pairs can differ in 1 to %d factors "
                     "(or k = -1: drawn per pair)" % (k, changeable))


def pair_factors(data, factors, k, random_state):
    """(second factors, changed mask [B, F] bool): each row of `factors`
    with exactly k factors (k = -1: uniform on 1..F-1 per row, capped at the
    changeable factors) set to new, different values."""
    sizes = np.asarray(data.factors_num_values)
    changeable = np.flatnonzero(sizes > 1)
    second = np.array(factors, dtype=np.int64, copy=True)
    changed = np.zeros(second.shape, dtype=bool)
    for row in range(len(second)):
        count = k if k != -1 else min(random_state.randint(1, len(sizes)), len(changeable))
        chosen = random_state.choice(changeable, count, replace=False)
        # A uniform draw among the K - 1 other values.
        offsets = random_state.randint(1, sizes[chosen])
        second[row, chosen] = (second[row, chosen] + offsets) % sizes[chosen]
        changed[row, chosen] = True
    return second, changed


def official_pair_factors(data, factors, k, random_state, value_random_state):
    """(second factors, last changed index [B], -1 when none), drawn as
    disentanglement_lib's simple_dynamics draws them for one pair at a time;
    `value_random_state` stands for its global np.random."""
    sizes = data.factors_num_values
    second = np.array(factors, dtype=np.int64, copy=True)
    last = np.full(len(second), -1, dtype=np.int64)
    for row in range(len(second)):
        observed = random_state.randint(1, len(sizes)) if k == -1 else k
        for index in random_state.choice(len(sizes), random_state.choice([1, observed]),
                                         replace=False):
            second[row, index] = value_random_state.choice(range(sizes[index]))
            last[row] = index
    return second, last


def one_hot_rows(indices, depth):
    """[B] indices -> [B, depth] float32 one-hot (-1 or >= depth: a zero row)."""
    rows = np.zeros((len(indices), depth), dtype=np.float32)
    valid = (indices >= 0) & (indices < depth)
    rows[np.flatnonzero(valid), indices[valid]] = 1.0
    return rows
