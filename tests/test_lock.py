"""One trainer per model directory (MODEL_DIR/lock), and a resume that skips
a damaged newest checkpoint."""

import io
import json
import os
import shutil
import socket
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from tests import tiny_training as tiny
from tfdisent import run_lock, train


def write_lock(model_dir, pid, host=None):
    os.makedirs(model_dir, exist_ok=True)
    with open(os.path.join(model_dir, run_lock.LOCK_FILE), "w") as f:
        json.dump({"pid": pid, "host": host or socket.gethostname(),
                   "started": "2026-01-01 00:00:00"}, f)


@pytest.fixture
def live_pid():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield proc.pid
    proc.kill()
    proc.wait()


@pytest.fixture
def dead_pid():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_lock_names_this_process_and_is_released(tmp_path):
    with run_lock.held(str(tmp_path)) as path:
        holder = json.load(open(path))
        assert holder["pid"] == os.getpid() and holder["host"] == socket.gethostname()
    assert not os.path.exists(path)


def test_a_live_holder_refuses_a_second_trainer(tmp_path, live_pid):
    write_lock(str(tmp_path), live_pid)
    with pytest.raises(run_lock.LockedError, match="pid %d on host %s" % (
            live_pid, socket.gethostname())):
        run_lock.acquire(str(tmp_path))
    assert json.load(open(tmp_path / run_lock.LOCK_FILE))["pid"] == live_pid


def test_a_holder_on_another_host_is_not_taken_over(tmp_path, dead_pid):
    write_lock(str(tmp_path), dead_pid, host="elsewhere")
    with pytest.raises(run_lock.LockedError, match="host elsewhere"):
        run_lock.acquire(str(tmp_path))


def test_a_stale_lock_is_taken_over_with_a_message(tmp_path, dead_pid):
    write_lock(str(tmp_path), dead_pid)
    log = io.StringIO()
    path = run_lock.acquire(str(tmp_path), log=log)
    assert json.load(open(path))["pid"] == os.getpid()
    assert "stale lock" in log.getvalue() and "pid %d" % dead_pid in log.getvalue()
    run_lock.release(path)


def test_train_refuses_a_locked_directory_even_with_overwrite(tmp_path, live_pid):
    model_dir = str(tmp_path / "m")
    write_lock(model_dir, live_pid)
    with open(os.path.join(model_dir, "keep.txt"), "w") as f:
        f.write("the running trainer's file")
    with pytest.raises(run_lock.LockedError, match="in use by another trainer"):
        train.train_with_gin(model_dir, overwrite=True, gin_config_files=[tiny.CONFIG],
                             gin_bindings=tiny.BINDINGS + ["model.training_steps = 2"])
    assert os.path.exists(os.path.join(model_dir, "keep.txt"))


def test_a_damaged_newest_checkpoint_falls_back_to_the_previous_one(tmp_path):
    value = tf.Variable(np.zeros(1000, np.float32))
    checkpoint = tf.train.Checkpoint(value=value)
    manager = tf.train.CheckpointManager(checkpoint, str(tmp_path), max_to_keep=2)
    for step in (10, 20):
        value.assign(np.full(1000, step, np.float32))
        manager.save(checkpoint_number=step)
    data = str(tmp_path / "ckpt-20.data-00000-of-00001")
    with open(data, "r+b") as f:  # a write cut short, e.g. by a full disk
        f.truncate(os.path.getsize(data) // 2)
    value.assign(np.zeros(1000, np.float32))
    log = io.StringIO()
    assert train.restore_newest(checkpoint, str(tmp_path), log=log) == str(tmp_path / "ckpt-10")
    np.testing.assert_array_equal(value.numpy(), 10)
    assert "skipping damaged checkpoint %s" % (tmp_path / "ckpt-20") in log.getvalue()
    os.remove(str(tmp_path / "ckpt-10.index"))
    with pytest.raises(ValueError, match="no checkpoint in .* can be read"):
        train.restore_newest(checkpoint, str(tmp_path), log=io.StringIO())


def test_training_resumes_past_a_damaged_newest_checkpoint(tmp_path, capsys):
    model_dir = str(tmp_path / "m")
    bindings = tiny.BINDINGS + ["model.training_steps = 20", "model.checkpoint_every = 10"]

    def run():
        return train.train_with_gin(model_dir, gin_config_files=[tiny.CONFIG],
                                    gin_bindings=bindings)
    run()
    for finished in ("results", "saved_model"):  # as if killed before the end
        shutil.rmtree(os.path.join(model_dir, finished))
    data = os.path.join(model_dir, "checkpoints", "ckpt-20.data-00000-of-00001")
    with open(data, "r+b") as f:
        f.truncate(os.path.getsize(data) // 2)
    assert run()["steps"] == 20
    captured = capsys.readouterr()
    assert "skipping damaged checkpoint %s" % data[:-len(".data-00000-of-00001")] in captured.err
    assert "Resuming %s from step 10" % model_dir in captured.out
    assert int(train.load_model(model_dir).global_step.numpy()) == 20
