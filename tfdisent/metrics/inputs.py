"""The inputs of the metrics' array API: validated points and factor labels.

`make_sample` checks codes [N, K] / factors [N, F] (and a test set) and turns
the factors into class labels (`factor_classes`); `GridCodes` lets the
sampled metrics read the codes of a full factor grid as a dataset.
"""

from typing import NamedTuple, Optional, Tuple

import numpy as np

from tfdisent.data.ground_truth import GroundTruthData
from tfdisent.metrics import infomec, utils


class Sample(NamedTuple):
    """Validated points: codes [N, K] float, factors [N, F] int64 class
    labels (None when not given) and an optional test set of the same kind."""
    codes: np.ndarray
    factors: Optional[np.ndarray]
    test: Optional[Tuple[np.ndarray, np.ndarray]] = None

    @property
    def train(self):
        return self.codes, self.factors


def make_sample(codes, factors, test=None, factor_bins=None):
    """Checks shapes and values and turns factors into class labels
    (`factor_classes`); every problem is one ValueError line."""
    codes = _finite_matrix(codes, "codes")
    if factors is None:
        if test is not None:
            raise ValueError("a test set needs factors for the training points too")
        return Sample(codes, None)
    factors = _finite_matrix(factors, "factors")
    _check_rows(codes, factors, "")
    if test is None:
        return Sample(codes, _check_factor_values(factor_classes(factors,
                                                                 factor_bins)))
    if not isinstance(test, (tuple, list)) or len(test) != 2:
        raise ValueError("test must be a pair (codes_test, factors_test)")
    codes_test = _finite_matrix(test[0], "test codes")
    factors_test = _finite_matrix(test[1], "test factors")
    _check_rows(codes_test, factors_test, "test ")
    for what, a, b in (("codes", codes, codes_test), ("factors", factors, factors_test)):
        if a.shape[1] != b.shape[1]:
            raise ValueError("the test %s have %d columns, the %s %d"
                             % (what, b.shape[1], what, a.shape[1]))
    labels = factor_classes(np.concatenate([factors, factors_test]), factor_bins)
    return Sample(codes, _check_factor_values(labels[:len(codes)]),
                  (codes_test, labels[len(codes):]))


def factor_classes(factors, factor_bins=None):
    """Factor columns as int64 class labels, the discrete factors the metrics
    (like disentanglement_lib's samplers) expect.

    Integer-valued columns are class indices and are kept. Other columns are
    raw values: with `factor_bins` None each distinct value becomes a class,
    numbered in sorted order (so raw values covering every level score
    exactly as their class indices); with `factor_bins` = b the column is cut
    into b equal-width bins (`utils.histogram_discretize`, as codes are).
    A raw column with more distinct values than half the points looks
    continuous and is refused unless `factor_bins` is given.
    """
    factors = np.asarray(factors)
    labels = np.empty(factors.shape, dtype=np.int64)
    for j, column in enumerate(factors.T):
        if np.all(np.mod(column, 1) == 0):
            labels[:, j] = column
        elif factor_bins is not None:
            labels[:, j] = utils.histogram_discretize(column[:, None], factor_bins)[:, 0]
        else:
            values, labels[:, j] = np.unique(column, return_inverse=True)
            if len(values) > len(column) // 2:
                raise ValueError(
                        "factor %d has %d distinct values in %d points: it looks "
                        "continuous; give class indices, or factor_bins=B "
                        "(evaluation.factor_bins = B) to cut it into B equal-width "
                        "bins" % (j, len(values), len(column)))
    return labels


def _finite_matrix(values, what):
    values = np.asarray(values)
    if values.dtype.kind not in "biuf":
        raise ValueError("%s must be numbers, got an array of dtype %s"
                         % (what, values.dtype))
    if values.ndim != 2:
        raise ValueError("%s must be a 2-D array (one row per point), got shape %s"
                         % (what, values.shape))
    if len(values) == 0:
        raise ValueError("%s have no rows" % what)
    bad = ~np.isfinite(values)
    if bad.any():
        row, column = np.argwhere(bad)[0]
        raise ValueError("%s contain %d NaN or infinite values (the first at row "
                         "%d, column %d)" % (what, bad.sum(), row, column))
    return values


def _check_rows(codes, factors, prefix):
    if len(codes) != len(factors):
        raise ValueError("%scodes [N, K] and %sfactors [N, F] need one row per "
                         "point; got %d and %d rows"
                         % (prefix, prefix, len(codes), len(factors)))


def _check_factor_values(factors):
    for j, column in enumerate(factors.T):
        if np.all(column == column[0]):
            raise ValueError("factor %d takes the single value %d in all %d points; "
                             "the metrics need at least two values per factor "
                             "(leave the column out)" % (j, column[0], len(column)))
    return factors



class GridCodes(GroundTruthData):
    """Codes of a full factor grid seen as a dataset: an observation is a row
    number and `representation` looks its code up. The sampled metrics then
    score saved codes exactly as they score the encoder on the dataset (same
    seed, same draws) for any dataset whose observations are a function of
    the factors."""

    name = "grid_codes"

    def __init__(self, codes, factors, metric="a sampled metric"):
        from tfdisent.data.files.indexed import full_grid_lookup

        labels = infomec.label_encode(factors)
        lookup = full_grid_lookup(labels)
        if lookup is None:
            sizes = labels.max(axis=0) + 1
            raise ValueError(
                    "%s draws points for factor values it chooses, so on given codes "
                    "it needs the codes of the full factor grid, each combination "
                    "exactly once (%s = %d rows); the %d rows hold %d distinct "
                    "combinations; score the encoder with score_representation instead"
                    % (metric, " x ".join(map(str, sizes)), np.prod(sizes),
                       len(labels), len(np.unique(labels, axis=0))))
        self._lookup = lookup
        self._codes = codes

    @property
    def factors_num_values(self):
        return [int(s) for s in self._lookup.factor_sizes]

    @property
    def observation_shape(self):
        return (1,)

    def sample_observations_from_factors(self, factors, random_state):
        return self._lookup.features_to_index(factors)[:, None]

    def representation(self, observations):
        return self._codes[np.asarray(observations)[:, 0]]
