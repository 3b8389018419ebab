"""Matplotlib figures (Agg canvas, no pyplot state) written as PNG: the
latent x factor NMI heatmap, metric bars, violins of codes by factor value
and QLAE's codebook values."""

import os

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from tfdisent.visualize import factors as factor_tools

# At most this many values of a factor get a violin (evenly spaced ones).
MAX_VIOLINS = 12
# Cells of the heatmap get their value written when there are at most this many.
MAX_ANNOTATED_CELLS = 300


def _figure(width, height):
    figure = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(figure)
    return figure


def _save(figure, path):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    figure.savefig(path, format="png")
    return path


def nmi_heatmap(nmi, row_labels, factor_names, path):
    """Heatmap of an NMI matrix [K, F] in [0, 1], rows labelled `row_labels`."""
    num_rows, num_factors = nmi.shape
    figure = _figure(1.6 + 0.9 * num_factors, 1.2 + 0.35 * num_rows)
    axes = figure.add_subplot()
    image = axes.imshow(nmi, vmin=0.0, vmax=1.0, cmap="viridis", aspect="auto")
    axes.set_xticks(range(num_factors), factor_names, rotation=30, ha="right")
    axes.set_yticks(range(num_rows), row_labels)
    axes.set_title("normalised mutual information I(z; v) / H(v)")
    if nmi.size <= MAX_ANNOTATED_CELLS:
        for (i, j), value in np.ndenumerate(nmi):
            axes.text(j, i, "%.2f" % value, ha="center", va="center", fontsize=7,
                      color="black" if value > 0.6 else "white")
    figure.colorbar(image, ax=axes)
    figure.tight_layout()
    return _save(figure, path)


def metric_bars(scores, path):
    """Horizontal bars of [(label, value)], each value written at its bar."""
    labels = [label for label, _ in scores]
    values = np.array([value for _, value in scores], np.float64)
    figure = _figure(8.0, 1.0 + 0.32 * len(scores))
    axes = figure.add_subplot()
    positions = np.arange(len(scores))
    axes.barh(positions, values, color="tab:blue")
    axes.set_yticks(positions, labels, fontsize=8)
    axes.invert_yaxis()
    axes.axvline(0.0, color="black", linewidth=0.5)
    for position, value in zip(positions, values):
        axes.text(value, position, " %.3f" % value, va="center", fontsize=7)
    axes.set_title("evaluation results")
    figure.tight_layout()
    return _save(figure, path)


def factor_violins(code, factors, factor_names, factor_sizes, title, path):
    """One panel per factor: violins of `code` [N] for (up to MAX_VIOLINS of)
    the factor's values, from `factors` [N, F]."""
    figure = _figure(1.0 + 3.0 * len(factor_names), 3.0)
    for j, (name, size) in enumerate(zip(factor_names, factor_sizes)):
        axes = figure.add_subplot(1, len(factor_names), j + 1)
        groups = factor_tools.codes_by_value(
                code, factors[:, j], factor_tools.shown_values(size, MAX_VIOLINS))
        if groups:
            positions, samples = zip(*groups)
            spacing = np.min(np.diff(positions)) if len(positions) > 1 else 1
            axes.violinplot(samples, positions=positions, showmedians=True,
                            widths=0.8 * spacing)
        axes.set_xlabel(name)
        if j == 0:
            axes.set_ylabel(title)
    figure.tight_layout()
    return _save(figure, path)


def codebook_values(values, sizes, usage, row_labels, path):
    """Each latent's codebook values (row i: values[i, :sizes[i]]), the dot
    area proportional to how often the value is used (`usage` [K, n], rows
    summing to 1)."""
    figure = _figure(7.0, 1.2 + 0.35 * len(sizes))
    axes = figure.add_subplot()
    for row, size in enumerate(sizes):
        axes.scatter(values[row, :size], np.full(size, row), s=10 + 300 * usage[row, :size],
                     color="tab:blue", alpha=0.7, edgecolors="black", linewidths=0.5)
    axes.set_yticks(range(len(sizes)), row_labels)
    axes.invert_yaxis()
    axes.set_xlabel("codebook value (dot area: share of encoded data)")
    axes.set_title("quantized latents: codebook values")
    figure.tight_layout()
    return _save(figure, path)
