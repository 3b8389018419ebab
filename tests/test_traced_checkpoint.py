"""Traced checkpoint writes: ordinary checkpoints, current values, and no
variable left out when the set of variables grows after the first save."""

import keras
import numpy as np
import tensorflow as tf

from tfdisent.traced_checkpoint import TracedCheckpoint


def model_and_optimizer(seed):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.Dense(2)])
    optimizer = keras.optimizers.Adam(1e-2)
    optimizer.build(model.trainable_variables)
    return model, optimizer


def train_once(model, optimizer):
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(model(tf.ones((5, 3))) ** 2)
    optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables),
                                  model.trainable_variables))


def test_manager_saves_read_back_with_the_values_at_each_save(tmp_path):
    model, optimizer = model_and_optimizer(0)
    manager = tf.train.CheckpointManager(TracedCheckpoint(model=model, optimizer=optimizer),
                                         str(tmp_path), max_to_keep=2)
    saved = []
    for step in range(3):
        train_once(model, optimizer)
        path = manager.save(checkpoint_number=step)
        saved.append((path, [v.numpy() for v in model.variables + optimizer.variables]))
    assert manager.latest_checkpoint == saved[-1][0]
    assert len(manager.checkpoints) == 2  # the manager's bookkeeping ran
    for steps, (path, values) in enumerate(saved[1:], start=2):
        fresh, fresh_optimizer = model_and_optimizer(1)
        tf.train.Checkpoint(model=fresh, optimizer=fresh_optimizer).restore(
            path).assert_existing_objects_matched()
        restored = [v.numpy() for v in fresh.variables + fresh_optimizer.variables]
        assert int(fresh_optimizer.iterations.numpy()) == steps
        for got, want in zip(restored, values):
            np.testing.assert_array_equal(got, want)


def test_a_variable_added_after_the_first_save_is_saved(tmp_path):
    holder = tf.Module()
    holder.first = tf.Variable(1.0)
    checkpoint = TracedCheckpoint(holder=holder)
    checkpoint.write(str(tmp_path / "a"))
    holder.second = tf.Variable(2.0)
    holder.first.assign(5.0)
    checkpoint.write(str(tmp_path / "b"))
    names = [name for name, _ in tf.train.list_variables(str(tmp_path / "b"))]
    assert any("second" in name for name in names)
    assert not any("second" in name for name, _ in tf.train.list_variables(str(tmp_path / "a")))
    reader = tf.train.load_checkpoint(str(tmp_path / "b"))
    values = {name: reader.get_tensor(name) for name in names if "holder" in name}
    assert sorted(float(v) for v in values.values()) == [2.0, 5.0]


def test_files_are_laid_out_as_an_eager_write_lays_them_out(tmp_path):
    model, optimizer = model_and_optimizer(0)
    TracedCheckpoint(model=model, optimizer=optimizer).write(str(tmp_path / "traced"))
    tf.train.Checkpoint(model=model, optimizer=optimizer).write(str(tmp_path / "eager"))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert [n.replace("traced", "eager") for n in names if n.startswith("traced")] == \
        [n for n in names if n.startswith("eager")]
    assert sorted(tf.train.list_variables(str(tmp_path / "traced"))) == \
        sorted(tf.train.list_variables(str(tmp_path / "eager")))
