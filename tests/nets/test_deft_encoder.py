"""DEFT's multigroup encoder: group split, stage gating, freezing, checkpoints."""

import numpy as np
import pytest
import tensorflow as tf

from tfdisent.nets import deft, dlib

SHAPE = (16, 16, 1)


def images(n=4, seed=0):
    return tf.random.stateless_uniform([n, *SHAPE], seed=[seed, 1])


def encoder(freeze=False):
    return deft.deft_encoder(SHAPE, 6, num_groups=3, freeze=freeze)


def raw_group_outputs(enc, x):
    """Each sub-encoder's own (ungated) mean and logvar, concatenated."""
    outs = [enc.get_layer(deft.group_name(i))(x) for i in range(3)]
    return (np.concatenate([o["mean"] for o in outs], 1),
            np.concatenate([o["logvar"] for o in outs], 1))


def test_groups_split_the_code_and_own_disjoint_variables():
    enc = encoder()
    assert enc.output["mean"].shape[-1] == 6
    groups = deft.group_variables(enc)
    assert len(groups) == 3
    ids = [{id(v) for v in g} for g in groups]
    assert all(len(a & b) == 0 for i, a in enumerate(ids) for b in ids[i + 1:])
    assert set.union(*ids) == {id(v) for v in enc.trainable_variables}
    for i in range(3):  # each group emits n_z / G = 2 latents
        assert enc.get_layer(deft.group_name(i)).output["mean"].shape[-1] == 2


def test_num_latent_must_divide_into_groups():
    with pytest.raises(ValueError, match="multiple of num_groups"):
        deft.deft_encoder(SHAPE, 7, num_groups=3)


@pytest.mark.parametrize("stage", [0, 1, 2])
def test_groups_after_the_stage_output_mean_0_and_logvar_0(stage):
    enc, x = encoder(), images()
    deft.stage_gate(enc).stage.assign(stage)
    out = enc(x)
    raw_mean, raw_logvar = raw_group_outputs(enc, x)
    active = 2 * (stage + 1)
    np.testing.assert_allclose(out["mean"][:, :active], raw_mean[:, :active], atol=1e-6)
    np.testing.assert_allclose(out["logvar"][:, :active], raw_logvar[:, :active], atol=1e-6)
    assert np.all(out["mean"].numpy()[:, active:] == 0.0)
    assert np.all(out["logvar"].numpy()[:, active:] == 0.0)
    assert np.all(raw_mean[:, active:] != 0.0)  # the gate did the zeroing


def group_gradients(enc, x, stage):
    deft.stage_gate(enc).stage.assign(stage)
    with tf.GradientTape() as tape:
        out = enc(x)
        loss = tf.reduce_sum(out["mean"] ** 2 + out["logvar"] ** 2)
    variables = deft.group_variables(enc)
    grads = tape.gradient(loss, [v for g in variables for v in g]
                          + deft.stage_gate(enc).trainable_variables)
    norms, start = [], 0
    for g in variables:
        norms.append(sum(float(tf.norm(d)) for d in grads[start:start + len(g)]
                         if d is not None))
        start += len(g)
    projection = [float(tf.norm(d)) for d in grads[start:] if d is not None]
    return norms, projection


def test_gradients_reach_started_groups_only():
    norms, projection = group_gradients(encoder(), images(), stage=1)
    assert norms[0] > 0 and norms[1] > 0 and norms[2] == 0.0
    assert projection == []  # no projection without freeze


def test_freeze_stops_earlier_groups_behind_a_trainable_projection():
    enc, x = encoder(freeze=True), images()
    norms, projection = group_gradients(enc, x, stage=1)
    assert norms[0] == 0.0 and norms[1] > 0 and norms[2] == 0.0
    # one projection (w_mean, w_logvar) per group; only group 0's is in use
    assert len(projection) == 6 and all(p > 0 for p in projection[:2])
    assert all(p == 0.0 for p in projection[2:])
    # Zero-initialised projection is the identity; then mean·exp(w), logvar + w.
    raw_mean, raw_logvar = raw_group_outputs(enc, x)
    np.testing.assert_allclose(enc(x)["mean"][:, :4], raw_mean[:, :4], atol=1e-6)
    gate = deft.stage_gate(enc)
    for log_scale, shift in gate.projection_variables():
        log_scale.assign(np.full(2, np.log(2.0), np.float32))
        shift.assign(np.full(2, 0.5, np.float32))
    out = enc(x)
    np.testing.assert_allclose(out["mean"][:, :2], 2 * raw_mean[:, :2], rtol=1e-5)
    np.testing.assert_allclose(out["logvar"][:, :2], raw_logvar[:, :2] + 0.5, rtol=1e-5)
    # The current group is not projected.
    np.testing.assert_allclose(out["mean"][:, 2:4], raw_mean[:, 2:4], atol=1e-6)


def test_stage_is_a_non_trainable_checkpointed_variable(tmp_path):
    enc = encoder()
    gate = deft.stage_gate(enc)
    assert gate.stage.dtype == "int32" and not gate.stage.trainable
    assert all(v is not gate.stage for v in enc.trainable_variables)
    gate.stage.assign(2)
    path = tf.train.Checkpoint(encoder=enc).save(str(tmp_path / "ckpt"))
    fresh = encoder()
    assert int(deft.stage_gate(fresh).stage.numpy()) == 0
    tf.train.Checkpoint(encoder=fresh).restore(path).assert_existing_objects_matched()
    assert int(deft.stage_gate(fresh).stage.numpy()) == 2


def test_other_encoders_are_rejected():
    with pytest.raises(ValueError, match="deft_encoder"):
        deft.stage_gate(dlib.fc_encoder(SHAPE, 4))
