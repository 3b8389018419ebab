"""Finding a model's evaluation results (written by bin/evaluate) and the
metric scores in them."""

import math
import os

from tfdisent import results

RESULTS_FILE = os.path.join("results", "json", "evaluation_results.json")
# Result keys that are not scores (their last dotted name).
NOT_SCORES = ("elapsed_time", "uuid", "error")
# Model-directory entries that never hold evaluations.
NOT_SEARCHED = ("checkpoints", "saved_model", "logs", "visualizations", "results")


def find_results(model_dir, evaluation_dirs=()):
    """Paths of evaluation_results.json files: those of `evaluation_dirs`
    (each a bin/evaluate --output_dir), or else every one found below
    `model_dir` (e.g. MODEL_DIR/metrics/mig/results/...), sorted."""
    if evaluation_dirs:
        paths = [os.path.join(d, RESULTS_FILE) for d in evaluation_dirs]
        for d, path in zip(evaluation_dirs, paths):
            if not os.path.isfile(path):
                raise FileNotFoundError("%s is not a bin/evaluate output directory "
                                        "(no %s)" % (d, RESULTS_FILE))
        return paths
    found = []
    for root, dirs, files in os.walk(model_dir):
        if root == model_dir:
            dirs[:] = [d for d in dirs if d not in NOT_SEARCHED]
        if "evaluation_results.json" in files and root.endswith(
                os.path.join("results", "json")):
            found.append(os.path.join(root, "evaluation_results.json"))
    return sorted(found)


def is_score(key, value):
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and key.split(".")[-1] not in NOT_SCORES)


def metric_scores(paths, model_dir):
    """[(label, value)] of every numeric score in the result files; labels
    are the result keys, prefixed by the evaluation directory (relative to
    `model_dir` when inside it) when there are several files."""
    scores = []
    for path in paths:
        evaluation_dir = os.path.dirname(os.path.dirname(os.path.dirname(path)))
        prefix = ""
        if len(paths) > 1:
            relative = os.path.relpath(evaluation_dir, model_dir)
            prefix = (relative if not relative.startswith("..")
                      else os.path.basename(evaluation_dir)) + ": "
        values = results.load_json(path)
        scores.extend((prefix + key, float(value)) for key, value in sorted(values.items())
                      if is_score(key, value))
    return scores
