"""Codes of factor vectors already encoded, for the sampled metrics.

BetaVAE, FactorVAE, m-FVM and the i.i.d. samples of all.gin draw about 2.9 M
factor vectors; on `sprites` (737,280 combinations) most of them are drawn
more than once. When the dataset's observation is a function of its factors
(`observations_determined_by_factors`) and the representation function is
deterministic (its `deterministic` attribute), a factor vector drawn again
gets the code computed the first time instead of being rendered and encoded
again. The random draws are untouched: only rendering and encoding are
skipped.

The codes are the same bit for bit if the representation codes each
observation independently of the others in its call. TensorFlow's CPU
kernels do within a batch of a given size, but not always across sizes: the
conv SavedModel of bench/metrics.py gives codes that differ by up to 4e-6
in calls of 1, 3, 31 or 33 images from those of 64. A representation that
cuts its input into calls of `batch_size` rows (as `SavedModelRepresentation`
does) therefore gets the new observations padded to a multiple of it, so
every call it makes is a full one, as BetaVAE's and FactorVAE's calls are
without reuse.
"""

import contextlib

import numpy as np

# Largest factor grid (combinations) whose codes are kept, and the most code
# values kept (float32: 512 MB); beyond either, every draw is encoded.
MAX_GRID_SIZE = 1 << 22
MAX_VALUES = 1 << 27

_enabled = [True]
# (id(dataset), id(representation)) -> (dataset, representation, memo); only
# the current pair, so scoring model after model keeps no old codes.
_memos = {}


@contextlib.contextmanager
def reusing_codes(enabled):
    """Within the context, repeated factor vectors reuse their codes or not
    (gin: `evaluation.reuse_codes`); None: no change."""
    if enabled is None:
        yield
        return
    _enabled.append(bool(enabled))
    try:
        yield
    finally:
        _enabled.pop()


def clear():
    """Forgets every remembered code."""
    _memos.clear()


def memo_for(ground_truth_data, representation_function):
    """The `FactorCodeMemo` of this (dataset, representation) pair, or None if
    codes cannot be reused for it (or reuse is off)."""
    if not (_enabled[-1] and
            getattr(ground_truth_data, "observations_determined_by_factors", False)
            and getattr(representation_function, "deterministic", False)):
        return None
    sizes = [int(s) for s in ground_truth_data.factors_num_values]
    if np.prod(sizes, dtype=np.float64) > MAX_GRID_SIZE:
        return None
    key = (id(ground_truth_data), id(representation_function))
    if key not in _memos:
        _memos.clear()
        # The entry holds the dataset and function, so their ids stay unique.
        _memos[key] = (ground_truth_data, representation_function,
                       FactorCodeMemo(sizes, getattr(representation_function,
                                                     "batch_size", 1)))
    return _memos[key][2]


class FactorCodeMemo:
    """The codes of the factor vectors of one grid that have been encoded."""

    def __init__(self, factor_sizes, call_multiple=1):
        self.factor_sizes = tuple(int(s) for s in factor_sizes)
        self.call_multiple = max(1, int(call_multiple))
        self._known = np.zeros(int(np.prod(self.factor_sizes)), dtype=bool)
        self._codes = None  # [grid size, K], allocated at the first codes
        self._inert = False  # True if K codes per combination are too many

    def split(self, factors):
        """Factor rows [N, F] -> a `ReusedChunk` and the rows [M, F] to
        render and encode: each new factor vector once, then copies of the
        last up to a multiple of `call_multiple` (their codes are dropped)."""
        rows = np.ravel_multi_index(np.asarray(factors).T, self.factor_sizes)
        known = self._known[rows]
        new_rows, first, inverse = np.unique(rows[~known], return_index=True,
                                             return_inverse=True)
        to_encode = np.asarray(factors)[~known][first]
        padding = -len(to_encode) % self.call_multiple
        if len(to_encode) and padding:
            to_encode = np.concatenate([to_encode, np.repeat(to_encode[-1:], padding, 0)])
        return ReusedChunk(self, rows, known, new_rows, inverse), to_encode

    def store(self, rows, codes):
        """Remembers codes [M, K] of grid rows [M] (unless they would be too many)."""
        if self._codes is None and not self._inert:
            self._inert = self._known.size * codes.shape[1] > MAX_VALUES
            if not self._inert:
                self._codes = np.empty((self._known.size, codes.shape[1]), codes.dtype)
        if not self._inert:
            self._codes[rows] = codes
            self._known[rows] = True

    def lookup(self, rows):
        """Codes [M, K] of grid rows [M] stored before."""
        return self._codes[rows]


class ReusedChunk:
    """One chunk's rows: known ones are looked up, new ones come encoded."""

    def __init__(self, memo, rows, known, new_rows, inverse):
        self._memo, self._rows, self._known = memo, rows, known
        self._new_rows, self._inverse = new_rows, inverse

    def codes(self, new_codes):
        """Codes [N, K] of the chunk's rows, given the codes of its new
        factor vectors (None if there were none); remembers the new ones."""
        known = self._memo.lookup(self._rows[self._known]) if self._known.any() else None
        like = new_codes if new_codes is not None else known
        codes = np.empty((len(self._rows), like.shape[1]), like.dtype)
        if known is not None:
            codes[self._known] = known
        if new_codes is not None:
            new_codes = new_codes[:len(self._new_rows)]
            codes[~self._known] = new_codes[self._inverse]
            self._memo.store(self._new_rows, new_codes)
        return codes
