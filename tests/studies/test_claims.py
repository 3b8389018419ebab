"""Claims in study reports: the one-sided tests and verdicts on known values,
and a report (claims, curves, traversals) rebuilt from copied result files."""

import json
import os

import numpy as np
import pytest
from PIL import Image
from scipy import stats

from tfdisent.curves import records
from tfdisent.studies import claims, report, runner
from tfdisent.studies.study import Claim, Column, Comparison, MetricConfig, Study, sweep

LOW, HIGH = [0.1, 0.2, 0.3, 0.4, 0.5], [0.6, 0.7, 0.8, 0.9, 1.0]


def test_separated_rows_give_the_smallest_exact_p_and_the_verdicts():
    held = claims.test_claim(Claim("a", "b", "MIG"), HIGH, LOW)
    assert held.p_value == pytest.approx(1 / 252) and held.verdict == "held"
    assert held.difference == pytest.approx(0.5) and held.n == (5, 5)
    reversed_ = claims.test_claim(Claim("a", "b", "MIG"), LOW, HIGH)
    assert reversed_.verdict == "reversed" and reversed_.p_opposite == pytest.approx(1 / 252)
    mixed = claims.test_claim(Claim("a", "b", "MIG"), [0.1, 0.9, 0.5, 0.3, 0.7],
                              [0.2, 0.8, 0.4, 0.6, 0.5])
    assert mixed.verdict == "not held"
    lower_is_claimed = claims.test_claim(Claim("a", "b", "Recon", "less"), LOW, HIGH)
    assert lower_is_claimed.verdict == "held"


def test_welch_p_is_the_one_sided_t_tail():
    a, b = np.array(HIGH), np.array([0.5, 0.9, 0.2, 0.7, 0.4])
    va, vb = a.var(ddof=1) / 5, b.var(ddof=1) / 5
    t = (a.mean() - b.mean()) / np.sqrt(va + vb)
    df = (va + vb) ** 2 / (va ** 2 / 4 + vb ** 2 / 4)
    verdict = claims.test_claim(Claim("a", "b", "MIG"), a, b)
    assert verdict.p_welch == pytest.approx(stats.t.sf(t, df))


def test_non_inferiority_and_spread_claims():
    assert claims.test_claim(Claim("a", "b", "E", "not_less"), LOW, HIGH).verdict == "not held"
    assert claims.test_claim(Claim("a", "b", "E", "not_less"), HIGH, LOW).verdict == "held"
    tight = [0.50, 0.51, 0.49, 0.50, 0.50]
    wide = [0.1, 0.9, 0.3, 0.7, 0.5]
    spread = claims.test_claim(Claim("a", "b", "MIG", "less_variance"), tight, wide)
    ratio = np.var(tight, ddof=1) / np.var(wide, ddof=1)
    assert spread.p_value == pytest.approx(stats.f.cdf(ratio, 4, 4))
    assert spread.verdict == "held"
    assert claims.test_claim(Claim("a", "b", "MIG", "less_variance"), wide,
                             tight).verdict == "reversed"


def test_too_few_runs_and_equal_values():
    # 2 against 5 separated runs would give p = 1/21 < 0.05: no verdict below 5 runs.
    assert claims.test_claim(Claim("a", "b", "MIG"), [0.8, 0.9], LOW).verdict == "too few runs"
    same = claims.test_claim(Claim("a", "b", "MIG"), [0.2] * 5, [0.2] * 5)
    assert same.verdict == "not held" and same.p_value == 1.0
    with pytest.raises(ValueError, match="direction"):
        Claim("a", "b", "MIG", "bigger")


def test_model_share_is_the_between_rows_share_of_the_variance():
    assert claims.model_share([[0.0, 0.0], [1.0, 1.0]]) == pytest.approx(1.0)
    assert claims.model_share([[0.0, 1.0], [0.0, 1.0]]) == pytest.approx(0.0)
    # Between: 2·(0.5)² + 2·(0.5)² = 1; total: 1 + 2·0.5² ... computed by hand.
    values = [[0.0, 1.0], [1.0, 2.0]]
    total = sum((v - 1.0) ** 2 for g in values for v in g)
    assert claims.model_share(values) == pytest.approx(1.0 / total)


def _study():
    runs = (sweep("base", ["beta_vae.gin"], 10, range(5), "xy_square")
            + sweep("method", ["beta_vae.gin"], 10, range(5), "xy_square"))
    return Study(
        name="claims_demo", reproduces="a fake study", default_dataset="xy_square",
        runs_for=lambda dataset: runs,
        metrics=(MetricConfig("m", ("metrics/mig.gin",)),),
        columns=(Column("MIG", "m", "discrete_mig"),
                 Column("Recon", "m", "reconstruction_loss", step="train")),
        comparisons=(Comparison("method against base", "xy_square", ("base", "method"),
                                (Claim("method", "base", "MIG"),
                                 Claim("method", "base", "Recon", "less")),
                                source="a paper", note="tiny"),))


def _fake_runs(study, output_dir):
    for index, run in enumerate(study.runs()):
        run_dir = runner.run_directory(output_dir, study, run)
        better = run.model == "method"
        aggregate = os.path.join(run_dir, "metrics", "m", "results", "aggregate")
        os.makedirs(aggregate)
        with open(os.path.join(aggregate, "evaluation.json"), "w") as f:
            json.dump({"evaluation_results.discrete_mig": (0.5 if better else 0.1)
                       + 0.01 * run.seed,
                       "train_results.reconstruction_loss": 100.0 - 10 * better + run.seed},
                      f)
        for step in (5, 10):
            records.append(run_dir, step, {"mig.discrete_mig": step / 20 * (1 + better)},
                           step * 2.0)
        runner.write_status(run_dir, runner.DONE, run, index, 1.0)
        os.makedirs(os.path.join(run_dir, "checkpoints"))  # not copied
        if run.seed == 1:
            picture = os.path.join(run_dir, report.TRAVERSAL)
            os.makedirs(os.path.dirname(picture))
            Image.fromarray(np.zeros((4, 4), np.uint8)).save(picture)


def test_the_report_tests_the_claims_from_copied_results(tmp_path):
    study = _study()
    _fake_runs(study, str(tmp_path / "runs"))
    assert runner.copy_results(study, str(tmp_path / "runs"), str(tmp_path / "kept")) == 10
    kept = os.path.join(str(tmp_path / "kept"), study.name)
    assert not os.path.exists(os.path.join(kept, study.runs()[0].name, "checkpoints"))
    path = report.write_report(study, str(tmp_path / "kept"),
                               report_path=str(tmp_path / "docs" / "demo.md"))
    text = open(path).read()
    # 5 against 5 separated runs: exact one-sided p = 1/252.
    assert "| MIG: method > base | 5, 5 | +0.400 | 0.004 |" in text
    assert "| Recon: method < base | 5, 5 | -10.000 | 0.004 |" in text
    assert text.count("**held**") == 2
    assert "Share of each metric's variance between these rows (η²" in text
    assert "![mig.discrete_mig during training on xy_square](demo/xy_square_curve_mig." \
           "discrete_mig.png)" in text
    assert os.path.isfile(tmp_path / "docs" / "demo" / "xy_square_curve_mig.discrete_mig.png")
    assert os.path.isfile(tmp_path / "docs" / "demo" / "report.csv")
    for model in ("base", "method"):
        assert ("![%s: latent traversals of xy_square-%s-seed1](../kept/claims_demo/"
                "xy_square-%s-seed1/visualizations/traversals/conf_interval_0.png)"
                % (model, model, model)) in text
    original = report.write_report(study, str(tmp_path / "runs"))
    assert "| MIG: method > base | 5, 5 | +0.400 | 0.004 |" in open(original).read()
