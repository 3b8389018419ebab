"""bin/evaluate as a user runs it: exit status, one-line errors, OUT/results."""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import evaluation_fixtures as fx

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TESTS = os.path.join(REPO, "tests")
# The fixture dataset is registered in the child process by a gin import.
FIXTURES = "--gin_bindings=import evaluation_fixtures"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    return fx.make_model_dir(str(root), fx.build_saved_model(str(root / "full")))


def _run(*args):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3",
               PYTHONPATH=os.pathsep.join([TESTS, os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, os.path.join(REPO, "bin", "evaluate"),
                           FIXTURES, *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)


def _aggregate(out):
    with open(out / "results" / "aggregate" / "evaluation.json") as f:
        return json.load(f)


def _error_lines(stderr):
    return [line for line in stderr.splitlines() if line.startswith("error:")]


@pytest.mark.slow  # three child processes, two load TensorFlow
def test_evaluates_a_model_dir_end_to_end(tmp_path, model_dir):
    out = tmp_path / "out"
    # A failing metric: one line, exit 1, the other metric's results kept.
    failed = _run("--model_dir=" + model_dir, "--output_dir=%s" % out,
                  "--gin_bindings=evaluation.evaluation_fn = [@mig, @mfvm]",
                  "--gin_bindings=mig.num_train = 500",
                  "--gin_bindings=mfvm.num_fixed = [5]")
    assert failed.returncode == 1
    lines = _error_lines(failed.stderr)
    assert len(lines) == 1 and lines[0].startswith("error: metric mfvm failed: ValueError")
    assert _aggregate(out)["evaluation_results.mig.discrete_mig"] > 0.95

    # The results are not replaced without --overwrite.
    refused = _run("--model_dir=" + model_dir, "--output_dir=%s" % out,
                   "--gin_config=gin_configs/metrics/mig.gin")
    assert refused.returncode == 1
    assert _error_lines(refused.stderr) == [
            "error: FileExistsError: output directory %s exists; pass --overwrite "
            "to replace it" % out]

    done = _run("--model_dir=" + model_dir, "--output_dir=%s" % out, "--overwrite",
                "--gin_config=gin_configs/metrics/mig.gin",
                "--gin_bindings=mig.num_train = 500", "--seed=2")
    assert done.returncode == 0, done.stderr
    aggregate = _aggregate(out)
    assert aggregate["evaluation_results.discrete_mig"] > 0.95
    assert "evaluation_results.mig.discrete_mig" not in aggregate
    assert aggregate["evaluation_config.evaluation.random_seed"] == "2"
    assert aggregate["evaluation_config.dataset.name"] == "'factor_pixels'"
    assert aggregate["train_results.loss"] == 1.5


def test_unknown_gin_name_is_one_line(tmp_path, model_dir):
    done = _run("--model_dir=" + model_dir, "--output_dir=%s" % (tmp_path / "out"),
                "--gin_bindings=evaluation.evaluation_fn = @nope")
    assert done.returncode == 1
    assert _error_lines(done.stderr) == [
            "error: ValueError: No configurable matching reference '@nope'."]
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


# --- --codes: saved codes, run where TensorFlow cannot even be imported ----------

def _run_codes(tmp_path, *args):
    from tests.metrics.no_tensorflow import env_without_tensorflow

    return subprocess.run([sys.executable, os.path.join(REPO, "bin", "evaluate"), *args],
                          cwd=REPO, env=env_without_tensorflow(tmp_path),
                          capture_output=True, text=True, timeout=300)


def _saved_points(num=900, seed=0):
    rs = np.random.RandomState(seed)
    factors = rs.randint(0, 4, size=(num, 3))
    return factors + rs.normal(0, 0.2, factors.shape), factors


def test_codes_file_is_scored_into_a_results_directory(tmp_path):
    from tfdisent import metrics

    codes, factors = _saved_points()
    np.save(tmp_path / "codes.npy", codes)
    np.save(tmp_path / "factors.npy", factors)
    out = tmp_path / "out"
    done = _run_codes(tmp_path, "--codes=%s" % (tmp_path / "codes.npy"),
                      "--output_dir=%s" % out, "--seed=3",
                      "--gin_config=gin_configs/metrics/mig.gin",
                      "--gin_bindings=mig.num_train = 600")
    assert done.returncode == 0, done.stderr
    aggregate = _aggregate(out)
    assert aggregate["evaluation_results.discrete_mig"] == metrics.score(
            codes[:600], factors[:600], "mig")["mig"]["discrete_mig"]
    assert aggregate["evaluation_config.evaluation.random_seed"] == "3"
    assert aggregate["evaluation_config.mig.num_train"] == "600"


@pytest.mark.parametrize("arrays, flags, message", [
    (dict(codes=np.zeros(900), factors=_saved_points()[1]), [],
     r"codes must be a 2-D array \(one row per point\), got shape \(900,\)"),
    (dict(codes=np.where(_saved_points()[0] > 3, np.nan, _saved_points()[0]),
          factors=_saved_points()[1]), [], r"codes contain \d+ NaN or infinite values"),
    (dict(codes=_saved_points()[0], factors=_saved_points()[1] * [1, 0, 1]), [],
     r"factor 1 takes the single value 0 in all 900 points"),
    (dict(codes=_saved_points()[0], factors=_saved_points()[1]), [],
     r"^error: ValueError: mig.num_train = 10000 but the codes have 900 points$"),
])
def test_bad_codes_are_one_line(tmp_path, arrays, flags, message):
    path = tmp_path / "codes.npz"
    np.savez(path, **arrays)
    done = _run_codes(tmp_path, "--codes=%s" % path, "--output_dir=%s" % (tmp_path / "out"),
                      "--gin_config=gin_configs/metrics/mig.gin", *flags)
    assert done.returncode == 1
    lines = _error_lines(done.stderr)
    assert len(lines) == 1 and re.search(message, lines[0]), done.stderr
    if "num_train" not in message:  # a problem of the file names it
        assert lines[0].startswith("error: ValueError: %s: " % path)
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()
