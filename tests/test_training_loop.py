"""The training loop at any steps_per_execution: calls end on every event
step, a NaN at step k stops at k with the last good checkpoint kept, and
logs, checkpoints, preemption and resume land on the same steps."""

import os
import re
import signal

import numpy as np
import pytest
import tensorflow as tf

from tests import tiny_training as tiny
from tfdisent import callbacks, preemption, train, training_loop


def test_calls_end_on_every_event_step():
    lengths = training_loop.execution_lengths(0, 23, 4, (5, 10))
    assert lengths == [4, 1, 4, 1, 4, 1, 4, 1, 3]
    ends = set(np.cumsum(lengths))
    for start, total, k, intervals in [(0, 23, 4, (5, 10)), (7, 100, 32, (10, 25, 0)),
                                       (0, 50, 1, (3,)), (13, 14, 8, (100,))]:
        lengths = training_loop.execution_lengths(start, total, k, intervals)
        ends = set(start + np.cumsum(lengths))
        events = {s for s in range(start + 1, total + 1)
                  if s == total or any(i and s % i == 0 for i in intervals)}
        assert events <= ends and max(lengths) <= k and sum(lengths) == total - start


def run(model_dir, *bindings):
    return train.train_with_gin(str(model_dir), gin_config_files=[tiny.CONFIG],
                                gin_bindings=tiny.BINDINGS + list(bindings))


def checkpoint_steps(model_dir):
    names = os.listdir(os.path.join(str(model_dir), "checkpoints"))
    return sorted(int(m.group(1)) for m in map(re.compile(r"ckpt-(\d+)\.index$").match, names)
                  if m)


def final_weights(model_dir):
    model = train.load_model(str(model_dir))
    return model, [v.numpy() for v in model.trainable_variables]


@pytest.mark.parametrize("steps_per_execution", [1, 4])
def test_nan_at_step_k_stops_at_k_and_keeps_the_last_good_checkpoint(tmp_path,
                                                                   steps_per_execution):
    with pytest.raises(callbacks.NonFiniteLossError, match=r"probe = nan at step 7\b"):
        run(tmp_path / "m", "vae.extensions = [@nan_at_step()]", "nan_at_step.step = 7",
            "model.training_steps = 20", "model.log_every = 3", "model.checkpoint_every = 5",
            "model.steps_per_execution = %d" % steps_per_execution)
    assert checkpoint_steps(tmp_path / "m") == [5]
    model, weights = final_weights(tmp_path / "m")
    assert int(model.global_step.numpy()) == 5
    assert all(np.isfinite(w).all() for w in weights)
    assert not os.path.exists(tmp_path / "m" / "saved_model")


def logged_steps(model_dir):
    """The steps of the train/loss scalars in the TensorBoard events."""
    steps = []
    for name in os.listdir(os.path.join(str(model_dir), "logs")):
        for event in tf.compat.v1.train.summary_iterator(
                os.path.join(str(model_dir), "logs", name)):
            steps += [event.step for v in event.summary.value if v.tag == "train/loss"]
    return sorted(steps)


def preempt_at(step):
    """Sends this process SIGTERM once the driver has passed `step`, as a
    scheduler would (the handler installed by training receives it)."""
    original = training_loop.StepDriver.__call__

    def call(self, iterator):
        logs = original(self, iterator)
        if self.step >= step and not self.preempt_requested:
            signal.raise_signal(signal.SIGTERM)
        return logs
    return call


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    model_dir = tmp_path_factory.mktemp("loop") / "reference"
    run(model_dir, *LOOP)
    return model_dir


LOOP = ["model.training_steps = 23", "model.log_every = 5", "model.checkpoint_every = 10"]


@pytest.mark.parametrize("steps_per_execution", [1, 4])
def test_logs_checkpoints_preemption_and_resume_land_on_the_same_steps(
        tmp_path, monkeypatch, capsys, uninterrupted, steps_per_execution):
    model_dir = tmp_path / "m"
    spe = "model.steps_per_execution = %d" % steps_per_execution
    monkeypatch.setattr(training_loop.StepDriver, "__call__", preempt_at(12))
    with pytest.raises(preemption.Preempted) as stopped:
        run(model_dir, *LOOP, spe)
    # The signal arrives during the call that passes step 12; that call ends
    # on the next event step at most, and the checkpoint is at its last step.
    at = stopped.value.step
    assert 12 <= at <= 12 + steps_per_execution - 1 and at <= 15
    assert checkpoint_steps(model_dir) == [10, at]
    assert stopped.value.line == "preempted at step %d; run the same command to resume" % at
    monkeypatch.undo()
    run(model_dir, *LOOP, spe)
    out = capsys.readouterr().out
    assert "Resuming %s from step %d" % (model_dir, at) in out
    printed = [int(s) for s in re.findall(r"^step (\d+)/23 ", out, re.M)]
    assert printed == [5, 10] + [s for s in (15, 20, 23) if s > at]
    assert logged_steps(model_dir) == printed
    assert checkpoint_steps(model_dir) == [20, 23] == checkpoint_steps(uninterrupted)
    assert logged_steps(uninterrupted) == [5, 10, 15, 20, 23]
    model, weights = final_weights(model_dir)
    assert int(model.global_step.numpy()) == 23
    assert int(model.optimizer.iterations.numpy()) == 23
    for got, want in zip(weights, final_weights(uninterrupted)[1]):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_fit_gets_no_tensors_and_the_device_is_read_at_event_steps_only(tmp_path, monkeypatch):
    returned, reads = [], []
    call, halt_code = training_loop.StepDriver.__call__, training_loop.StepDriver.halt_code

    def counting_call(self, iterator):
        returned.append(call(self, iterator))
        return returned[-1]

    def counting_halt_code(self):
        reads.append(self.step)
        return halt_code(self)
    monkeypatch.setattr(training_loop.StepDriver, "__call__", counting_call)
    monkeypatch.setattr(training_loop.StepDriver, "halt_code", counting_halt_code)
    run(tmp_path / "m", *LOOP, "model.steps_per_execution = 4", "model.image_every = 10")
    # calls end at 4, 5, 9, 10, 14, 15, 19, 20, 23: keras converts nothing per call
    assert len(returned) == 9 and all(logs == {} for logs in returned)
    assert reads == [5, 10, 15, 20, 23]  # once per event step
    assert logged_steps(tmp_path / "m") == [5, 10, 15, 20, 23]
    images = {}
    for name in os.listdir(os.path.join(str(tmp_path / "m"), "logs")):
        for event in tf.compat.v1.train.summary_iterator(
                os.path.join(str(tmp_path / "m"), "logs", name)):
            for value in event.summary.value:
                if value.tag in ("reconstructions", "traversals"):
                    images.setdefault(value.tag, []).append(event.step)
    assert images == {"reconstructions": [10, 20], "traversals": [10, 20]}


def test_the_checkpoint_weights_check_sees_a_nan_in_one_traced_call():
    import keras
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    traces = callbacks._all_finite.experimental_get_tracing_count()
    assert bool(callbacks._all_finite(model.trainable_variables))
    model.trainable_variables[0].assign(np.full((3, 2), np.nan, np.float32))
    assert not bool(callbacks._all_finite(model.trainable_variables))
    assert callbacks._all_finite.experimental_get_tracing_count() - traces <= 1


def test_the_steady_rate_leaves_out_the_first_interval(monkeypatch):
    """Lines at steps 10, 20, 30 at clock 5 (tracing), 6 and 8: 20 steps in 3 s."""
    source = callbacks.BatchCounter(total=30)
    logger = callbacks.ProgressLogger(source, every=10)
    clock = iter([0.0, 5.0, 6.0, 8.0])
    monkeypatch.setattr(callbacks.time, "time", lambda: next(clock))
    logger.on_train_begin()
    source.logs = {"loss": np.float32(1.0)}
    for step in range(1, 31):
        source.step = step
        if step == 10:
            assert logger.steady_steps_per_second() is None  # before any line
        logger.on_train_batch_end(step)
        if step == 10:
            assert logger.steady_steps_per_second() is None  # one line: no interval yet
    assert logger.steady_steps_per_second() == pytest.approx(20 / 3.0)
