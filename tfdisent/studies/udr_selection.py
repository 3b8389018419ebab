"""UDR over a study's finished runs: model selection without labels
(`bin/study --udr`), checked against the runs' supervised scores.

Per dataset, every finished run whose SavedModel has posterior variances is
scored by UDR against all the others (gin_configs/metrics/udr.gin unless
other configs are given); runs with deterministic codes (AE, QLAE) are
listed as left out. The Spearman rank correlation between the runs' UDR and
each column of the study's table says how well UDR ranks the runs as the
labels do. Writes DIR/STUDY/udr/udr.json and udr.md.
"""

import math
import os

import numpy as np
from scipy import stats

from tfdisent import results
from tfdisent.studies import report


def study_udr(study, output_dir, dataset=None, gin_config_files=("metrics/udr.gin",),
              gin_bindings=()):
    """Scores the finished runs; returns the path of udr.md."""
    from tfdisent import udr  # TensorFlow: the SavedModels are loaded
    records = [r for r in report.collect(study, output_dir, dataset) if r.state == "done"]
    summary = {}
    for name in sorted({r.run.dataset for r in records},
                       key=[r.run.dataset for r in records].index):
        used, functions, left_out = [], [], {}
        for record in (r for r in records if r.run.dataset == name):
            try:
                functions.append(udr.GaussianCodes(os.path.join(record.run_dir, "saved_model")))
                used.append(record)
            except (ValueError, FileNotFoundError) as e:
                left_out[record.run.name] = str(e).split(":")[0]
        if len(used) < 2:
            summary[name] = {"left_out": left_out, "note": "fewer than two models to compare"}
            continue
        scores = udr.score_with_gin(functions, used[0].run_dir, gin_config_files, gin_bindings)
        udr_values = scores["model_scores"]
        summary[name] = {
            "runs": {r.run.name: dict(model=r.run.model, udr=u, **{
                c: v for c, v in r.values.items() if math.isfinite(v)})
                for r, u in zip(used, udr_values)},
            "spearman_with_udr": rank_agreement(used, udr_values, study.columns),
            "left_out": left_out,
        }
    directory = os.path.join(output_dir, study.name, "udr")
    os.makedirs(directory, exist_ok=True)
    results.save_json(summary, os.path.join(directory, "udr.json"))
    path = os.path.join(directory, "udr.md")
    with open(path, "w") as f:
        f.write(markdown(study, summary))
    return path


def rank_agreement(records, udr_values, columns):
    """{column: (Spearman rho, two-sided p, n)} between UDR and the column
    over the runs that have a value."""
    agreement = {}
    for column in columns:
        pairs = [(u, r.values.get(column.name, float("nan")))
                 for r, u in zip(records, udr_values)]
        pairs = [(u, v) for u, v in pairs if math.isfinite(v)]
        if len(pairs) < 3 or min(np.ptp(side) for side in zip(*pairs)) == 0:
            continue  # too few runs, or one side constant: no ranking to compare
        rho, p = stats.spearmanr(*zip(*pairs))
        agreement[column.name] = (float(rho), float(p), len(pairs))
    return agreement


def markdown(study, summary):
    lines = ["# UDR over the finished runs of `%s`" % study.name, "",
             "Each run is scored by UDR (unsupervised, gin_configs/metrics/udr.gin: Lasso, "
             "1 000 points) against the other runs of its dataset; the Spearman rank "
             "correlation between UDR and a supervised score says whether UDR ranks the "
             "runs as the labels do.", ""]
    for name, part in summary.items():
        lines += ["## %s" % name, ""]
        if "runs" not in part:
            lines += ["Not scored: %s." % part["note"], ""]
        else:
            lines += ["| metric | Spearman ρ with UDR | p (two-sided) | runs |",
                      "|---|---|---|---|"]
            lines += ["| %s | %+.3f | %.3g | %d |" % (c, rho, p, n)
                      for c, (rho, p, n) in part["spearman_with_udr"].items()]
            lines += ["", "| run | model | UDR |", "|---|---|---|"]
            lines += ["| %s | %s | %.3f |" % (run, values["model"], values["udr"])
                      for run, values in sorted(part["runs"].items(),
                                                key=lambda item: -item[1]["udr"])]
            lines.append("")
        if part["left_out"]:
            lines += ["Left out (no posterior variances or no SavedModel): %s." % ", ".join(
                "`%s`" % run for run in sorted(part["left_out"])), ""]
    return "\n".join(lines)
