"""The nine GLUE tasks from the standard TSV files on disk, and their metrics.

Column positions, label sets and metrics follow the standard GLUE processors
(``transformers.data.processors.glue`` / ``glue_compute_metrics``): tab
separated, no quoting, a header row except CoLA, the label in the last
column where the processors read ``line[-1]``.
"""

import csv
import os
from typing import NamedTuple, Optional

import numpy as np
from scipy import stats
from sklearn import metrics as sk_metrics

GLUE_SOURCE = "https://gluebenchmark.com/tasks (the GLUE data download script)"


class GlueTask(NamedTuple):
    name: str
    columns: tuple                 # header names, for messages
    text_a: int
    text_b: Optional[int]
    label: int                     # −1 = last column
    labels: Optional[tuple]        # None = regression
    metric: str                    # acc | acc_and_f1 | mcc | pearson_and_spearman
    header: bool = True
    dev_files: tuple = (("dev", "dev.tsv"),)
    skip_short_rows: bool = False  # QQP: the processors skip malformed rows

    @property
    def num_labels(self):
        return len(self.labels) if self.labels else 1

    @property
    def is_regression(self):
        return self.labels is None


_NLI = ("index", "sentence1", "sentence2", "label")
TASKS = {
    "cola": GlueTask("CoLA", ("source", "label", "original label", "sentence"),
                     3, None, 1, ("0", "1"), "mcc", header=False),
    "sst2": GlueTask("SST-2", ("sentence", "label"), 0, None, 1, ("0", "1"), "acc"),
    "mrpc": GlueTask("MRPC", ("Quality", "#1 ID", "#2 ID", "#1 String", "#2 String"),
                     3, 4, 0, ("0", "1"), "acc_and_f1"),
    "stsb": GlueTask("STS-B", ("index", "genre", "filename", "year", "old_index", "source1",
                               "source2", "sentence1", "sentence2", "score"),
                     7, 8, -1, None, "pearson_and_spearman"),
    "qqp": GlueTask("QQP", ("id", "qid1", "qid2", "question1", "question2", "is_duplicate"),
                    3, 4, 5, ("0", "1"), "acc_and_f1", skip_short_rows=True),
    "mnli": GlueTask("MNLI", ("index", "promptID", "pairID", "genre", "sentence1_binary_parse",
                              "sentence2_binary_parse", "sentence1_parse", "sentence2_parse",
                              "sentence1", "sentence2", "label1", "...", "gold_label"),
                     8, 9, -1, ("contradiction", "entailment", "neutral"), "acc",
                     dev_files=(("dev_matched", "dev_matched.tsv"),
                                ("dev_mismatched", "dev_mismatched.tsv"))),
    "qnli": GlueTask("QNLI", ("index", "question", "sentence", "label"),
                     1, 2, -1, ("entailment", "not_entailment"), "acc"),
    "rte": GlueTask("RTE", _NLI, 1, 2, -1, ("entailment", "not_entailment"), "acc"),
    "wnli": GlueTask("WNLI", _NLI, 1, 2, -1, ("0", "1"), "acc"),
}


def get_task(name):
    """Task by name, case- and dash-insensitive (``SST-2``, ``sst2``, ``MNLI-mm`` → MNLI)."""
    key = name.lower().replace("-", "").replace("_", "")
    key = "mnli" if key == "mnlimm" else key
    if key not in TASKS:
        raise ValueError("unknown GLUE task %r; choose one of %s"
                         % (name, ", ".join(t.name for t in TASKS.values())))
    return TASKS[key]


class Examples(NamedTuple):
    text_a: list
    text_b: Optional[list]
    labels: np.ndarray  # int32 class ids, or float32 scores for STS-B


def read_examples(task, path):
    """Reads one GLUE TSV file of `task` (train or dev)."""
    if not os.path.isfile(path):
        raise FileNotFoundError("GLUE %s file not found: %s (the standard GLUE layout, from %s)"
                                % (task.name, path, GLUE_SOURCE))
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    rows = rows[1:] if task.header else rows
    needed = max(task.text_a, task.text_b or 0, task.label) + 1 + (task.label < 0)
    text_a, text_b, labels = [], [], []
    for line_number, row in enumerate(rows, start=2 if task.header else 1):
        if len(row) < needed:
            if task.skip_short_rows:
                continue
            raise ValueError("%s line %d has %d tab-separated columns, a GLUE %s file needs %d "
                             "(%s)" % (path, line_number, len(row), task.name, needed,
                                       ", ".join(task.columns)))
        text_a.append(row[task.text_a])
        if task.text_b is not None:
            text_b.append(row[task.text_b])
        labels.append(_label(task, row[task.label], path, line_number))
    if not labels:
        raise ValueError("%s holds no GLUE %s examples (expected columns: %s)"
                         % (path, task.name, ", ".join(task.columns)))
    dtype = np.float32 if task.is_regression else np.int32
    return Examples(text_a, text_b if task.text_b is not None else None,
                    np.asarray(labels, dtype=dtype))


def _label(task, value, path, line_number):
    if task.is_regression:
        try:
            return float(value)
        except ValueError:
            raise ValueError("%s line %d: score %r is not a number" % (path, line_number, value))
    if value not in task.labels:
        raise ValueError("%s line %d: label %r is not one of the %s labels %s"
                         % (path, line_number, value, task.name, list(task.labels)))
    return task.labels.index(value)


def compute_metrics(task, predictions, labels):
    """GLUE metrics of model outputs ``[N, num_labels]`` (logits, or scores for STS-B)."""
    predictions = np.asarray(predictions)
    labels = np.asarray(labels)
    if task.is_regression:
        scores = predictions.reshape(len(predictions), -1)[:, 0]
        pearson = float(stats.pearsonr(scores, labels)[0])
        spearman = float(stats.spearmanr(scores, labels)[0])
        return {"pearson": pearson, "spearmanr": spearman, "corr": (pearson + spearman) / 2}
    predicted = predictions.argmax(-1)
    if task.metric == "mcc":
        return {"mcc": float(sk_metrics.matthews_corrcoef(labels, predicted))}
    accuracy = float(np.mean(predicted == labels))
    if task.metric == "acc_and_f1":
        f1 = float(sk_metrics.f1_score(labels, predicted))
        return {"acc": accuracy, "f1": f1, "acc_and_f1": (accuracy + f1) / 2}
    return {"acc": accuracy}
