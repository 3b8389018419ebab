"""SIGTERM to a running bin/train: a checkpoint at the step it reports, the
preempted exit status, progress lines in its log, and a resume that ends
where an uninterrupted run ends."""

import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

from tests import tiny_training as tiny
from tests.subprocess_utils import ROOT, command, env, free_ports
from tfdisent import preemption

STEPS = 120
FLAGS = tiny.flags("model.training_steps = %d" % STEPS, "model.log_every = 5",
                   "model.checkpoint_every = 50", "model.batch_size = 16")
PROGRESS = re.compile(r"^step (\d+)/%d \(\d+%%\) \| loss [-\d.e+]+ .*\| [\d.]+ img/s \| "
                      r"[\d:]+ elapsed, ETA [\d:]+$" % STEPS, re.M)


def deterministic_command(model_dir):
    return [sys.executable, os.path.join(ROOT, "tests", "deterministic_train.py"), *FLAGS,
            "--model_dir=%s" % model_dir]


def train(model_dir):
    return subprocess.run(deterministic_command(model_dir), capture_output=True, text=True,
                          timeout=600, env=env(), cwd=ROOT)


def model_variables(model_dir):
    path = tf.train.latest_checkpoint(os.path.join(model_dir, "checkpoints"))
    reader = tf.train.load_checkpoint(path)
    names = [n for n, _ in tf.train.list_variables(path) if n.startswith("model/")]
    return int(reader.get_tensor("model/global_step/.ATTRIBUTES/VARIABLE_VALUE")), \
        {n: reader.get_tensor(n) for n in names}


def signal_after_lines(reader, target, pattern, count=2):
    """Sends `target` SIGTERM once `reader` has printed `count` lines matching
    `pattern`; returns what `reader` printed until then."""
    lines = []
    deadline = time.time() + 600
    while time.time() < deadline:
        line = reader.stdout.readline()
        if not line:
            break
        lines.append(line)
        if len(re.findall(pattern, "".join(lines), re.M)) >= count:
            target.send_signal(signal.SIGTERM)
            break
    return "".join(lines)


def preempt_after_first_lines(model_dir):
    """Starts bin/train, sends SIGTERM after its second progress line."""
    proc = subprocess.Popen(deterministic_command(model_dir), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env(), cwd=ROOT)
    printed = signal_after_lines(proc, proc, PROGRESS.pattern)
    out, err = proc.communicate(timeout=600)
    return proc.returncode, printed + out, err


@pytest.mark.slow  # three short runs in subprocesses
def test_sigterm_checkpoints_the_step_and_the_resume_matches_an_uninterrupted_run(tmp_path):
    reference = train(str(tmp_path / "reference"))
    assert reference.returncode == 0, reference.stderr[-3000:]
    assert "shuffle=True" not in reference.stderr
    lines = PROGRESS.findall(reference.stdout)
    assert [int(s) for s in lines] == list(range(5, STEPS + 1, 5))

    model_dir = str(tmp_path / "preempted")
    status, out, err = preempt_after_first_lines(model_dir)
    assert status == preemption.PREEMPTED_EXIT_STATUS, err[-3000:]
    last = err.strip().splitlines()[-1]
    step = int(re.fullmatch(r"preempted at step (\d+); run the same command to resume",
                            last).group(1))
    assert 10 <= step < STEPS
    assert model_variables(model_dir)[0] == step  # the checkpoint is at that step
    assert not os.path.exists(os.path.join(model_dir, "saved_model"))

    resumed = train(model_dir)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "from step %d" % step in resumed.stdout
    final_step, weights = model_variables(model_dir)
    reference_step, expected = model_variables(str(tmp_path / "reference"))
    assert final_step == reference_step == STEPS and weights.keys() == expected.keys()
    for name, value in expected.items():
        np.testing.assert_allclose(weights[name], value, rtol=1e-5, atol=1e-6, err_msg=name)


@pytest.mark.slow  # two MultiWorkerMirroredStrategy workers
def test_workers_agree_on_the_preempted_step(tmp_path):
    """SIGTERM to the non-chief worker only: both stop at one step and both
    checkpoint it (the request travels through the step graph)."""
    model_dir = str(tmp_path / "model")
    workers = ["localhost:%d" % p for p in free_ports(2)]
    flags = tiny.flags("model.training_steps = 2000", "model.log_every = 5",
                       "model.checkpoint_every = 1000")
    procs = []
    for index in range(2):
        tf_config = json.dumps({"cluster": {"worker": workers},
                                "task": {"type": "worker", "index": index}})
        procs.append(subprocess.Popen(
            command("train", *flags, "--strategy=multi_worker", "--model_dir=%s" % model_dir),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=env(TF_CONFIG=tf_config), cwd=ROOT))
    signal_after_lines(procs[0], procs[1], r"^step \d+/2000 ")
    outputs = [p.communicate(timeout=600) for p in procs]
    steps = []
    for proc, (_, err) in zip(procs, outputs):
        assert proc.returncode == preemption.PREEMPTED_EXIT_STATUS, err[-3000:]
        steps.append(int(re.search(r"^preempted at step (\d+);", err, re.M).group(1)))
    assert steps[0] == steps[1] and 10 <= steps[0] < 2000
    chief = os.path.join(model_dir, "checkpoints")
    other = os.path.join(model_dir, "workers", "worker_1", "checkpoints")
    for directory in (chief, other):
        assert tf.train.latest_checkpoint(directory).endswith("ckpt-%d" % steps[0])
