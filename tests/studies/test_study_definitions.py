"""The built-in studies: deterministic run lists, the papers' sweeps, and
every run's gin configuration parses with tfdisent's configurables."""

import re
import subprocess
import sys

import gin
import pytest

from tfdisent import gin_config, studies
from tfdisent.studies.study import Selection, scaled_steps, slug

EXPECTED_RUNS = {"unsupervised_study_v1": 1800, "cfasl": 650, "mipe": 60, "qlae": 35,
                 "deft": 80, "cpu_sanity": 30, "cpu_evidence": 109, "weakly_supervised": 480,
                 "semi_supervised": 5808, "weakly_supervised_cpu": 10,
                 "semi_supervised_cpu": 10, "abstract_reasoning": 180}


def test_every_study_is_registered_with_its_size():
    assert studies.names() == sorted(EXPECTED_RUNS)
    for name, count in EXPECTED_RUNS.items():
        runs = studies.get(name).runs()
        assert len(runs) == count, name
        assert len({r.name for r in runs}) == count, name


def test_unsupervised_study_v1_orders_models_settings_then_seeds():
    runs = studies.get("unsupervised_study_v1").runs("shapes3d")
    assert [r.seed for r in runs[:50]] == list(range(50))
    assert runs[0].model == "β-VAE" and runs[0].setting == "beta=1"
    assert runs[50].setting == "beta=2" and runs[300].model == "AnnealedVAE"
    assert runs[1799].model == "β-TCVAE" and runs[1799].setting == "beta=10"
    assert runs[1799].seed == 49 and all(r.dataset == "shapes3d" for r in runs)
    assert "dip_vae.lambda_od = 50.0" in runs[4 * 300 - 1].bindings


def test_cfasl_sweep_matches_the_readme():
    runs = studies.get("cfasl").runs()
    cfasl_tc = [r for r in runs if r.model == "CFASL (β-TCVAE)"]
    assert len(cfasl_tc) == 4 * 2 * 2 * 10
    assert {r.seed for r in cfasl_tc} == set(range(1, 11))
    settings = {r.setting for r in cfasl_tc}
    assert "beta=6, eps=0.01, threshold=0.5" in settings and len(settings) == 16
    base = [r for r in runs if r.model == "β-TCVAE"]
    assert all("vae.extensions = []" in r.bindings for r in base) and len(base) == 40
    assert all(r.steps == 300000 for r in runs)
    assert all(r.steps == 500000 for r in studies.get("cfasl").runs("shapes3d"))


def test_run_list_is_identical_in_another_process():
    code = ("from tfdisent import studies\n"
            "for r in studies.get('cfasl').runs(): print(r.name, r.bindings)")
    listed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.splitlines()
    assert listed == ["%s %s" % (r.name, r.bindings) for r in studies.get("cfasl").runs()]


def test_steps_scale_reaches_every_step_binding():
    deft = [r for r in studies.get("deft").runs() if r.model == "DEFT (exponential)"][0]
    bindings = deft.train_bindings(0.01)
    assert "model.training_steps = 2000" in bindings
    assert "exponential_beta.total_steps = 2000" in bindings
    assert scaled_steps(10, 0.01) == 1
    with pytest.raises(ValueError, match="positive"):
        scaled_steps(10, 0)


def test_slug_and_selection_checks():
    assert slug("CFASL (β-TCVAE)") == "cfasl_beta-tcvae"
    assert slug("beta=1, eps=0.1") == "beta1_eps0.1"
    with pytest.raises(ValueError, match="column"):
        Selection("best")
    with pytest.raises(ValueError, match="unknown study"):
        studies.get("no_such_study")
    with pytest.raises(ValueError, match="fixes its datasets"):
        studies.get("cpu_sanity").runs("sprites")


def _distinct_configurations():
    """One run per study and configuration shape: the gin files and the
    bindings with their numbers masked (seeds and grid values parse alike)."""
    seen = {}
    for name in studies.names():
        study = studies.get(name)
        for run in study.runs():
            key = (name, run.gin_configs, run.dataset, run.distill_from != "",
                   tuple(re.sub(r"-?\d+(\.\d*)?(e-?\d+)?", "#", b) for b in run.bindings))
            seen.setdefault(key, (name, run))
    return list(seen.values())


@pytest.mark.parametrize("study_name", sorted(EXPECTED_RUNS))
def test_every_run_configuration_parses(study_name):
    """Each distinct (gin files, bindings) of the study parses: no unknown gin
    name, no missing config file; and each metric config parses too."""
    from tfdisent import evaluate, train  # noqa: F401  (register configurables)
    import tfdisent.models.cfasl, tfdisent.models.clg_vae, tfdisent.models.mipe  # noqa
    import tfdisent.models.qlae, tfdisent.models.wgan, tfdisent.models.deft  # noqa
    import tfdisent.models.weak, tfdisent.models.semi  # noqa
    evaluate.register_metrics()
    study = studies.get(study_name)
    for name, run in _distinct_configurations():
        if name != study_name:
            continue
        gin.clear_config()
        try:
            if run.distill_from:  # a distillation of another run of the study
                from tfdisent.cli import distill
                distill.register_pipelines()
                assert run.distill_from in {r.name for r in study.runs()}
                gin_config.parse([gin_config.resolve(c) for c in run.gin_configs],
                                 run.distill_bindings("/teacher"))
                assert gin.query_parameter(
                    "encoder_distillation.teacher_model_dir") == "/teacher"
            else:
                gin_config.parse([gin_config.resolve(c) for c in run.gin_configs],
                                 run.train_bindings(0.001))
                assert gin.query_parameter("model.training_steps") >= 1
            assert gin.query_parameter("dataset.name") == run.dataset
        finally:
            gin.clear_config()
    for metric in study.metrics:
        gin.clear_config()
        try:
            gin_config.parse([gin_config.resolve(c) for c in metric.gin_configs],
                             metric.bindings)
            for column in study.columns:
                if column.metric == metric.label and column.step == "evaluation":
                    head = column.key.split(".")[0]
                    functions = gin.query_parameter("evaluation.evaluation_fn")
                    names = [f.selector for f in (functions if isinstance(
                        functions, (list, tuple)) else [functions])]
                    if "." in column.key:
                        assert any(n.split("/")[-1] == head or n == head
                                   for n in names), (column, names)
        finally:
            gin.clear_config()


def _docs_block(opening):
    import os
    import re
    text = open(os.path.join(os.path.dirname(__file__), "..", "..", "docs",
                             "studies.md")).read()
    return re.search(r"```%s\n(.*?)\n```" % opening, text, re.S).group(1)


def test_the_documented_study_of_your_own_builds():
    namespace = {}
    exec(_docs_block("python"), namespace)
    runs = namespace["STUDY"].runs()
    assert [r.name for r in runs[:2]] == ["sprites-beta-vae-beta2-seed0",
                                          "sprites-beta-vae-beta2-seed1"]
    assert len(runs) == 10


def test_the_documented_slurm_script_is_the_shipped_one():
    import os
    shipped = open(os.path.join(os.path.dirname(__file__), "..", "..", "docs", "examples",
                                "study_array.sbatch")).read().splitlines()
    shown = ("#!/bin/bash\n" + _docs_block(r"\n#!/bin/bash")).splitlines()
    code = {line.split("  #")[0].rstrip() for line in shipped}
    assert [line for line in shown if line not in code] == []
