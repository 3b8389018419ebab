"""MODEL_DIR/results/curves.jsonl: one JSON object per line and metric key,
{"step", "metric", "value", "wall_seconds"}, appended as the training's
snapshots are scored. No TensorFlow: reports read it anywhere."""

import json
import os

CURVES_FILE = os.path.join("results", "curves.jsonl")


def curves_path(model_dir):
    return os.path.join(model_dir, CURVES_FILE)


def read(model_dir):
    """Every record of the run, in file order ([] when it has none). A line
    cut short by a kill (the last one) is skipped."""
    path = curves_path(model_dir)
    if not os.path.isfile(path):
        return []
    records = []
    with open(path) as f:
        for line in f:
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return records


def scored_steps(model_dir):
    return {r["step"] for r in read(model_dir)}


def append(model_dir, step, scores, wall_seconds):
    """Appends the numeric `scores` ({metric key: value}) of `step` in one
    write; returns the records written."""
    records = [dict(step=int(step), metric=key, value=float(value),
                    wall_seconds=float(wall_seconds))
               for key, value in sorted(scores.items())
               if isinstance(value, (int, float)) and not isinstance(value, bool)]
    path = curves_path(model_dir)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "a") as f:
        f.write("".join(json.dumps(r) + "\n" for r in records))
    return records


def series(records):
    """{metric key: ([steps], [values])}, steps ascending."""
    table = {}
    for r in sorted(records, key=lambda r: r["step"]):
        steps, values = table.setdefault(r["metric"], ([], []))
        steps.append(r["step"])
        values.append(r["value"])
    return table


def last_scores(records):
    """{metric key: value} at the last scored step, and that step (None)."""
    if not records:
        return {}, None
    last = max(r["step"] for r in records)
    return {r["metric"]: r["value"] for r in records if r["step"] == last}, last
