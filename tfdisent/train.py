"""Training: a gin config -> a model directory.

MODEL_DIR/checkpoints (+ config.gin, the config the run started with),
saved_model/, logs/, results/ (see docs/training.md). A killed run started
again with the same command resumes from its last checkpoint.
"""

import os
import shutil
import sys
import time

import gin
import keras
import numpy as np
import tensorflow as tf

from tfdisent import callbacks, export, gin_config, optimizers, results, strategy as strategies
from tfdisent.data import pipelines, registry
from tfdisent.data.ground_truth import StateSpace
from tfdisent.models import vae as vae_lib
from tfdisent.models import regularizers  # noqa: F401  (registers gin names)

CONFIG_FILE = "config.gin"


class ModelDirectoryError(ValueError):
    pass


def prepare_model_dir(model_dir, overwrite, config_text):
    """Creates, resumes or refuses `model_dir`. Returns True when resuming."""
    checkpoints = os.path.join(model_dir, "checkpoints")
    if overwrite and os.path.exists(model_dir):
        shutil.rmtree(model_dir)
    if os.path.isdir(model_dir) and os.listdir(model_dir):
        saved = os.path.join(checkpoints, CONFIG_FILE)
        if not os.path.exists(saved):
            raise ModelDirectoryError(
                "%s exists and is not a tfdisent run; pass --overwrite to "
                "replace it" % model_dir)
        if os.path.exists(os.path.join(model_dir, "results", "json",
                                       "train_results.json")):
            raise ModelDirectoryError(
                "%s holds a finished run; pass --overwrite to train again"
                % model_dir)
        with open(saved) as f:
            if f.read() != config_text:
                raise ModelDirectoryError(
                    "%s was started with a different config (%s); pass "
                    "--overwrite to start again" % (model_dir, saved))
        return True
    os.makedirs(checkpoints, exist_ok=True)
    with open(os.path.join(checkpoints, CONFIG_FILE), "w") as f:
        f.write(config_text)
    return False


def build_model(model_fn, data, random_seed):
    """Builds the model and every sub-network (so optimizers can be built)."""
    model = model_fn(input_shape=data.observation_shape,
                     dataset_size=dataset_size(data), seed=random_seed)
    model.build_for(data.observation_shape)
    return model


def dataset_size(data):
    return StateSpace(data.factors_num_values).num_states


def checkpoint_for(model):
    return tf.train.Checkpoint(model=model, **model.all_optimizers())


@gin.configurable("model", denylist=["model_dir", "overwrite", "strategy_name",
                                     "config_text"])
def train(model_dir, overwrite=False, strategy_name="default", config_text="",
          model=vae_lib.VAE, training_steps=300000, batch_size=64,
          random_seed=0, optimizer=None, jit_compile=False,
          checkpoint_every=1000, log_every=100, image_every=1000,
          verbose=None):
    """Trains `model` on the gin-configured dataset into `model_dir`."""
    strategy = strategies.make_strategy(strategy_name)
    chief = strategies.is_chief()
    resuming = prepare_model_dir(model_dir, overwrite, config_text) if chief \
        else False
    keras.utils.set_random_seed(random_seed)
    data = registry.get_configured()
    with strategy.scope():
        net = build_model(model, data, random_seed)
        net.compile(optimizer=optimizer or optimizers.make_optimizer(),
                    jit_compile=jit_compile)
        net.build_optimizers()
    manager = tf.train.CheckpointManager(
        checkpoint_for(net), _worker_dir(model_dir, "checkpoints", chief),
        max_to_keep=2)
    if manager.latest_checkpoint:
        manager.checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
    start = int(net.global_step.numpy())
    if resuming or start:
        print("Resuming %s from step %d" % (model_dir, start))
    guard = callbacks.StopOnNonFinite()
    run_callbacks = [guard, callbacks.PeriodicCheckpoint(manager, checkpoint_every, guard)]
    if chief:
        sample = data.sample_observations(8, np.random.RandomState(random_seed))
        run_callbacks.append(callbacks.TensorBoardLogger(
            os.path.join(model_dir, "logs"), tf.constant(sample),
            scalar_every=log_every, image_every=image_every))
    dataset = pipelines.image_batches(data, batch_size, random_seed,
                                      start_step=start)
    if verbose is None:  # a live bar on a terminal, one summary line in logs
        verbose = 1 if sys.stdout.isatty() else 2
    began = time.time()
    remaining = training_steps - start
    history = {}
    if remaining > 0:
        history = net.fit(dataset, epochs=1, steps_per_epoch=remaining,
                          callbacks=run_callbacks, verbose=verbose).history
    elapsed = time.time() - began
    if guard.failure:
        raise callbacks.NonFiniteLossError(
            "training stopped: non-finite loss (%s); the last good checkpoint "
            "is kept in %s" % (guard.failure, os.path.join(model_dir, "checkpoints")))
    if not chief:
        return None
    export.export(net, os.path.join(model_dir, "saved_model"))
    final = {k: float(np.mean(v[-1])) for k, v in history.items()}
    final.update(elapsed_time=elapsed, steps=training_steps,
                 steps_per_second=remaining / elapsed if elapsed > 0 and remaining > 0 else 0.0,
                 dataset=data.name if hasattr(data, "name") else "")
    results.update_result_directory(os.path.join(model_dir, "results"), "train",
                                    final, operative_gin=gin.operative_config_str())
    return final


def _worker_dir(model_dir, name, chief):
    """Non-chief workers write their (required) checkpoints under workers/."""
    if chief:
        return os.path.join(model_dir, name)
    return os.path.join(model_dir, "workers", "worker_%d" % strategies.task_index(), name)


def train_with_gin(model_dir, overwrite=False, gin_config_files=(),
                   gin_bindings=(), strategy_name="default"):
    """Parses gin, trains, and returns the final train results."""
    gin.clear_config()
    gin_config.parse(gin_config_files, gin_bindings)
    try:
        return train(model_dir, overwrite=overwrite, strategy_name=strategy_name,
                     config_text=gin.config_str())
    finally:
        gin.clear_config()


def load_model(model_dir, checkpoint=None):
    """Rebuilds a trained model from its directory (config + checkpoint)."""
    config = os.path.join(model_dir, "checkpoints", CONFIG_FILE)
    if not os.path.exists(config):
        raise FileNotFoundError("%s is not a tfdisent model directory (no %s)"
                                % (model_dir, config))
    with gin.unlock_config():
        gin.parse_config_file(config)
    model_fn = gin.query_parameter("model.model") if _bound("model.model") \
        else vae_lib.VAE
    data = registry.get_configured()
    seed = gin.query_parameter("model.random_seed") if _bound("model.random_seed") else 0
    net = build_model(_configurable(model_fn), data, seed)
    net.compile(optimizer=optimizers.make_optimizer())
    net.build_optimizers()
    path = checkpoint or tf.train.latest_checkpoint(os.path.join(model_dir, "checkpoints"))
    if path is None:
        raise FileNotFoundError("no checkpoint in %s" % os.path.join(model_dir, "checkpoints"))
    checkpoint_for(net).restore(path).expect_partial()
    return net


def _bound(name):
    try:
        gin.query_parameter(name)
        return True
    except ValueError:
        return False


def _configurable(reference):
    """A gin ConfigurableReference -> the callable it names."""
    return getattr(reference, "scoped_configurable_fn", reference)
