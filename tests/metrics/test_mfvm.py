"""m-FVM_k: the purity core by hand and known answers on constructed codes."""

import numpy as np
import pytest

from metrics_fixtures import IdentityData, identity
from tfdisent.metrics import mfvm


def test_score_by_hand():
    fixed = [[0, 1], [1, 0], [0, 1], [1, 2]]
    codes = [[0, 1], [1, 0], [2, 3], [2, 1]]
    # Tuple (0, 1): code tuples (0,1) x2, (2,3) x1 -> 2/3; tuple (1, 2): 1/1.
    assert mfvm.mfvm_score(fixed, codes) == pytest.approx(5 / 6, abs=1e-15)


DATA = IdentityData((3, 4, 5, 6))
SMALL = dict(num_votes=200, batch_size=50)


def test_identity_codes_score_one_for_every_k():
    scores = mfvm.compute_mfvm(DATA, identity, np.random.RandomState(0), **SMALL)
    assert scores == {"num_active_dims": 4, "mfvm_2": 1.0, "mfvm_3": 1.0}


def test_permuted_codes_still_score_one():
    permuted = lambda x: identity(x)[:, [2, 0, 3, 1]]
    scores = mfvm.compute_mfvm(DATA, permuted, np.random.RandomState(0),
                               **SMALL)
    assert scores["mfvm_2"] == 1.0 and scores["mfvm_3"] == 1.0


class Noisy:
    """codes = observations @ mixing + N(0, 0.1^2) noise (seeded)."""

    def __init__(self, mixing):
        self.mixing = mixing
        self.random_state = np.random.RandomState(0)

    def __call__(self, x):
        codes = identity(x) @ self.mixing
        return codes + 0.1 * self.random_state.normal(size=codes.shape)


def test_rotating_two_codes_lowers_the_score():
    # Fixing factor 0 but not 1 leaves codes 0 and 1 equally variable, so the
    # second pick among them is a coin flip: purity drops for those tuples.
    rotation = np.eye(4)
    rotation[:2, :2] = np.array([[1.0, 1.0], [1.0, -1.0]]) / np.sqrt(2)
    aligned = mfvm.compute_mfvm(DATA, Noisy(np.eye(4)),
                                np.random.RandomState(0), **SMALL)
    rotated = mfvm.compute_mfvm(DATA, Noisy(rotation),
                                np.random.RandomState(0), **SMALL)
    assert aligned["mfvm_2"] == 1.0 and aligned["mfvm_3"] == 1.0
    assert rotated["mfvm_2"] < 0.85 and rotated["mfvm_3"] < 0.9


def entangled(x):
    """Codes 0 and 1 rotated by 45° plus a deterministic jitter: the k-scores
    are below 1 and differ, so every vote (and its draw) counts."""
    rotation = np.eye(4)
    rotation[:2, :2] = np.array([[1.0, 1.0], [1.0, -1.0]]) / np.sqrt(2)
    jitter = np.random.RandomState(1).normal(size=(4, 4))
    return identity(x) @ rotation + 0.1 * np.sin(37.0 * identity(x) @ jitter)


def test_k_scores_do_not_depend_on_the_other_ks():
    alone = [mfvm.compute_mfvm(DATA, entangled, np.random.RandomState(3), num_fixed=[k],
                               **SMALL)["mfvm_%d" % k] for k in (2, 3)]
    together = mfvm.compute_mfvm(DATA, entangled, np.random.RandomState(3),
                                 num_fixed=[2, 3], **SMALL)
    reversed_order = mfvm.compute_mfvm(DATA, entangled, np.random.RandomState(3),
                                       num_fixed=[3, 2], **SMALL)
    assert alone[0] != alone[1] and max(alone) < 1.0
    for scores in (together, reversed_order):
        assert [scores["mfvm_2"], scores["mfvm_3"]] == alone


def test_fewer_active_codes_than_k_scores_zero():
    two_codes = lambda x: np.hstack([identity(x)[:, :2], np.zeros((len(x), 2))])
    scores = mfvm.compute_mfvm(DATA, two_codes, np.random.RandomState(0),
                               **SMALL)
    assert scores["num_active_dims"] == 2 and scores["mfvm_3"] == 0.0


def test_needs_three_factors():
    with pytest.raises(ValueError, match="at least 3 factors"):
        mfvm.compute_mfvm(IdentityData((3, 4)), identity,
                          np.random.RandomState(0))
