"""tf.distribute on CPU: MirroredStrategy over two logical devices matches
one device; two MultiWorkerMirroredStrategy workers end with equal weights
(and only the chief scores metrics during training)."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from tests.subprocess_utils import ROOT, command, env, free_ports


def test_mirrored_matches_single_device():
    done = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "distributed_check.py")],
                          capture_output=True, text=True, env=env(), timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(result["single"]) == 8
    np.testing.assert_allclose(result["mirrored"], result["single"], rtol=1e-4)
    assert result["single"][-1] < result["single"][0]  # it trained


@pytest.mark.slow
def test_two_workers_end_with_identical_weights(tmp_path):
    model_dir = str(tmp_path / "model")
    workers = ["localhost:%d" % p for p in free_ports(2)]
    procs = []
    for index in range(2):
        tf_config = json.dumps({"cluster": {"worker": workers},
                                "task": {"type": "worker", "index": index}})
        procs.append(subprocess.Popen(
            command("train", "--gin_config=gin_configs/beta_vae.gin",
                    "--gin_bindings=model.training_steps = 6",
                    "--gin_bindings=model.batch_size = 8",
                    "--gin_bindings=model.image_every = 0",
                    "--gin_bindings=model.eval_every = 3",
                    "--gin_bindings=model.eval_config = ['metrics/mig.gin']",
                    "--gin_bindings=model.eval_bindings = ['mig.num_train = 200']",
                    "--strategy=multi_worker", "--model_dir=%s" % model_dir),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=env(TF_CONFIG=tf_config), cwd=ROOT))
    outputs = [p.communicate(timeout=600)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), "\n".join(o[-2000:] for o in outputs)
    chief = tf.train.latest_checkpoint(os.path.join(model_dir, "checkpoints"))
    other = tf.train.latest_checkpoint(os.path.join(model_dir, "workers", "worker_1",
                                                    "checkpoints"))
    a, b = tf.train.load_checkpoint(chief), tf.train.load_checkpoint(other)
    names = [n for n, _ in tf.train.list_variables(chief) if "model/" in n and
             "OPTIMIZER" not in n]
    assert names
    for name in names:
        np.testing.assert_array_equal(a.get_tensor(name), b.get_tensor(name))
    assert os.path.exists(os.path.join(model_dir, "saved_model", "saved_model.pb"))
    # Only the chief scores: each step once, nothing under the other worker.
    from tfdisent.curves import records
    assert [(r["step"], r["metric"]) for r in records.read(model_dir)] == [
        (3, "mig.discrete_mig"), (6, "mig.discrete_mig")]
    assert not os.path.exists(os.path.join(model_dir, "workers", "worker_1", "curves"))


@pytest.mark.slow
def test_methods_train_under_mirrored_strategy():
    done = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "distributed_methods_check.py")],
                          capture_output=True, text=True, env=env(), timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    losses = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(losses) == {"cfasl", "mipe", "deft"}
    assert all(np.isfinite(v).all() for v in losses.values())
