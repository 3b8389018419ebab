"""bin/train end to end: layout, resume after kill, NaN stop, overwrite
protection, serving in a fresh process, tf.distribute on CPU."""

import json
import os
import re
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from tests.subprocess_utils import ROOT, env, run_bin, start_bin

TINY = ["--gin_config=gin_configs/beta_vae.gin",
        "--gin_bindings=model.batch_size = 8",
        "--gin_bindings=model.image_every = 0"]


def train(model_dir, steps, *extra):
    return run_bin("train", *TINY, "--gin_bindings=model.training_steps = %d" % steps,
                   "--model_dir=%s" % model_dir, *extra)


def read_results(model_dir):
    with open(os.path.join(model_dir, "results", "json", "train_results.json")) as f:
        return json.load(f)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    model_dir = str(tmp_path_factory.mktemp("run") / "model")
    done = train(model_dir, 40, "--gin_bindings=model.checkpoint_every = 20",
                 "--gin_bindings=model.log_every = 10")
    assert done.returncode == 0, done.stderr[-3000:]
    with open(model_dir + ".out", "w") as f:
        f.write(done.stdout)
    with open(model_dir + ".err", "w") as f:
        f.write(done.stderr)
    return model_dir


def test_progress_lines_in_a_log_file(trained):
    """stdout is a pipe here, as under a scheduler: one line per log_every."""
    out = open(trained + ".out").read()
    lines = re.findall(r"^step (\d+)/40 \(\d+%\) \| loss [-\d.e+]+ .*\| ([\d.]+) img/s \| "
                       r"[\d:]+ elapsed, ETA [\d:]+$", out, re.M)
    assert [int(step) for step, _ in lines] == [10, 20, 30, 40]
    assert all(float(rate) > 0 for _, rate in lines)
    assert out.index("step 20/40") < out.index("Trained 40 steps")
    assert "shuffle=True" not in open(trained + ".err").read()


def test_model_directory_layout(trained):
    for part in ("checkpoints/config.gin", "saved_model/saved_model.pb", "logs",
                 "results/gin/train.gin", "results/json/train_config.json",
                 "results/json/train_results.json", "results/aggregate/train.json"):
        assert os.path.exists(os.path.join(trained, part)), part
    results = read_results(trained)
    assert results["steps"] == 40 and np.isfinite(results["loss"])
    assert results["steps_per_second"] > 0


def test_the_steady_rate_is_the_rate_after_the_first_line(trained):
    """30 steps after the line at step 10: between the slowest and the fastest
    of the three intervals' rates (printed to 1 img/s, batch size 8)."""
    out = open(trained + ".out").read()
    rates = [float(r) for r in re.findall(r"^step (?:20|30|40)/40 .*\| ([\d.]+) img/s \|",
                                          out, re.M)]
    steady = read_results(trained)["steady_steps_per_second"] * 8
    assert len(rates) == 3 and min(rates) - 0.5 <= steady <= max(rates) + 0.5


def test_finished_run_is_not_overwritten_without_flag(trained):
    before = os.path.getmtime(os.path.join(trained, "saved_model", "saved_model.pb"))
    again = train(trained, 40)
    assert again.returncode != 0
    assert "--overwrite" in again.stderr.strip().splitlines()[-1]
    assert os.path.getmtime(os.path.join(trained, "saved_model", "saved_model.pb")) == before


def test_foreign_directory_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    result = train(str(tmp_path), 5)
    assert result.returncode != 0 and "not a tfdisent run" in result.stderr
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_unknown_gin_name_is_one_line(tmp_path):
    result = run_bin("train", *TINY, "--gin_bindings=vae.betta = 3.",
                     "--model_dir=%s" % (tmp_path / "m"))
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error:") and "betta" in last
    assert "Traceback" not in result.stderr


def test_saved_model_serves_in_a_fresh_process(trained):
    """The SavedModel gives the in-process model's codes without tfdisent."""
    script = textwrap.dedent("""
        import sys, numpy as np, tensorflow as tf
        assert "tfdisent" not in sys.modules
        m = tf.saved_model.load(sys.argv[1])
        x = np.random.RandomState(0).rand(3, 64, 64, 1).astype("float32")
        out = m.signatures["representation"](images=tf.constant(x))["default"]
        mean = m.signatures["gaussian_encoder"](images=tf.constant(x))["mean"]
        rec = m.signatures["reconstructions"](images=tf.constant(x))["images"]
        dec = m.signatures["decoder"](latent_vectors=tf.zeros([2, 10]))["images"]
        assert rec.shape == (3, 64, 64, 1) and dec.shape == (2, 64, 64, 1)
        np.save(sys.argv[2], np.stack([out.numpy(), mean.numpy()]))
        try:
            m.signatures["representation"](images=tf.zeros([1, 32, 32, 1]))
        except Exception as e:
            print("SHAPE-ERROR", "images must be float32 [batch, 64, 64, 1]" in str(e))
    """)
    out = os.path.join(trained, "codes.npy")
    done = subprocess.run([sys.executable, "-c", script, os.path.join(trained, "saved_model"), out],
                          capture_output=True, text=True, env=env(PYTHONPATH=""), cwd="/")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "SHAPE-ERROR True" in done.stdout
    codes, mean = np.load(out)
    np.testing.assert_allclose(codes, mean)
    from tfdisent import train as train_lib
    model = train_lib.load_model(trained)
    x = np.random.RandomState(0).rand(3, 64, 64, 1).astype("float32")
    np.testing.assert_allclose(model.representation(x).numpy(), codes, rtol=1e-4, atol=1e-5)


def test_saved_model_cli_runs(trained):
    cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
    if not os.path.exists(cli):
        pytest.skip("saved_model_cli not installed next to this interpreter")
    images = os.path.join(trained, "images.npy")
    np.save(images, np.zeros((2, 64, 64, 1), np.float32))
    done = subprocess.run([cli, "run", "--dir", os.path.join(trained, "saved_model"),
                           "--tag_set", "serve", "--signature_def", "representation",
                           "--inputs", "images=%s" % images],
                          capture_output=True, text=True, env=env())
    assert done.returncode == 0, done.stderr[-2000:]
    assert "default" in done.stdout


def test_killed_run_resumes_from_last_checkpoint(tmp_path):
    model_dir = str(tmp_path / "model")
    args = ["--gin_bindings=model.checkpoint_every = 10"]
    proc = start_bin("train", *TINY, "--gin_bindings=model.training_steps = 400",
                     "--model_dir=%s" % model_dir, *args)
    ckpt = os.path.join(model_dir, "checkpoints", "checkpoint")
    deadline = time.time() + 300
    while time.time() < deadline and not (os.path.exists(ckpt) and "ckpt-30" in open(ckpt).read()):
        time.sleep(0.5)
    proc.kill()
    proc.wait()
    assert os.path.exists(ckpt), proc.stdout.read()[-2000:]
    resumed = run_bin("train", *TINY, "--gin_bindings=model.training_steps = 400",
                      "--model_dir=%s" % model_dir, *args)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    step = int(resumed.stdout.split("from step ")[1].split()[0])
    assert 30 <= step < 400 and step % 10 == 0
    from tfdisent import train as train_lib
    model = train_lib.load_model(model_dir)
    assert int(model.global_step.numpy()) == 400
    assert int(model.optimizer.iterations.numpy()) == 400  # optimizer state restored
    # The same command on a changed config is refused, not silently mixed.
    other = run_bin("train", *TINY, "--gin_bindings=model.training_steps = 400",
                    "--gin_bindings=model.batch_size = 16", "--model_dir=%s" % model_dir, *args)
    assert other.returncode != 0 and "model.batch_size" in other.stderr


def test_nan_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    model_dir = str(tmp_path / "model")
    result = train(model_dir, 20, "--gin_bindings=optimizer.learning_rate = 1e30",
                   "--gin_bindings=model.checkpoint_every = 1")
    assert result.returncode != 0
    assert "non-finite" in result.stderr.strip().splitlines()[-1]
    from tfdisent import train as train_lib
    model = train_lib.load_model(model_dir)
    assert all(np.all(np.isfinite(v.numpy())) for v in model.trainable_variables)
    assert not os.path.exists(os.path.join(model_dir, "saved_model"))
