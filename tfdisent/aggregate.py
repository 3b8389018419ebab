"""Collects results/aggregate/*.json files into one mean ± std table.

Runs are grouped by their configuration without seeds: every "<step>_config"
binding (train_config.*, evaluation_config.*, ...) except those naming a
seed (random_seed, seed) must match, so runs that differ only in their seeds
pool into one group, and a different model, hyper-parameter, dataset,
representation or metric setting makes a new group. The table shows the
configuration keys that differ between groups (and the dataset and model
keys), then one row per group and metric: n (finite values), mean, std
(ddof = 1; empty for n < 2). The metrics during training of a model
directory whose results/aggregate/*.json is read come along as
"curves.<metric key>.step_<step>" (value prefix "curves.").
"""

import csv
import glob
import math
import os

import numpy as np

from tfdisent import results
from tfdisent.curves import records as curve_records

SEED_NAMES = ("random_seed", "seed")
# Shown even when every group has the same value: what was trained, on what.
IDENTIFYING_KEYS = ("train_config.dataset.name", "train_config.model.model",
                    "train_config.vae.regularizer")


def aggregate(input_pattern, output, group_by=None,
              value_prefix="evaluation_results."):
    """Reads every file matching `input_pattern`, writes the table; returns
    (header, rows).

    Args:
      output: FILE.csv or FILE.md writes that format; any other name writes
        both FILE.csv and FILE.md.
      group_by: configuration keys to group by (default: all but seeds).
      value_prefix: which numeric results are summarised.
    """
    paths = sorted(glob.glob(input_pattern, recursive=True))
    if not paths:
        raise FileNotFoundError("no results files match %s" % input_pattern)
    header, rows = summarize([with_curves(results.load_aggregate(p), p) for p in paths],
                             group_by, value_prefix)
    base, extension = os.path.splitext(output)
    if extension not in (".csv", ".md"):
        base, extension = output, None
    if extension in (None, ".csv"):
        write_csv(header, rows, base + ".csv")
    if extension in (None, ".md"):
        write_markdown(header, rows, base + ".md")
    return header, rows


def with_curves(record, path):
    """`record` plus the run's metrics during training as
    "curves.<metric key>.step_<step, 7 digits>" when `path` is a model
    directory's results/aggregate/<step>.json (summarise them with
    value_prefix "curves.")."""
    model_dir = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(path))))
    record = dict(record)
    for r in curve_records.read(model_dir):
        record["curves.%s.step_%07d" % (r["metric"], r["step"])] = r["value"]
    return record


def summarize(records, group_by=None, value_prefix="evaluation_results."):
    """Groups flat result dicts and summarises their values.

    Returns:
      header: [*label keys, "metric", "n", "mean", "std"];
      rows: one list per (group, metric), groups and metrics sorted.
    """
    groups = {}
    for record in records:
        groups.setdefault(_group_key(record, group_by), []).append(record)
    labels = group_by or _label_keys(list(groups))
    names = _display_names(labels)
    header = names + ["metric", "n", "mean", "std"]
    rows = []
    for key, members in sorted(groups.items()):
        config = dict(key)
        metrics = {k for r in members for k, v in r.items()
                   if _is_value(k, v, value_prefix)}
        for metric in sorted(metrics):
            values = np.array([r[metric] for r in members
                               if metric in r and _is_finite(r[metric])], dtype=float)
            rows.append([config.get(label, "") for label in labels] + [
                    metric[len(value_prefix):], len(values),
                    float(values.mean()) if len(values) else float("nan"),
                    float(values.std(ddof=1)) if len(values) > 1 else None])
    return header, rows


def _group_key(record, group_by):
    keys = group_by if group_by is not None else filter(is_config_key, record)
    return tuple(sorted((k, str(record.get(k, ""))) for k in keys))


def is_config_key(key):
    """A "<step>_config.<binding>" key that is not a seed."""
    stem, _, binding = key.partition(".")
    return stem.endswith("_config") and binding.rsplit(".", 1)[-1] not in SEED_NAMES


def _is_value(key, value, prefix):
    return (key.startswith(prefix) and not key.endswith(("elapsed_time", "uuid"))
            and isinstance(value, (int, float)) and not isinstance(value, bool))


def _is_finite(value):
    return isinstance(value, (int, float)) and math.isfinite(value)


def _label_keys(group_keys):
    """Configuration keys whose value is not the same in every group, and
    the identifying keys present."""
    configs = [dict(key) for key in group_keys]
    keys = sorted({k for c in configs for k in c})
    return [k for k in keys if k in IDENTIFYING_KEYS
            or len({c.get(k) for c in configs}) > 1]


def _display_names(keys):
    """Keys without their "<step>_config." prefix where that stays unique."""
    short = [k.partition(".")[2] for k in keys]
    return [s if short.count(s) == 1 else k for s, k in zip(short, keys)]


def write_csv(header, rows, path):
    _make_parent(path)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows([["" if v is None else v for v in row] for row in rows])


def write_markdown(header, rows, path):
    """A Markdown table with "mean ± std" in one column."""
    columns = header[:-2] + ["mean ± std"]
    lines = ["| %s |" % " | ".join(columns),
             "|%s|" % "|".join("---" for _ in columns)]
    for row in rows:
        mean, std = row[-2], row[-1]
        cell = "%.4f ± %s" % (mean, "—" if std is None else "%.4f" % std)
        lines.append("| %s |" % " | ".join([_cell(v) for v in row[:-2]] + [cell]))
    _make_parent(path)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def _cell(value):
    return str(value).replace("|", "\\|")


def _make_parent(path):
    parent = os.path.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
