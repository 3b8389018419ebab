"""bin/visualize as a user runs it: exit status, one-line errors, no
overwriting without --overwrite."""

import os

import pytest

from tfdisent import train
from tests.subprocess_utils import ROOT, run_bin

SMALL = ["--num_samples=4", "--num_traversals=1", "--num_values=3", "--num_frames=3",
         "--num_points=64"]


def _error_lines(stderr):
    return [line for line in stderr.splitlines() if line.startswith("error:")]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("cli") / "beta_vae")
    train.train_with_gin(path, gin_config_files=[
            os.path.join(ROOT, "gin_configs", "beta_vae.gin")], gin_bindings=[
            "model.training_steps = 2", "model.batch_size = 8", "model.image_every = 0",
            "model.verbose = 0"])
    return path


def test_missing_and_foreign_model_dirs_fail_in_one_line(tmp_path):
    missing = run_bin("visualize", "--model_dir=%s" % (tmp_path / "nothing"))
    assert missing.returncode == 1
    assert _error_lines(missing.stderr) == [
            "error: FileNotFoundError: no model directory at %s" % (tmp_path / "nothing")]
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "notes.txt").write_text("not a model")
    foreign = run_bin("visualize", "--model_dir=%s" % (tmp_path / "foreign"))
    assert foreign.returncode == 1
    lines = _error_lines(foreign.stderr)
    assert len(lines) == 1 and "is not a tfdisent model directory" in lines[0]
    assert sorted(os.listdir(tmp_path / "foreign")) == ["notes.txt"]


@pytest.mark.slow  # trains a 2-step model, three child processes load TensorFlow
def test_writes_refuses_then_overwrites(model_dir, tmp_path):
    out = tmp_path / "pictures"
    written = run_bin("visualize", "--model_dir=" + model_dir, "--output_dir=%s" % out,
                      "--seed=3", *SMALL)
    assert written.returncode == 0, written.stderr
    assert written.stdout.strip().endswith("files written to %s" % out)
    assert (out / "traversals" / "fixed_interval_0.png").is_file()
    assert (out / "reconstructions" / "reconstructions.png").is_file()
    (out / "mine.txt").write_text("keep me")

    refused = run_bin("visualize", "--model_dir=" + model_dir, "--output_dir=%s" % out,
                      *SMALL)
    assert refused.returncode == 1
    assert _error_lines(refused.stderr) == [
            "error: FileExistsError: output directory %s exists; pass --overwrite to "
            "replace it" % out]
    assert (out / "mine.txt").is_file()

    bad = run_bin("visualize", "--model_dir=" + model_dir, "--num_frames=0")
    assert bad.returncode == 1
    assert _error_lines(bad.stderr) == [
            "error: ValueError: num_frames must be at least 1, got 0"]

    replaced = run_bin("visualize", "--model_dir=" + model_dir, "--output_dir=%s" % out,
                       "--overwrite", *SMALL)
    assert replaced.returncode == 0, replaced.stderr
    assert not (out / "mine.txt").exists()
    assert (out / "sampled" / "samples.png").is_file()
