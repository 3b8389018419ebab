"""DEFT: β schedules, stage switching, per-group learning rates, checkpoints."""

import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.subprocess_utils import run_bin
from tfdisent import optimizers
from tfdisent.models import deft
from tfdisent.models.base import total_loss
from tfdisent.models.vae import VAE
from tfdisent.nets import deft as deft_nets, dlib

SHAPE = (16, 16, 1)
LEARNING_RATE = 1e-3


# -- schedules ----------------------------------------------------------------
def test_exponential_schedule_switches_at_the_reference_steps():
    schedule = deft.ExponentialBeta()  # 150, 20, T = 200 000, thresholds 70 30 15 1
    steps = np.arange(0, 60001)
    stages = schedule.stage(steps).numpy()
    switches = np.flatnonzero(np.diff(stages)) + 1
    np.testing.assert_array_equal(switches, [7622, 16095, 23026, 50107])
    np.testing.assert_array_equal(stages[switches], [1, 2, 3, 4])
    betas = schedule.beta(switches).numpy()
    np.testing.assert_allclose(betas, [69.996, 29.998, 15.000, 1.0], atol=1e-3)
    np.testing.assert_array_less([70, 30, 15, 1], schedule.beta(switches - 1).numpy())
    assert float(schedule.beta(0)) == 150.0
    assert float(schedule.beta(200000)) == 1.0 and int(schedule.stage(200000)) == 4


@pytest.mark.parametrize("thresholds", [(30.0, 70.0), (150.0,), (0.5,)])
def test_exponential_schedule_rejects_thresholds_it_cannot_reach_in_order(thresholds):
    with pytest.raises(ValueError, match="thresholds"):
        deft.ExponentialBeta(thresholds=thresholds)


def test_piecewise_schedule():
    schedule = deft.PiecewiseBeta(betas=(70.0, 30.0, 12.0, 1.0), stage_steps=6000)
    steps = [0, 5999, 6000, 11999, 12000, 18000, 10 ** 6]
    np.testing.assert_array_equal(schedule.stage(steps).numpy(), [0, 0, 1, 1, 2, 3, 3])
    np.testing.assert_array_equal(schedule.beta(steps).numpy(), [70, 70, 30, 30, 12, 1, 1])


# -- a small DEFT model -------------------------------------------------------
def deft_model(schedule=None, freeze=False, groups=3, earlier_rate=0.1, seed=0):
    model = VAE(SHAPE, regularizer=deft.DEFT(schedule=schedule or deft.PiecewiseBeta(
                    (4.0, 2.0, 1.0), stage_steps=1000), earlier_rate=earlier_rate),
                encoder=deft_nets.deft_encoder(SHAPE, 2 * groups, num_groups=groups,
                                               freeze=freeze),
                decoder=dlib.fc_decoder(2 * groups, SHAPE), seed=seed)
    model.build_for(SHAPE)
    model.compile(optimizer=optimizers.make_optimizer(learning_rate=LEARNING_RATE))
    model.build_optimizers()
    return model


def images(n=8):
    return tf.cast(tf.random.stateless_uniform([n, *SHAPE], seed=[3, 4]) > 0.7,
                   tf.float32)


def set_stage(model, stage):
    deft_nets.stage_gate(model.encoder).stage.assign(stage)


def test_inactive_groups_have_zero_kl_and_feed_the_decoder_noise():
    model = deft_model()
    set_stage(model, 1)
    terms, ctx = model.forward(images(), training=True)
    kl = ctx.kl_per_dimension.numpy()
    assert np.all(kl[:, 4:] == 0.0) and np.all(kl[:, :4] > 0.0)
    np.testing.assert_array_equal(ctx.z[:, 4:], ctx.eps[:, 4:])  # z = 0 + 1·ε
    assert float(terms["kl_group_2"].value) == 0.0
    assert float(terms["kl_group_0"].value) > 0 and float(terms["kl_group_1"].value) > 0
    np.testing.assert_allclose(float(terms["kl_loss"].value),
                               sum(float(terms["kl_group_%d" % i].value) for i in range(3)),
                               rtol=1e-5)
    assert float(terms["stage"].value) == 1.0 and terms["stage"].weight == 0.0


def test_group_rates_follow_the_stage():
    stage = tf.Variable(0)
    rates = [deft.GroupRate(1e-3, i, stage, 0.1) for i in range(4)]
    expected = {0: [1e-3, 0, 0, 0], 2: [1e-4, 1e-4, 1e-3, 0], 3: [1e-4, 1e-4, 1e-4, 1e-3]}
    for s, values in expected.items():
        stage.assign(s)
        np.testing.assert_allclose([float(r(0)) for r in rates], values, rtol=1e-6)


def flat(variables):
    return np.concatenate([v.numpy().ravel() for v in variables])


def one_step_changes(model, x):
    """(gradients, parameter change) of each optimizer group over one step."""
    groups = model.optimizer_groups()
    variables = [v for g in groups for v in g.variables]
    with tf.GradientTape() as tape:
        loss = total_loss(model.forward(x, training=True)[0])
    grads = tape.gradient(loss, variables)
    before = {g.name: flat(g.variables) for g in groups}
    model.train_step(x)
    changes, start = {}, 0
    for g in groups:
        n = len(g.variables)
        changes[g.name] = (grads[start:start + n], flat(g.variables) - before[g.name])
        start += n
    return changes


def fresh_adam_change(variables, grads, learning_rate):
    """One step of a fresh Adam at `learning_rate` on copies of `variables`."""
    copies = [tf.Variable(v) for v in variables]
    adam = optimizers.make_optimizer(learning_rate=learning_rate)
    adam.apply_gradients(zip(grads, copies))
    return flat(copies) - flat(variables)


def test_earlier_group_update_is_gamma_times_the_full_rate_update():
    model, x = deft_model(), images()
    set_stage(model, 1)
    changes = one_step_changes(model, x)
    groups = {g.name: g.variables for g in model.optimizer_groups()}
    for name, rate in (("group_0", 0.1 * LEARNING_RATE), ("group_1", LEARNING_RATE)):
        grads, change = changes[name]
        full = fresh_adam_change(groups[name], grads, LEARNING_RATE)
        # Same gradient, same (fresh) Adam state: the update scales with the rate.
        np.testing.assert_allclose(change, rate / LEARNING_RATE * full, atol=1e-7)
        moved = np.abs(full) > 0.5 * LEARNING_RATE
        ratio = np.median(np.abs(change[moved]) / np.abs(full[moved]))
        assert ratio == pytest.approx(rate / LEARNING_RATE, rel=1e-2)
    assert np.all(changes["group_2"][1] == 0.0)  # not started
    assert np.max(np.abs(changes["main"][1])) == pytest.approx(LEARNING_RATE, rel=1e-2)


def test_frozen_earlier_groups_do_not_move_but_their_projection_does():
    model, x = deft_model(freeze=True), images()
    set_stage(model, 1)
    changes = one_step_changes(model, x)
    assert np.all(changes["group_0"][1] == 0.0)
    assert np.all(changes["group_2"][1] == 0.0)
    assert np.max(np.abs(changes["group_1"][1])) == pytest.approx(LEARNING_RATE, rel=1e-2)
    assert np.max(np.abs(changes["projection_0"][1])) > 0.0
    assert np.all(changes["projection_1"][1] == 0.0)  # group 1 is current: not projected
    gate = deft_nets.stage_gate(model.encoder)
    groups = {g.name: {id(v) for v in g.variables} for g in model.optimizer_groups()}
    for i, variables in enumerate(gate.projection_variables()):
        assert {id(v) for v in variables} == groups["projection_%d" % i]
        assert not groups["projection_%d" % i] & groups["main"]


def test_a_projection_starts_with_a_fresh_adam_late_in_training():
    # PyTorch's Adam creates projs[i]'s state at its first gradient, so its
    # first update is the learning rate. In the shared main optimizer at step
    # 5000 it would be ~3x that ((1 - b1) / sqrt(1 - b2) with bias corrections ~1).
    model, x = deft_model(freeze=True), images()
    for optimizer in model.all_optimizers().values():
        optimizer.iterations.assign(5000)
    model.global_step.assign(5000)
    set_stage(model, 0)
    model.components[0].secondary_update(  # a step at stage 0: projections wait
        type("Ctx", (), {"step": tf.constant(4999, tf.int64)})())
    set_stage(model, 1)
    changes = one_step_changes(model, x)
    grads, change = changes["projection_0"]
    projection = {g.name: g.variables for g in model.optimizer_groups()}["projection_0"]
    fresh = fresh_adam_change(projection, grads, LEARNING_RATE)
    np.testing.assert_allclose(change, fresh, atol=1e-8)
    assert np.max(np.abs(change)) == pytest.approx(LEARNING_RATE, rel=1e-2)
    optimizers_by_name = model.all_optimizers()
    assert int(optimizers_by_name["projection_0"].iterations.numpy()) == 1


def test_a_new_stage_is_first_used_one_step_after_beta_reaches_its_threshold():
    # erow/disentanglement_lib (pytorch) examples/deft.py, DEFT.forward: the
    # stage is raised after the encoder ran, so it acts from the next step.
    model, x = deft_model(schedule=deft.ExponentialBeta(), groups=5), images()
    gate = deft_nets.stage_gate(model.encoder)
    for stage, first_used in enumerate([7623, 16096, 23027, 50108], start=1):
        model.global_step.assign(first_used - 2)
        gate.stage.assign(stage - 1)
        logged = [model.train_step(x) for _ in range(3)]
        assert [float(log["stage"]) for log in logged] == [stage - 1, stage - 1, stage]
        assert float(logged[1]["beta"]) <= [70, 30, 15, 1][stage - 1]  # reached at first_used - 1


class CountingDEFT(deft.DEFT):
    traces = 0

    def terms(self, ctx):
        CountingDEFT.traces += 1  # a Python side effect: runs once per trace
        return super().terms(ctx)


def test_stage_changes_inside_one_traced_step_and_groups_start_fresh():
    schedule = deft.PiecewiseBeta((3.0, 2.0, 1.0), stage_steps=2)
    model = VAE(SHAPE, regularizer=CountingDEFT(schedule=schedule),
                encoder=deft_nets.deft_encoder(SHAPE, 6, num_groups=3),
                decoder=dlib.fc_decoder(6, SHAPE))
    model.build_for(SHAPE)
    model.compile(optimizer=optimizers.make_optimizer(learning_rate=LEARNING_RATE))
    model.build_optimizers()
    CountingDEFT.traces = 0
    data = tf.data.Dataset.from_tensors(images()).repeat()
    history = model.fit(data, epochs=1, steps_per_epoch=5, verbose=0).history
    assert CountingDEFT.traces == 1  # stages 0, 0, 0, 1, 1: one trace
    assert int(deft_nets.stage_gate(model.encoder).stage.numpy()) == 2
    assert history["stage"][-1] == 1.0 and history["beta"][-1] == 1.0
    # Group i ran at stages i.. only: 5, 2 and 0 real Adam steps.
    counts = [int(g.optimizer.iterations.numpy()) for g in model.optimizer_groups()[1:]]
    assert counts == [5, 2, 0]


def test_stage_and_optimizers_survive_a_checkpoint_round_trip(tmp_path):
    model = deft_model(schedule=deft.PiecewiseBeta((3.0, 2.0, 1.0), stage_steps=1))
    model.fit(tf.data.Dataset.from_tensors(images()).repeat(), epochs=1,
              steps_per_epoch=3, verbose=0)
    path = tf.train.Checkpoint(model=model, **model.all_optimizers()).save(
        str(tmp_path / "ckpt"))
    restored = deft_model(schedule=deft.PiecewiseBeta((3.0, 2.0, 1.0), stage_steps=1))
    tf.train.Checkpoint(model=restored, **restored.all_optimizers()).restore(
        path).assert_existing_objects_matched()
    assert int(deft_nets.stage_gate(restored.encoder).stage.numpy()) == 2
    assert int(restored.global_step.numpy()) == 3
    assert [int(g.optimizer.iterations.numpy()) for g in restored.optimizer_groups()[1:]] \
        == [3, 1, 0]


def test_schedule_needs_no_more_stages_than_groups():
    with pytest.raises(ValueError, match="stages"):
        deft_model(schedule=deft.PiecewiseBeta((4.0, 3.0, 2.0, 1.0), 10), groups=3)


def test_deft_needs_a_constant_base_rate():
    model = VAE(SHAPE, regularizer=deft.DEFT(schedule=deft.PiecewiseBeta((2.0, 1.0), 5)),
                encoder=deft_nets.deft_encoder(SHAPE, 4, num_groups=2),
                decoder=dlib.fc_decoder(4, SHAPE))
    decay = keras.optimizers.schedules.ExponentialDecay(1e-3, 100, 0.5)
    model.compile(optimizer=keras.optimizers.Adam(decay))
    with pytest.raises(ValueError, match="constant learning rate"):
        model.build_optimizers()


def test_deft_needs_the_multigroup_encoder():
    with pytest.raises(ValueError, match="deft_encoder"):
        VAE(SHAPE, regularizer=deft.DEFT(), encoder=dlib.fc_encoder(SHAPE, 4),
            decoder=dlib.fc_decoder(4, SHAPE))


def test_bin_train_runs_the_deft_config(tmp_path):
    model_dir = str(tmp_path / "deft")
    result = run_bin("train", "--gin_config=gin_configs/deft.gin",
                     "--gin_bindings=TRAINING_STEPS = 12",
                     "--gin_bindings=model.batch_size = 8",
                     "--model_dir=" + model_dir)
    assert result.returncode == 0, result.stderr[-2000:]
    with open(os.path.join(model_dir, "results", "json", "train_results.json")) as f:
        final = json.load(f)
    # T = 12: β(11) = max(150·e^(−20·11/12), 1) = 1, every threshold reached.
    assert final["stage"] == 4.0 and final["beta"] == 1.0
    assert final["steps"] == 12
    assert os.path.isdir(os.path.join(model_dir, "saved_model"))
