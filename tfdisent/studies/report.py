"""Pools a study's runs into its paper's table: DIR/STUDY/report/.

Reads only what the runs left on disk (study_status.json and the metric
results), so it can run on another machine after the runs. Per dataset: one
row per model (at the selected setting), one column per metric, each cell
mean ± std over the finished runs (ddof = 1) with its number of values;
every run is counted as done, failed, unfinished (started, no status: running
or killed) or missing (never started). Writes report.md, report.csv and one
PNG per dataset and metric (a box per row, the runs as points).
"""

import csv
import math
import os

import numpy as np

from tfdisent.curves import records as curve_records
from tfdisent.results import load_json
from tfdisent.studies import claims, runner
from tfdisent.studies.study import slug

STATES = ("done", "failed", "unfinished", "missing")


class RunRecord:
    """A run, its state on disk, its column values (NaN when absent), its
    metrics-during-training records and its directory."""

    def __init__(self, run, state, values, status, curves=(), run_dir=None):
        self.run, self.state, self.values, self.status = run, state, values, status
        self.curves, self.run_dir = list(curves), run_dir


def collect(study, output_dir, dataset=None):
    """A RunRecord per run of the study, in run order."""
    records = []
    files = {m.label: m.aggregate_file for m in study.metrics}
    for run in study.runs(dataset):
        run_dir = runner.run_directory(output_dir, study, run)
        status = runner.read_status(run_dir)
        if status is not None:
            state = status["state"]
        else:
            state = "unfinished" if os.path.isdir(run_dir) else "missing"
        done = state == "done"
        values = {c.name: _value(os.path.join(run_dir, files[c.metric]), c)
                  for c in study.columns} if done else {}
        records.append(RunRecord(run, state, values, status or {},
                                 curve_records.read(run_dir) if done else (), run_dir))
    return records


def _value(path, column):
    """`column`'s value in the aggregate results at `path` (nan if absent)."""
    if not os.path.isfile(path):
        return float("nan")
    value = load_json(path).get(column.result_key)
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return float("nan")
    return float(value) * column.scale


class Row:
    """One table row: a model at one setting, and its runs."""

    def __init__(self, dataset, model, setting, records, note=""):
        self.dataset, self.model, self.setting = dataset, model, setting
        self.records, self.note = records, note

    def counts(self):
        return {s: sum(r.state == s for r in self.records) for s in STATES}

    def values(self, column):
        return np.array([r.values[column] for r in self.records if r.state == "done"
                         and math.isfinite(r.values.get(column, float("nan")))])

    def summary(self, column):
        """(number of values, mean, std or None)."""
        values = self.values(column)
        if not len(values):
            return 0, float("nan"), None
        return (len(values), float(values.mean()),
                float(values.std(ddof=1)) if len(values) > 1 else None)


def select_rows(study, records):
    """Rows per the study's selection rule, datasets and models in run order."""
    groups = {}
    for record in records:
        run = record.run
        groups.setdefault((run.dataset, run.model), {}).setdefault(
            run.setting, []).append(record)
    rows = []
    selection = study.selection
    for (dataset, model), settings in groups.items():
        if selection.kind == "all":
            rows += [Row(dataset, model, s, rs) for s, rs in settings.items()]
        elif selection.kind == "fixed":
            setting = selection.settings.get(model, next(iter(settings)))
            if setting not in settings:
                raise ValueError("study %s selects %r for %s, which it does not run"
                                 % (study.name, setting, model))
            rows.append(Row(dataset, model, setting, settings[setting]))
        else:
            rows.append(_best(dataset, model, settings, selection.column))
    return rows


def _best(dataset, model, settings, column):
    scored = [(Row(dataset, model, s, rs).summary(column)[1], i, s)
              for i, (s, rs) in enumerate(settings.items())]
    finite = [t for t in scored if math.isfinite(t[0])]
    if not finite:
        setting = next(iter(settings))
        return Row(dataset, model, setting, settings[setting],
                   note="no finished run to select by %s" % column)
    _, _, setting = max(finite, key=lambda t: (t[0], -t[1]))
    note = "best mean %s of %d settings" % (column, len(settings)) \
        if len(settings) > 1 else ""
    return Row(dataset, model, setting, settings[setting], note=note)


# --- writing --------------------------------------------------------------------

def write_report(study, output_dir, dataset=None, report_path=None):
    """Writes the report; returns the path of its markdown.

    Default: DIR/STUDY/report/{report.md, report.csv, *.png}. With
    `report_path` (e.g. docs/results/NAME.md) the markdown goes there and the
    CSV and pictures into the directory beside it named after it (NAME/)."""
    records = collect(study, output_dir, dataset)
    rows = select_rows(study, records)
    if report_path:
        path = report_path
        report_dir = os.path.splitext(report_path)[0]
    else:
        report_dir = os.path.join(output_dir, study.name, "report")
        path = os.path.join(report_dir, "report.md")
    os.makedirs(report_dir, exist_ok=True)
    pictures = Pictures(os.path.dirname(os.path.abspath(path)))
    plots = {key: pictures.link(os.path.join(report_dir, name))
             for key, name in write_plots(study, rows, report_dir).items()}
    curves = {key: pictures.link(os.path.join(report_dir, name))
              for key, name in write_curve_plots(study, rows, report_dir).items()}
    write_csv(study, rows, os.path.join(report_dir, "report.csv"))
    with open(path, "w") as f:
        f.write(markdown(study, records, rows, plots, curves, pictures))
    return path


class Pictures:
    """Links from the report's markdown to files, relative to its directory."""

    def __init__(self, markdown_dir):
        self.markdown_dir = markdown_dir

    def link(self, path):
        return os.path.relpath(os.path.abspath(path), self.markdown_dir)


def _cell(row, column, scale_digits):
    n, mean, std = row.summary(column)
    if not n:
        return "—"
    text = "%.*f" % (scale_digits, mean)
    if std is not None:
        text += " ± %.*f" % (scale_digits, std)
    return text + " (%d)" % n


def _digits(study):
    return 2 if all(c.scale >= 100 for c in study.columns) else 3


def markdown(study, records, rows, plots, curves=None, pictures=None):
    digits = _digits(study)
    lines = ["# Study `%s`" % study.name, "", study.reproduces, ""]
    if study.notes:
        lines += [study.notes.strip(), ""]
    lines += _provenance_lines(study, records)
    lines += _scale_lines(records)
    lines += ["Selection: %s." % _selection_text(study), "",
              "Each cell: mean ± std over the finished runs (ddof = 1), and in "
              "brackets the number of runs with a value. Runs: done / failed / "
              "unfinished (started, not finished: running or killed) / missing "
              "(not started).", ""]
    for dataset in _ordered({r.dataset for r in rows}, [r.dataset for r in rows]):
        dataset_rows = [r for r in rows if r.dataset == dataset]
        lines += ["## %s" % dataset, ""]
        header = ["Model", "Setting", "Runs"] + [c.name for c in study.columns]
        lines += ["| %s |" % " | ".join(header), "|%s|" % "|".join("---" for _ in header)]
        for row in dataset_rows:
            counts = row.counts()
            runs = "%d / %d / %d / %d" % tuple(counts[s] for s in STATES)
            setting = row.setting or "—"
            if row.note:
                setting += " (%s)" % row.note
            lines.append("| %s |" % " | ".join(
                [row.model, setting, runs] + [_cell(row, c.name, digits)
                                              for c in study.columns]))
        lines.append("")
        published = study.published.get(dataset)
        if published:
            lines += _published_lines(study, dataset_rows, published)
        for column in study.columns:
            name = plots.get((dataset, column.name))
            if name:
                lines.append("![%s on %s](%s)" % (column.name, dataset, name))
        lines.append("")
        lines += _curve_lines(dataset, curves or {})
    for comparison in study.comparisons:
        lines += comparison_lines(study, comparison, rows, digits, pictures)
    failed = [r for r in records if r.state == "failed"]
    if failed:
        lines += ["## Failed runs", ""]
        lines += ["- `%s`: %s" % (r.run.name, r.status.get("error", "")) for r in failed]
        lines.append("")
    return "\n".join(lines)


def _provenance_lines(study, records):
    """How the runs were made: the commands, and the code commits they recorded."""
    commits = {}
    for record in records:
        if record.state == "done":
            commit = record.status.get("commit") or "not recorded"
            commits[commit] = commits.get(commit, 0) + 1
    lines = ["The runs and this report come from", "", "```sh",
             "bin/study --study=%s --all --parallel=2 --output_dir=DIR" % study.name,
             "bin/study --study=%s --copy_results=RESULTS --output_dir=DIR" % study.name,
             "bin/study --study=%s --report --output_dir=RESULTS [--report_to=PAGE.md]"
             % study.name, "```", ""]
    if commits:
        lines += ["Code of the finished runs (commit: runs): %s." % ", ".join(
            "%s: %d" % item for item in sorted(commits.items())), ""]
    return lines


def _scale_lines(records):
    scales = sorted({r.status["steps_scale"] for r in records if "steps_scale" in r.status})
    if not scales or scales == [1.0]:
        return ["Training steps: as the study defines them (no --steps_scale).", ""]
    examples = sorted({(r.status["steps"], r.status["paper_steps"]) for r in records
                       if "steps" in r.status})
    return ["**Budget run: training steps scaled by %s** (%s). These are not the "
            "paper's settings; do not read this table as a reproduction of the "
            "published numbers." % (
                ", ".join("%g" % s for s in scales),
                "; ".join("%d of the paper's %d steps" % e for e in examples)), ""]


def _selection_text(study):
    selection = study.selection
    if selection.kind == "all":
        return "every hyper-parameter setting has its own row"
    if selection.kind == "fixed":
        return "the paper's setting per model (%s)" % ", ".join(
            "%s: %s" % kv for kv in selection.settings.items()) if selection.settings \
            else "each model's only setting"
    return "per model, the setting with the best mean %s over its finished runs" \
        % selection.column


def _published_lines(study, rows, published):
    names = [c.name for c in study.columns]
    header = ["Model (published)"] + names
    lines = ["Published (%s):" % study.published_source, "",
             "| %s |" % " | ".join(header), "|%s|" % "|".join("---" for _ in header)]
    for model in _ordered(set(published), [r.model for r in rows] + list(published)):
        values = published[model]
        lines.append("| %s |" % " | ".join([model] + [values.get(n, "—") for n in names]))
    return lines + [""]


def _ordered(items, order):
    seen = []
    for item in order:
        if item in items and item not in seen:
            seen.append(item)
    return seen


def _curve_lines(dataset, curves):
    keys = [key for (d, key) in curves if d == dataset]
    if not keys:
        return []
    lines = ["Metrics during training (mean over the finished runs of each row, the "
             "band from their lowest to their highest value):", ""]
    lines += ["![%s during training on %s](%s)" % (key, dataset, curves[(dataset, key)])
              for key in keys]
    return lines + [""]


def comparison_lines(study, comparison, rows, digits, pictures=None):
    """A comparison's rows, its claims' tests and verdicts, the share of each
    claimed metric's spread the models explain, and a traversal per row."""
    by_model = {r.model: r for r in rows if r.dataset == comparison.dataset}
    chosen = [by_model[m] for m in comparison.rows if m in by_model]
    lines = ["## %s (%s)" % (comparison.name, comparison.dataset), ""]
    if comparison.source:
        lines += ["Claim: %s." % comparison.source, ""]
    if comparison.note:
        lines += ["Setting: %s." % comparison.note, ""]
    names = sorted({c.column for c in comparison.claims},
                   key=[c.name for c in study.columns].index)
    header = ["Row", "Runs"] + names
    lines += ["| %s |" % " | ".join(header), "|%s|" % "|".join("---" for _ in header)]
    for row in chosen:
        counts = row.counts()
        lines.append("| %s |" % " | ".join(
            [row.model, "%d / %d / %d / %d" % tuple(counts[s] for s in STATES)]
            + [_cell(row, n, digits) for n in names]))
    lines += ["", "| Claim | n | difference | p (Mann-Whitney) | p (Welch) | verdict |",
              "|---|---|---|---|---|---|"]
    for claim in comparison.claims:
        first, second = by_model.get(claim.first), by_model.get(claim.second)
        verdict = claims.test_claim(
            claim, first.values(claim.column) if first else [],
            second.values(claim.column) if second else [])
        lines.append("| %s | %d, %d | %s | %s | %s | **%s** |" % (
            _claim_text(claim), verdict.n[0], verdict.n[1],
            "—" if math.isnan(verdict.difference) else "%+.*f" % (digits, verdict.difference),
            claims.format_p(verdict.p_value), claims.format_p(verdict.p_welch),
            verdict.verdict))
    shares = ["%s %.2f" % (n, claims.model_share([r.values(n) for r in chosen]))
              for n in names]
    lines += ["", "Share of each metric's variance between these rows (η²; the rest "
              "is between seeds of one row): %s." % ", ".join(shares), ""]
    if pictures is not None:
        for row in chosen:
            picture = _traversal(row)
            if picture:
                lines.append("![%s: latent traversals of %s](%s)" % (
                    row.model, os.path.basename(os.path.dirname(os.path.dirname(
                        os.path.dirname(picture)))), pictures.link(picture)))
        lines.append("")
    return lines


def _claim_text(claim):
    relation = {"greater": ">", "less": "<", "not_less": "≥ (not lower)",
                "less_variance": "spreads less than"}[claim.direction]
    if claim.direction == "less_variance":
        return "%s %s %s in %s" % (claim.first, relation, claim.second, claim.column)
    return "%s: %s %s %s" % (claim.column, claim.first, relation, claim.second)


TRAVERSAL = os.path.join("visualizations", "traversals", "conf_interval_0.png")


def _traversal(row):
    """The traversal picture of the row's first finished run that has one."""
    for record in row.records:
        if record.state == "done" and record.run_dir:
            path = os.path.join(record.run_dir, TRAVERSAL)
            if os.path.isfile(path):
                return path
    return None


def write_curve_plots(study, rows, report_dir):
    """One PNG per dataset and curve metric (the study's column keys where
    the curves have them, else every key): a line per row, the mean over its
    runs at each scored step, and the band of their range.
    Returns {(dataset, metric key): file name}."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    written = {}
    column_keys = {c.key for c in study.columns}
    for dataset in _ordered({r.dataset for r in rows}, [r.dataset for r in rows]):
        tables = [(row, [curve_records.series(r.curves) for r in row.records if r.curves])
                  for row in rows if row.dataset == dataset]
        tables = [(row, runs) for row, runs in tables if runs]
        keys = sorted({k for _, runs in tables for run in runs for k in run})
        keys = [k for k in keys if k in column_keys] or keys
        for key in keys:
            figure, axis = plt.subplots(figsize=(5.5, 3.6))
            for row, runs in tables:
                steps, low, mean, high = _band([run[key] for run in runs if key in run])
                if not len(steps):
                    continue
                line, = axis.plot(steps, mean, label="%s (%d)" % (
                    row.model, sum(key in run for run in runs)))
                axis.fill_between(steps, low, high, color=line.get_color(), alpha=0.2)
            axis.set_xlabel("training step")
            axis.set_ylabel(key)
            axis.set_title("%s: %s during training on %s" % (study.name, key, dataset),
                           fontsize=9)
            axis.legend(fontsize=7)
            figure.tight_layout()
            name = "%s_curve_%s.png" % (slug(dataset), slug(key))
            figure.savefig(os.path.join(report_dir, name), dpi=100)
            plt.close(figure)
            written[(dataset, key)] = name
    return written


def _band(series):
    """(steps, min, mean, max) over runs at the steps every run has."""
    if not series:
        return np.array([]), None, None, None
    common = sorted(set.intersection(*[set(steps) for steps, _ in series]))
    values = np.array([[dict(zip(steps, vals))[s] for s in common] for steps, vals in series])
    return np.array(common), values.min(0), values.mean(0), values.max(0)


def write_csv(study, rows, path):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["dataset", "model", "setting", "selection_note", "metric",
                         "n_values", "mean", "std", "runs_done", "runs_failed",
                         "runs_unfinished", "runs_missing", "published"])
        for row in rows:
            counts = row.counts()
            for column in study.columns:
                n, mean, std = row.summary(column.name)
                paper = study.published.get(row.dataset, {}).get(row.model, {}).get(
                    column.name, "")
                writer.writerow([row.dataset, row.model, row.setting, row.note,
                                 column.name, n, "" if not n else mean,
                                 "" if std is None else std] +
                                [counts[s] for s in STATES] + [paper])


def write_plots(study, rows, report_dir):
    """One PNG per dataset and column: a box per row, its runs as points.
    Returns {(dataset, column): file name}."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    written = {}
    for dataset in _ordered({r.dataset for r in rows}, [r.dataset for r in rows]):
        dataset_rows = [r for r in rows if r.dataset == dataset]
        for column in study.columns:
            data = [row.values(column.name) for row in dataset_rows]
            if not any(len(d) for d in data):
                continue
            labels = [row.model + ("\n" + row.setting if row.setting and
                                   study.selection.kind == "all" else "")
                      for row in dataset_rows]
            figure, axis = plt.subplots(figsize=(max(4.0, 1.1 * len(data)), 3.6))
            axis.boxplot([d if len(d) else [np.nan] for d in data], widths=0.5)
            jitter = np.random.RandomState(0)
            for i, values in enumerate(data, start=1):
                axis.plot(i + jitter.uniform(-0.08, 0.08, len(values)), values, "o",
                          color="tab:blue", alpha=0.7, markersize=4)
            axis.set_xticks(range(1, len(labels) + 1), labels, rotation=30, ha="right",
                            fontsize=8)
            axis.set_ylabel(column.name)
            axis.set_title("%s: %s on %s" % (study.name, column.name, dataset))
            figure.tight_layout()
            name = "%s_%s.png" % (slug(dataset), slug(column.name))
            figure.savefig(os.path.join(report_dir, name), dpi=100)
            plt.close(figure)
            written[(dataset, column.name)] = name
    return written
