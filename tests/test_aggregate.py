"""bin/aggregate: grouping without seeds, mean ± std, CSV and Markdown."""

import csv
import json
import math
import os
import subprocess
import sys

import pytest

from tfdisent import aggregate

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _record(model, beta, seed, mig, infoc=None):
    record = {
        "train_config.model.model": model, "train_config.vae.beta": beta,
        "train_config.model.random_seed": str(seed),
        "train_config.dataset.name": "'sprites'",
        "evaluation_config.evaluation.random_seed": str(seed + 100),
        "evaluation_results.mig.discrete_mig": mig,
        "evaluation_results.mig.elapsed_time": 3.0,
        "evaluation_results.uuid": "x",
        "train_results.loss": 10.0,
    }
    if infoc is not None:
        record["evaluation_results.infomec.infoc"] = infoc
    return record


def _write_runs(root, records):
    for i, record in enumerate(records):
        path = root / ("run%d" % i) / "results" / "aggregate" / "evaluation.json"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(record))
    return str(root / "run*" / "results" / "aggregate" / "evaluation.json")


RUNS = [_record("@vae()", "1.0", s, m, c) for s, m, c in
        [(0, 0.1, 0.5), (1, 0.2, float("nan")), (2, 0.3, 0.7)]] + \
       [_record("@vae()", "4.0", s, m) for s, m in [(0, 0.5), (1, 0.7)]] + \
       [_record("@beta_tc_vae()", "4.0", 0, 0.9)]


def test_groups_pool_seeds_and_show_only_varying_keys():
    header, rows = aggregate.summarize(RUNS)
    # Keys that vary, and the identifying dataset / model keys.
    assert header == ["dataset.name", "model.model", "vae.beta", "metric", "n",
                      "mean", "std"]
    assert {row[0] for row in rows} == {"'sprites'"}
    table = {tuple(row[1:4]): row[4:] for row in rows}
    assert set(table) == {
            ("@beta_tc_vae()", "4.0", "mig.discrete_mig"),
            ("@vae()", "1.0", "infomec.infoc"), ("@vae()", "1.0", "mig.discrete_mig"),
            ("@vae()", "4.0", "mig.discrete_mig")}
    n, mean, std = table[("@vae()", "1.0", "mig.discrete_mig")]
    assert n == 3 and mean == pytest.approx(0.2) and std == pytest.approx(0.1)
    assert table[("@vae()", "1.0", "infomec.infoc")] == [2, pytest.approx(0.6),
                                                          pytest.approx(math.sqrt(0.02))]
    n, mean, std = table[("@vae()", "4.0", "mig.discrete_mig")]
    assert n == 2 and mean == pytest.approx(0.6) and std == pytest.approx(math.sqrt(0.02))
    assert table[("@beta_tc_vae()", "4.0", "mig.discrete_mig")] == [1, 0.9, None]


def test_group_by_and_other_values():
    header, rows = aggregate.summarize(RUNS, group_by=["train_config.vae.beta"],
                                       value_prefix="train_results.")
    assert header == ["vae.beta", "metric", "n", "mean", "std"]
    assert [row[:4] for row in rows] == [["1.0", "loss", 3, 10.0], ["4.0", "loss", 3, 10.0]]


def test_writes_csv_and_markdown(tmp_path):
    pattern = _write_runs(tmp_path / "runs", RUNS)
    aggregate.aggregate(pattern, str(tmp_path / "table"))
    with open(tmp_path / "table.csv") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["dataset.name", "model.model", "vae.beta", "metric", "n",
                       "mean", "std"]
    assert rows[1] == ["'sprites'", "@beta_tc_vae()", "4.0", "mig.discrete_mig", "1",
                       "0.9", ""]
    markdown = (tmp_path / "table.md").read_text().splitlines()
    assert markdown[0] == ("| dataset.name | model.model | vae.beta | metric | n "
                           "| mean ± std |")
    assert markdown[1] == "|---|---|---|---|---|---|"
    assert ("| 'sprites' | @vae() | 1.0 | mig.discrete_mig | 3 | 0.2000 ± 0.1000 |"
            in markdown)
    assert ("| 'sprites' | @beta_tc_vae() | 4.0 | mig.discrete_mig | 1 | 0.9000 ± — |"
            in markdown)

    aggregate.aggregate(pattern, str(tmp_path / "only.md"))
    assert (tmp_path / "only.md").exists() and not (tmp_path / "only.csv").exists()


def test_no_matching_file_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no results files match"):
        aggregate.aggregate(str(tmp_path / "*.json"), str(tmp_path / "t"))


def test_bin_aggregate(tmp_path):
    pattern = _write_runs(tmp_path / "runs", RUNS)
    command = [sys.executable, os.path.join(REPO, "bin", "aggregate"),
               "--input=" + pattern, "--output=%s" % (tmp_path / "t.csv")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "t.csv").read_text().count("\n") == 5
    missing = subprocess.run(command[:2] + ["--input=%s/none*" % tmp_path,
                                            "--output=x.csv"],
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines()[-1].startswith(
            "error: FileNotFoundError: no results files match")


def test_curves_of_model_directories_pool_by_step(tmp_path):
    from tfdisent.curves import records
    pattern = _write_runs(tmp_path, RUNS[:3])
    for run, mig in ((0, 0.2), (1, 0.4), (2, 0.9)):
        records.append(str(tmp_path / ("run%d" % run)), 1000, {"mig.discrete_mig": mig}, 60.0)
        records.append(str(tmp_path / ("run%d" % run)), 200, {"mig.discrete_mig": 0.1}, 12.0)
    header, rows = aggregate.aggregate(pattern, str(tmp_path / "curves.csv"),
                                       value_prefix="curves.")
    table = {row[header.index("metric")]: row for row in rows}
    assert list(table) == ["mig.discrete_mig.step_0000200", "mig.discrete_mig.step_0001000"]
    late = table["mig.discrete_mig.step_0001000"]
    assert late[header.index("n")] == 3 and late[header.index("mean")] == pytest.approx(0.5)
