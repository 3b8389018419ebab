"""What the cpu_sanity study showed on every seed with margin, trained again.

Out of the default run (it trains the cpu_sanity runs it needs: about
35 minutes on 2 cores). Run it with

    TFDISENT_EVIDENCE=1 python -m pytest -q tests/studies/test_cpu_evidence.py

and TFDISENT_EVIDENCE_DIR=DIR to reuse (or fill) a study directory, e.g. the
one docs/results/cpu_sanity.md was made from: finished runs are not redone.
Each claim below held on every seed of docs/results/cpu_sanity.md.
"""

import json
import os

import pytest

from tfdisent import studies
from tfdisent.studies import runner
from tests.subprocess_utils import run_bin

pytestmark = pytest.mark.skipif(os.environ.get("TFDISENT_EVIDENCE") != "1",
                                reason="trains for minutes: set TFDISENT_EVIDENCE=1")

STUDY = studies.get("cpu_sanity")

# (dataset, better model, worse model, metric key in the "sanity" results, margin)
CLAIMS = [
    ("xy_square", "QLAE", "AE", "dci.disentanglement", 0.05),
    ("xy_square", "QLAE", "AE", "infomec.infom", 0.2),
    ("sprites", "β-TCVAE", "AE", "infomec.infom", 0.05),
    ("sprites", "β-TCVAE", "AE", "infomec.infoc", 0.05),
    ("sprites", "β-VAE", "AE", "infomec.infoc", 0.03),
    ("sprites", "β-TCVAE", "AE", "factor_vae_score.eval_accuracy", 0.05),
]


def _indices(dataset, model):
    return [i for i, r in enumerate(STUDY.runs()) if r.dataset == dataset and r.model == model]


def _value(output_dir, index, key):
    run = STUDY.runs()[index]
    path = os.path.join(runner.run_directory(output_dir, STUDY, run), "metrics", "sanity",
                        "results", "aggregate", "evaluation.json")
    with open(path) as f:
        return json.load(f)["evaluation_results." + key]


@pytest.fixture(scope="module")
def study_dir(tmp_path_factory):
    output_dir = os.environ.get("TFDISENT_EVIDENCE_DIR") or str(
        tmp_path_factory.mktemp("cpu_sanity"))
    needed = sorted({i for d, better, worse, _, _ in CLAIMS
                     for i in _indices(d, better) + _indices(d, worse)})
    done = run_bin("study", "--study=cpu_sanity", "--all", "--parallel=2",
                   "--runs=" + ",".join(map(str, needed)), "--output_dir=" + output_dir,
                   timeout=3 * 3600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return output_dir


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: "%s-%s>%s-%s" % (c[0], c[1], c[2], c[3]))
def test_claim_holds_on_every_seed(study_dir, claim):
    dataset, better, worse, key, margin = claim
    for good, bad in zip(_indices(dataset, better), _indices(dataset, worse)):
        assert STUDY.runs()[good].seed == STUDY.runs()[bad].seed
        assert _value(study_dir, good, key) > _value(study_dir, bad, key) + margin


# --- cpu_evidence (docs/results/cpu_evidence.md) -------------------------------------
# Claims whose verdict was "held" (p < 0.05, one-sided Mann-Whitney U, 5 seeds per row)
# in the committed report; each is trained again (the rows' 10 runs: about an hour on
# 2 cores) and tested the same way. Run with TFDISENT_EVIDENCE=1 (and
# TFDISENT_EVIDENCE_DIR=DIR to reuse or fill a study directory).

EVIDENCE = studies.get("cpu_evidence")
# (dataset, first row, second row, column, direction)
HELD = [
    ("shapes3d", "β-TCVAE", "VAE", "MIG", "greater"),       # p = 0.008
    ("shapes3d", "β-TCVAE", "VAE", "DCI-D", "greater"),     # p = 0.004
    ("shapes3d", "β-VAE", "VAE", "DCI-D", "greater"),       # p = 0.008
]


def _evidence_indices(dataset, models):
    return [i for i, r in enumerate(EVIDENCE.runs())
            if r.dataset == dataset and r.model in models]


@pytest.fixture(scope="module")
def evidence_dir(tmp_path_factory):
    output_dir = os.environ.get("TFDISENT_EVIDENCE_DIR") or str(
        tmp_path_factory.mktemp("cpu_evidence"))
    needed = sorted({i for dataset, first, second, _, _ in HELD
                     for i in _evidence_indices(dataset, (first, second))})
    done = run_bin("study", "--study=cpu_evidence", "--all", "--parallel=2",
                   "--runs=" + ",".join(map(str, needed)), "--output_dir=" + output_dir,
                   timeout=6 * 3600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return output_dir


@pytest.mark.parametrize("claim", HELD, ids=lambda c: "%s:%s-vs-%s-%s" % c[:4])
def test_the_claims_that_held_hold_again(evidence_dir, claim):
    from tfdisent.studies import claims, report
    from tfdisent.studies.study import Claim
    dataset, first, second, column, direction = claim
    rows = {r.model: r for r in report.select_rows(EVIDENCE, report.collect(EVIDENCE,
                                                                           evidence_dir))
            if r.dataset == dataset}
    verdict = claims.test_claim(Claim(first, second, column, direction),
                                rows[first].values(column), rows[second].values(column))
    assert verdict.n == (5, 5) and verdict.verdict == "held", verdict
