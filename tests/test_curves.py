"""Metrics during training (model.eval_every): the curve's steps, its values
against bin/evaluate, resume, failures, and training a finished run longer."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from tests import tiny_training
from tests.subprocess_utils import ROOT, env, run_bin, start_bin
from tfdisent.curves import records

METRICS = ["metrics/mig.gin", "metrics/dci.gin"]
METRIC_BINDINGS = ["mig.num_train = 500", "dci.num_train = 300", "dci.num_test = 200",
                   "evaluation.evaluation_fn = [@mig, @dci]"]
KEYS = {"mig.discrete_mig", "dci.disentanglement", "dci.completeness",
        "dci.informativeness_train", "dci.informativeness_test"}


def curve_flags(steps, every, metric_bindings=METRIC_BINDINGS, *extra):
    return tiny_training.flags(
        "model.training_steps = %d" % steps, "model.log_every = 10",
        "model.checkpoint_every = 20", "model.eval_every = %d" % every,
        "model.eval_config = %r" % METRICS,
        "model.eval_bindings = %r" % list(metric_bindings), *extra)


def train(model_dir, *flags):
    return run_bin("train", *flags, "--model_dir=%s" % model_dir)


def steps_by_key(model_dir):
    table = {}
    for r in records.read(model_dir):
        table.setdefault(r["metric"], []).append(r["step"])
    return table


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    model_dir = str(tmp_path_factory.mktemp("curves") / "model")
    done = train(model_dir, *curve_flags(40, 20))
    assert done.returncode == 0, done.stderr[-3000:]
    return model_dir, done


def test_the_curve_has_the_expected_steps_and_tensorboard_scalars(scored):
    model_dir, done = scored
    assert steps_by_key(model_dir) == {key: [20, 40] for key in KEYS}
    assert all(r["wall_seconds"] > 0 for r in records.read(model_dir))
    # No snapshot is left once scored.
    assert not [n for n in os.listdir(os.path.join(model_dir, "curves"))
                if n.startswith("snapshot-")]
    from tensorboard.backend.event_processing import event_accumulator
    events = event_accumulator.EventAccumulator(os.path.join(model_dir, "logs"),
                                                size_guidance={"tensors": 0})
    events.Reload()
    steps = [e.step for e in events.Tensors("mig/discrete_mig")]
    assert steps == [20, 40]


def test_the_last_scores_are_bin_evaluates_on_the_final_weights(scored, tmp_path):
    model_dir, done = scored
    out = str(tmp_path / "eval")
    evaluated = run_bin("evaluate", "--model_dir=%s" % model_dir, "--output_dir=%s" % out,
                        *["--gin_config=%s" % c for c in METRICS],
                        *["--gin_bindings=%s" % b for b in METRIC_BINDINGS])
    assert evaluated.returncode == 0, evaluated.stderr[-2000:]
    with open(os.path.join(out, "results", "json", "evaluation_results.json")) as f:
        expected = json.load(f)
    last, step = records.last_scores(records.read(model_dir))
    assert step == 40 and set(last) == KEYS
    for key in KEYS:
        assert last[key] == pytest.approx(expected[key], abs=1e-12), key
    with open(os.path.join(model_dir, "results", "json", "train_results.json")) as f:
        results = json.load(f)
    assert results["eval_step"] == 40
    assert results["eval.mig.discrete_mig"] == last["mig.discrete_mig"]
    assert "Scores at step 40: dci.completeness" in done.stdout


def test_a_finished_run_trains_on_to_a_larger_step_count(scored, tmp_path):
    model_dir = str(tmp_path / "model")
    shutil.copytree(scored[0], model_dir)
    longer = train(model_dir, *curve_flags(80, 20))
    assert longer.returncode == 0, longer.stderr[-3000:]
    assert "from 40 to 80 steps" in longer.stdout
    assert steps_by_key(model_dir) == {key: [20, 40, 60, 80] for key in KEYS}
    with open(os.path.join(model_dir, "results", "json", "train_results.json")) as f:
        results = json.load(f)
    assert results["steps"] == 80 and results["continued_from_steps"] == [40]
    with open(os.path.join(model_dir, "results", "history", "steps_40", "json",
                           "train_results.json")) as f:
        assert json.load(f)["steps"] == 40
    assert os.path.exists(os.path.join(model_dir, "saved_model", "saved_model.pb"))
    from tfdisent import train as train_lib
    assert int(train_lib.load_model(model_dir).global_step.numpy()) == 80


def test_a_changed_binding_is_refused_naming_it(scored, tmp_path):
    model_dir = str(tmp_path / "model")
    shutil.copytree(scored[0], model_dir)
    before = sorted(os.listdir(os.path.join(model_dir, "results", "json")))
    changed = train(model_dir, *curve_flags(80, 20), "--gin_bindings=beta_vae.beta = 8.")
    assert changed.returncode != 0
    last = changed.stderr.strip().splitlines()[-1]
    assert last.startswith("error:") and "beta_vae.beta" in last
    assert "model.training_steps" in last  # both differences are named
    assert sorted(os.listdir(os.path.join(model_dir, "results", "json"))) == before
    shorter = train(model_dir, *curve_flags(30, 20))
    assert shorter.returncode != 0 and "does not train it longer" in shorter.stderr


def test_longer_from_finished_matches_an_uninterrupted_run(tmp_path):
    """40 then 80 steps ends where 80 steps at once end (op determinism on)."""
    flags = tiny_training.flags("model.checkpoint_every = 20")
    script = os.path.join(ROOT, "tests", "deterministic_train.py")

    def run(model_dir, steps):
        done = subprocess.run([sys.executable, script, *flags,
                               "--gin_bindings=model.training_steps = %d" % steps,
                               "--model_dir=%s" % model_dir], capture_output=True,
                              text=True, env=env(), cwd=ROOT, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]

    run(str(tmp_path / "split"), 40)
    run(str(tmp_path / "split"), 80)
    run(str(tmp_path / "whole"), 80)
    from tfdisent import train as train_lib
    split = [v.numpy() for v in train_lib.load_model(str(tmp_path / "split")).weights]
    whole = [v.numpy() for v in train_lib.load_model(str(tmp_path / "whole")).weights]
    for a, b in zip(split, whole):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_failing_metric_is_one_line_and_the_run_finishes(tmp_path):
    model_dir = str(tmp_path / "model")
    done = train(model_dir, *curve_flags(40, 20, METRIC_BINDINGS + ["mig.num_train = 0"]))
    assert done.returncode == 0, done.stderr[-3000:]
    failures = [l for l in done.stderr.splitlines() if "metric mig failed" in l]
    assert len(failures) == 2 and "num_points" in failures[0]  # one line per scored step
    assert set(steps_by_key(model_dir)) == KEYS - {"mig.discrete_mig"}


def test_a_bad_metric_config_stops_the_run_before_training(tmp_path):
    model_dir = str(tmp_path / "model")
    done = train(model_dir, *curve_flags(40, 20, METRIC_BINDINGS + ["mig.num_trian = 5"]))
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error:") and "model.eval_config: Configurable 'mig'" in last
    assert "num_trian" in last
    assert not [n for n in os.listdir(os.path.join(model_dir, "checkpoints"))
                if n.startswith("ckpt-")]
    missing = train(str(tmp_path / "other"), *tiny_training.flags(
        "model.training_steps = 40", "model.eval_every = 20"))
    assert missing.returncode != 0 and "needs model.eval_config" in missing.stderr


def test_a_killed_run_resumes_its_curve_without_a_repeated_step(tmp_path):
    model_dir = str(tmp_path / "model")
    flags = curve_flags(150, 10, METRIC_BINDINGS, "model.checkpoint_every = 10")
    proc = start_bin("train", *flags, "--model_dir=%s" % model_dir)
    deadline = time.time() + 300
    while time.time() < deadline and len({r["step"] for r in records.read(model_dir)}) < 3:
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    first = {r["step"] for r in records.read(model_dir)}
    assert len(first) >= 3, proc.stdout.read()[-2000:]
    resumed = train(model_dir, *flags)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert steps_by_key(model_dir) == {key: list(range(10, 151, 10)) for key in KEYS}
