"""One-sided tests of a paper's claims on two rows of seeds, and how much of a
metric's spread the models explain.

Each claim gets the Mann–Whitney U test (exact for small samples without
ties; it decides the verdict: it assumes nothing about the scores'
distribution) and Welch's t test (shown beside it), both one-sided in the
claimed direction; a spread claim ("less_variance") gets the one-sided F test
of the two variances. Verdicts at p < ALPHA:
  held      the claimed direction is significant;
  reversed  the opposite direction is significant;
  not held  neither.
A non-inferiority claim ("not_less") is held unless the first row is
significantly below the second (then: not held).
"""

import dataclasses
import math

import numpy as np

ALPHA = 0.05
# Runs each row needs for a verdict (fewer: "too few runs"): the studies' standard
# of 5 seeds per compared row (with 2 against 5 the exact test could already
# reach p < 0.05 on one lucky ordering).
MIN_VALUES = 5


@dataclasses.dataclass
class Verdict:
    """A claim's test on the values of its two rows."""

    claim: object
    n: tuple
    means: tuple
    difference: float
    p_value: float
    p_welch: float
    p_opposite: float
    verdict: str
    test: str


def test_claim(claim, first, second):
    """`first`, `second`: the values of the claim's rows (NaNs dropped)."""
    first = _finite(first)
    second = _finite(second)
    n = (len(first), len(second))
    if min(n) < MIN_VALUES:
        return Verdict(claim, n, (_mean(first), _mean(second)), float("nan"), float("nan"),
                       float("nan"), float("nan"), "too few runs", "")
    means = (float(first.mean()), float(second.mean()))
    if claim.direction == "less_variance":
        p, p_opposite = variance_test(first, second)
        verdict = _verdict(p, p_opposite)
        return Verdict(claim, n, means, float(first.std(ddof=1) - second.std(ddof=1)), p,
                       float("nan"), p_opposite, verdict, "F test of variances")
    toward = {"greater": "greater", "less": "less", "not_less": "less"}[claim.direction]
    away = "less" if toward == "greater" else "greater"
    p = mann_whitney(first, second, toward)
    p_opposite = mann_whitney(first, second, away)
    p_welch = welch(first, second, toward)
    if claim.direction == "not_less":
        verdict = "not held" if p < ALPHA else "held"
    else:
        verdict = _verdict(p, p_opposite)
    return Verdict(claim, n, means, means[0] - means[1], p, p_welch, p_opposite, verdict,
                   "Mann-Whitney U")


def mann_whitney(first, second, alternative):
    from scipy import stats
    if np.ptp(np.concatenate([first, second])) == 0:
        return 1.0  # all values equal: no evidence either way
    return float(stats.mannwhitneyu(first, second, alternative=alternative).pvalue)


def welch(first, second, alternative):
    from scipy import stats
    if first.std() == 0 and second.std() == 0:
        return float("nan")
    return float(stats.ttest_ind(first, second, equal_var=False,
                                 alternative=alternative).pvalue)


def variance_test(first, second):
    """(p that var(first) < var(second), p of the opposite): one-sided F tests."""
    from scipy import stats
    v1, v2 = first.var(ddof=1), second.var(ddof=1)
    if v2 == 0:
        return (1.0, 0.0 if v1 > 0 else 1.0)
    ratio = v1 / v2
    d1, d2 = len(first) - 1, len(second) - 1
    return float(stats.f.cdf(ratio, d1, d2)), float(stats.f.sf(ratio, d1, d2))


def model_share(groups):
    """η²: the share of the values' total sum of squares that lies between
    the groups (rows), 0..1; NaN with fewer than two groups of values."""
    groups = [_finite(g) for g in groups]
    groups = [g for g in groups if len(g)]
    if len(groups) < 2:
        return float("nan")
    values = np.concatenate(groups)
    total = float(((values - values.mean()) ** 2).sum())
    if total == 0:
        return float("nan")
    between = sum(len(g) * (g.mean() - values.mean()) ** 2 for g in groups)
    return float(between / total)


def _verdict(p, p_opposite):
    if p < ALPHA:
        return "held"
    if p_opposite < ALPHA:
        return "reversed"
    return "not held"


def _finite(values):
    values = np.asarray(values, dtype=np.float64)
    return values[np.isfinite(values)]


def _mean(values):
    return float(values.mean()) if len(values) else float("nan")


def format_p(p):
    if not math.isfinite(p):
        return "—"
    return "%.3f" % p if p >= 0.001 else "%.1e" % p
