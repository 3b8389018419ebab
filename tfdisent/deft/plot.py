"""The annealing test's figure: smoothed KL vs β per run, IFP histogram."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
import numpy as np  # noqa: E402
from matplotlib import ticker  # noqa: E402

BETA_TICKS = (1, 2, 5, 10, 20, 50, 100, 200)


def plot_annealing(result, path, kl_threshold):
    """Writes the figure of an `annealing_test` result to `path` (PNG)."""
    figure, (traces, histogram) = plt.subplots(1, 2, figsize=(12, 4.5))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    ifps = []
    for i, (factor, entry) in enumerate(result["factors"].items()):
        colour = colours[i % len(colours)]
        label = "%s (%s)" % (entry["name"], factor)
        for j, run in enumerate(entry["runs"]):
            trace = run["trace"]
            traces.plot(trace["beta"], trace["kl_smoothed"], color=colour,
                        alpha=0.7, label=label if j == 0 else None)
            if run["ifp"] is not None:
                traces.axvline(run["ifp"], color=colour, linestyle=":", alpha=0.5)
        ifps.append((label, colour, [v for v in entry["ifps"] if v is not None]))
    traces.axhline(kl_threshold, color="grey", linestyle="--",
                   label="threshold %g nats" % kl_threshold)
    _log_beta_axis(traces)
    traces.invert_xaxis()  # β decreases during training
    traces.set(xlabel="β (annealed, decreasing)", ylabel="KL (moving average, nats)",
               title="KL vs β")
    traces.legend(fontsize="small")
    _histogram(histogram, ifps, result.get("suggested_thresholds"))
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def _histogram(axes, ifps, thresholds):
    values = [v for _, _, vs in ifps for v in vs]
    if values:
        low, high = max(min(values) / 1.2, 1.0), max(values) * 1.2
        bins = np.geomspace(low, max(high, low * 1.5), 30)
        for label, colour, vs in ifps:
            if vs:
                axes.hist(vs, bins=bins, color=colour, alpha=0.6, label=label)
        _log_beta_axis(axes)
    for t in thresholds or ():
        axes.axvline(t, color="black", linestyle="--", alpha=0.6)
    axes.set(xlabel="IFP (β)", ylabel="runs",
             title="IFP per factor (dashed: suggested thresholds)")
    if values:
        axes.legend(fontsize="small")


def _log_beta_axis(axes):
    """A log-scale β axis labelled 1, 2, 5, 10, ... (no minor labels)."""
    axes.set_xscale("log")
    axes.xaxis.set_major_locator(ticker.FixedLocator(BETA_TICKS))
    axes.xaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
    axes.xaxis.set_minor_formatter(ticker.NullFormatter())
