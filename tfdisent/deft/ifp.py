"""Information freezing points (IFP): pure functions on annealing traces.

During the annealing test β decreases; while β is high the one-latent VAE's KL
stays ≈ 0 (the factor is "frozen" out of the code), and at some β the latent
starts to carry the factor. That β is the factor's IFP:

    IFP = β at the step where the KL, smoothed by a trailing moving average
          over `window` steps (50), rises above `threshold` (0.1 nats) for
          good: the step after the last one at which it is at or below it.

"For good" skips the start of training, where a fresh encoder's KL jumps
before β has pressed it to 0, and a trace must have been frozen for a full
window. The average is trailing (causal), so an IFP is never reported before
information appears in the trace.
"""

from typing import NamedTuple

import numpy as np

KL_THRESHOLD = 0.1
WINDOW = 50


class IFP(NamedTuple):
    """An IFP and the step it was read at. status: "ok", "never_frozen" (the
    smoothed KL was never at or below the threshold after the first full
    window: the IFP lies above the schedule's β range) or "never_released"
    (it ends at or below the threshold: the IFP lies below the range)."""
    beta: float
    step: int
    status: str


def moving_average(values, window=WINDOW):
    """Trailing mean over the last `window` values (fewer at the start)."""
    values = np.asarray(values, dtype=np.float64)
    if window < 1:
        raise ValueError("window must be >= 1, got %r" % (window,))
    sums = np.cumsum(values)
    sums[window:] = sums[window:] - sums[:-window]
    counts = np.minimum(np.arange(1, len(values) + 1), window)
    return sums / counts


def information_freezing_point(betas, kls, threshold=KL_THRESHOLD, window=WINDOW):
    """The IFP of one annealing trace (β and KL per step, same length)."""
    betas, kls = np.asarray(betas, dtype=np.float64), np.asarray(kls)
    if betas.shape != kls.shape or betas.ndim != 1 or not betas.size:
        raise ValueError("betas and kls must be 1-D arrays of the same length, "
                         "got shapes %s and %s" % (betas.shape, kls.shape))
    frozen = np.flatnonzero(moving_average(kls, window) <= threshold)
    if not frozen.size or frozen[-1] < window - 1:
        return IFP(float("nan"), -1, "never_frozen")
    if frozen[-1] == len(kls) - 1:
        return IFP(float("nan"), -1, "never_released")
    step = int(frozen[-1] + 1)
    return IFP(float(betas[step]), step, "ok")


def ifp_statistics(ifps):
    """Mean and standard deviation of the finite IFPs (None when there are none)."""
    finite = np.asarray([v for v in ifps if v is not None and np.isfinite(v)])
    if not finite.size:
        return None, None
    return float(finite.mean()), float(finite.std())


def suggest_thresholds(statistics):
    """Stage thresholds between the IFP clusters of several factors.

    `statistics` maps factor -> (mean, std) of its IFPs. Each factor spans
    [mean − std, mean + std]; overlapping spans form a cluster. A threshold is
    put between neighbouring clusters at the geometric mean of the upper
    cluster's lowest edge and the lower cluster's highest edge (β acts on a
    log scale), and a last threshold 1 releases what is left. Returns the
    thresholds in decreasing order, or None with fewer than two factors.
    """
    spans = sorted(((m - s, m + s) for m, s in statistics.values()
                    if m is not None), key=lambda span: -span[1])
    if len(spans) < 2:
        return None
    clusters = [list(spans[0])]
    for low, high in spans[1:]:
        if high >= clusters[-1][0]:
            clusters[-1][0] = min(clusters[-1][0], low)
        else:
            clusters.append([low, high])
    thresholds = [float(np.sqrt(max(upper[0], 1.0) * max(lower[1], 1.0)))
                  for upper, lower in zip(clusters, clusters[1:])]
    return [t for t in thresholds if t > 1.0] + [1.0]
