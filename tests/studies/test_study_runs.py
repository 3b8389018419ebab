"""bin/study end to end on a three-run study of a few steps: list, one
--model_num, --all --parallel=2, skip when finished, resume after a kill, a
failed run recorded, --steps_scale in the training steps and the report."""

import csv
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from tests.subprocess_utils import ROOT, run_bin, start_bin

STUDY_MODULE = textwrap.dedent("""
    from tfdisent.studies.study import Column, MetricConfig, Study, sweep

    TINY = ("model.batch_size = 8", "model.image_every = 0",
            "model.checkpoint_every = 5")

    def runs_for(dataset):
        return (sweep("β-VAE", ["beta_vae.gin"], 20, (0, 1), "xy_square", bindings=TINY)
                + sweep("Broken", ["beta_vae.gin"], 20, (0,), "xy_square",
                        bindings=TINY + ("beta_vae.no_such_parameter = 1",)))

    STUDY = Study(name="tiny", reproduces="A test study.", default_dataset="xy_square",
                  runs_for=runs_for,
                  metrics=(MetricConfig("mig", ("metrics/mig.gin",),
                                        ("mig.num_train = 200",)),),
                  columns=(Column("MIG", "mig", "discrete_mig"),),
                  published={"xy_square": {"β-VAE": {"MIG": "0.50(0.10)"}}},
                  published_source="made up for the test", fixed_datasets=True)
""")


@pytest.fixture(scope="module")
def study_env(tmp_path_factory):
    root = tmp_path_factory.mktemp("studies")
    package = root / "tinystudies"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "tiny.py").write_text(STUDY_MODULE)
    return {"PYTHONPATH": ROOT + os.pathsep + str(root)}, str(root / "out")


def study(env, *args, **kwargs):
    return run_bin("study", "--study=tinystudies.tiny", *args, **env, **kwargs)


def status(out, run):
    with open(os.path.join(out, "tiny", run, "study_status.json")) as f:
        return json.load(f)


def wait_for_a_checkpoint(checkpoints, timeout=300):
    deadline = time.time() + timeout
    while time.time() < deadline and not any(
            n.startswith("ckpt-") for n in (os.listdir(checkpoints)
                                            if os.path.isdir(checkpoints) else [])):
        time.sleep(0.5)


@pytest.fixture(scope="module")
def ran(study_env):
    env, out = study_env
    result = study(env, "--all", "--parallel=2", "--steps_scale=0.5", "--output_dir=" + out)
    return env, out, result


def test_list_is_one_line_per_run_and_the_same_in_every_process(study_env):
    env, _ = study_env
    first, second = study(env, "--list"), study(env, "--list")
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert lines == second.stdout.splitlines() and len(lines) == 3
    assert lines[0].startswith("0\txy_square-beta-vae-seed0\tbeta_vae.gin\t")
    assert "model.training_steps = 20" in lines[0]


@pytest.mark.slow
def test_all_in_parallel_records_done_and_failed_runs(ran):
    env, out, result = ran
    assert result.returncode == 1  # one run fails on purpose
    assert "2 runs done, 1 failed (2)" in result.stdout
    done = status(out, "xy_square-beta-vae-seed0")
    assert done["state"] == "done" and done["steps"] == 10 and done["steps_scale"] == 0.5
    with open(os.path.join(out, "tiny", "xy_square-beta-vae-seed1", "results", "json",
                           "train_results.json")) as f:
        assert json.load(f)["steps"] == 10  # --steps_scale reached training
    failed = status(out, "xy_square-broken-seed0")
    assert failed["state"] == "failed" and "no_such_parameter" in failed["error"]
    assert "\n" not in failed["error"]
    assert os.path.isfile(os.path.join(out, "tiny", "xy_square-broken-seed0.log"))


@pytest.mark.slow
def test_finished_run_is_skipped(ran):
    env, out, _ = ran
    again = study(env, "--model_num=0", "--steps_scale=0.5", "--output_dir=" + out)
    assert again.returncode == 0 and "already done" in again.stdout
    other_scale = study(env, "--model_num=0", "--output_dir=" + out)
    assert other_scale.returncode == 1 and "--steps_scale=0.5" in other_scale.stderr


@pytest.mark.slow
def test_report_pools_runs_counts_failures_and_marks_the_budget(ran):
    env, out, _ = ran
    result = study(env, "--report", "--output_dir=" + out)
    assert result.returncode == 0, result.stderr
    report_dir = os.path.join(out, "tiny", "report")
    text = open(os.path.join(report_dir, "report.md")).read()
    assert "Budget run: training steps scaled by 0.5" in text
    assert "10 of the paper's 20 steps" in text
    row = [l for l in text.splitlines() if l.startswith("| β-VAE |")][0]
    assert "| 2 / 0 / 0 / 0 |" in row and " ± " in row and "(2)" in row
    broken = [l for l in text.splitlines() if l.startswith("| Broken |")][0]
    assert "| 0 / 1 / 0 / 0 | — |" in broken
    assert "0.50(0.10)" in text and "made up for the test" in text
    assert "`xy_square-broken-seed0`" in text  # the failed run and its error
    with open(os.path.join(report_dir, "report.csv")) as f:
        rows = list(csv.DictReader(f))
    beta = [r for r in rows if r["model"] == "β-VAE"][0]
    values = [status(out, "xy_square-beta-vae-seed%d" % s) for s in (0, 1)]
    assert beta["n_values"] == "2" and beta["published"] == "0.50(0.10)"
    migs = []
    for seed in (0, 1):
        path = os.path.join(out, "tiny", "xy_square-beta-vae-seed%d" % seed, "metrics",
                            "mig", "results", "aggregate", "evaluation.json")
        migs.append(json.load(open(path))["evaluation_results.discrete_mig"])
    assert float(beta["mean"]) == pytest.approx(sum(migs) / 2)
    assert all(v["state"] == "done" for v in values)
    png = os.path.join(report_dir, "xy_square_mig.png")
    assert os.path.getsize(png) > 1000
    with open(png, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_killed_run_resumes_from_its_checkpoint(study_env):
    env, out = study_env
    out = out + "_resume"
    args = ("--model_num=1", "--steps_scale=15", "--output_dir=" + out)
    process = start_bin("study", "--study=tinystudies.tiny", *args, **env)
    checkpoints = os.path.join(out, "tiny", "xy_square-beta-vae-seed1", "checkpoints")
    wait_for_a_checkpoint(checkpoints)
    process.kill()
    process.wait()
    assert not os.path.exists(os.path.join(out, "tiny", "xy_square-beta-vae-seed1",
                                           "study_status.json"))
    resumed = study(env, *args)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "resuming" in resumed.stdout and "Resuming" in resumed.stdout
    assert status(out, "xy_square-beta-vae-seed1")["steps"] == 300


@pytest.mark.slow
def test_the_documented_slurm_script_runs_its_array_task(study_env, tmp_path):
    env, _ = study_env
    script = os.path.join(ROOT, "docs", "examples", "study_array.sbatch")
    assert "docs/examples/study_array.sbatch" in open(
        os.path.join(ROOT, "docs", "studies.md")).read()
    out = str(tmp_path / "array")
    bin_dir = os.path.dirname(sys.executable)
    done = subprocess.run(
        ["bash", script], capture_output=True, text=True, timeout=600, cwd=str(tmp_path),
        env=dict(os.environ, SLURM_ARRAY_TASK_ID="1", STUDY="tinystudies.tiny",
                 OUTPUT_DIR=out, STEPS_SCALE="0.25", TF_CPP_MIN_LOG_LEVEL="3",
                 PATH=bin_dir + os.pathsep + os.environ["PATH"], **env))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert status(out, "xy_square-beta-vae-seed1")["steps"] == 5


@pytest.mark.slow
def test_sigterm_to_all_checkpoints_the_running_run_and_starts_no_other(study_env):
    env, out = study_env
    out = out + "_preempt"
    process = start_bin("study", "--study=tinystudies.tiny", "--all", "--runs=1,2",
                        "--steps_scale=15", "--output_dir=" + out, **env)
    checkpoints = os.path.join(out, "tiny", "xy_square-beta-vae-seed1", "checkpoints")
    wait_for_a_checkpoint(checkpoints)
    process.send_signal(signal.SIGTERM)
    output = process.communicate(timeout=300)[0]
    assert process.returncode == 75, output[-2000:]
    assert "preempted" in output and "1 not started" in output
    assert not os.path.exists(os.path.join(out, "tiny", "xy_square-broken-seed0"))
    log = open(os.path.join(out, "tiny", "xy_square-beta-vae-seed1.log")).read()
    assert "preempted at step" in log


def test_a_metric_config_with_a_failed_metric_is_not_finished(tmp_path):
    from tfdisent.studies import runner
    from tfdisent.studies.study import MetricConfig
    metric = MetricConfig("m", ())
    aggregate = tmp_path / "metrics" / "m" / "results" / "aggregate"
    assert not runner.metric_finished(str(tmp_path), metric)
    aggregate.mkdir(parents=True)
    (aggregate / "evaluation.json").write_text(json.dumps(
        {"evaluation_results.mig.discrete_mig": 0.1,
         "evaluation_results.dci.error": "ValueError: boom"}))
    assert not runner.metric_finished(str(tmp_path), metric)
    (aggregate / "evaluation.json").write_text(json.dumps(
        {"evaluation_results.mig.discrete_mig": 0.1}))
    assert runner.metric_finished(str(tmp_path), metric)
