"""Training: a gin config -> a model directory.

MODEL_DIR/checkpoints (+ config.gin, the config the run started with),
saved_model/, logs/, results/ (see docs/training.md). A killed or preempted
run started again with the same command resumes from its last checkpoint;
MODEL_DIR/lock keeps a second trainer out while one runs.
"""

import contextlib
import glob
import os
import re
import shutil
import sys
import time

import gin
import keras
import numpy as np
import tensorflow as tf

from tfdisent import (callbacks, errors, export, gin_config, optimizers, preemption, results,
                      run_lock, strategy as strategies, traced_checkpoint, training_loop)
from tfdisent.curves import chief as curves_chief
from tfdisent.data import correlated, registry
from tfdisent.data.ground_truth import StateSpace
from tfdisent.models import vae as vae_lib
from tfdisent.models import regularizers  # noqa: F401  (registers gin names)

CONFIG_FILE = "config.gin"


class ModelDirectoryError(ValueError):
    pass


def prepare_model_dir(model_dir, overwrite, config_text):
    """Creates, resumes or refuses `model_dir`. Returns True when resuming.

    A finished run whose config differs only by a larger
    model.training_steps is continued: its results move to
    results/history/steps_<old steps>/ and training goes on from its last
    checkpoint. Any other difference is refused, naming the bindings."""
    checkpoints = os.path.join(model_dir, "checkpoints")
    if overwrite and os.path.exists(model_dir):
        _clear(model_dir)
    if os.path.isdir(model_dir) and _entries(model_dir):
        saved = os.path.join(checkpoints, CONFIG_FILE)
        if not os.path.exists(saved):
            raise ModelDirectoryError(
                "%s exists and is not a tfdisent run; pass --overwrite to "
                "replace it" % model_dir)
        with open(saved) as f:
            saved_text = f.read()
        finished = os.path.exists(os.path.join(model_dir, "results", "json",
                                               "train_results.json"))
        differing = config_differences(saved_text, config_text)
        if finished and differing == [STEPS_BINDING]:
            _continue_finished(model_dir, saved_text, config_text)
        elif differing:
            raise ModelDirectoryError(
                "%s was started with a different config (%s: %s); pass --overwrite "
                "to start again" % (model_dir, saved, ", ".join(differing)))
        elif finished:
            raise ModelDirectoryError(
                "%s holds a finished run; pass --overwrite to train again, or a "
                "larger %s to train on" % (model_dir, STEPS_BINDING))
        return True
    os.makedirs(checkpoints, exist_ok=True)
    with open(os.path.join(checkpoints, CONFIG_FILE), "w") as f:
        f.write(config_text)
    return False


STEPS_BINDING = "model.training_steps"
HISTORY_DIR = os.path.join("results", "history")


def config_differences(old_text, new_text):
    """The bindings (and macros) whose values differ between two gin config
    texts, sorted."""
    old, new = results.gin_config_to_dict(old_text), results.gin_config_to_dict(new_text)
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))


def _continue_finished(model_dir, saved_text, config_text):
    """Archives a finished run's results and records the longer config."""
    old_steps = int(results.gin_config_to_dict(saved_text).get(STEPS_BINDING, 0))
    new_steps = int(results.gin_config_to_dict(config_text)[STEPS_BINDING])
    if new_steps <= old_steps:
        raise ModelDirectoryError(
            "%s holds a finished run of %d steps; %s = %d does not train it longer "
            "(pass --overwrite to train again)" % (model_dir, old_steps, STEPS_BINDING,
                                                  new_steps))
    archive = os.path.join(model_dir, HISTORY_DIR, "steps_%d" % old_steps)
    os.makedirs(archive, exist_ok=True)
    for name in ("gin", "json", "aggregate"):
        path = os.path.join(model_dir, "results", name)
        if os.path.isdir(path):
            shutil.move(path, os.path.join(archive, name))
    shutil.rmtree(os.path.join(model_dir, "saved_model"), ignore_errors=True)
    with open(os.path.join(model_dir, "checkpoints", CONFIG_FILE), "w") as f:
        f.write(config_text)
    print("Training the finished run in %s on from %d to %d steps; its results are "
          "kept in %s" % (model_dir, old_steps, new_steps, archive))


def continued_from(model_dir):
    """The step counts of the earlier finished runs this run continues."""
    history = os.path.join(model_dir, HISTORY_DIR)
    if not os.path.isdir(history):
        return []
    return sorted(int(name[len("steps_"):]) for name in os.listdir(history)
                  if name.startswith("steps_"))


def _entries(model_dir):
    return [e for e in os.listdir(model_dir) if e != run_lock.LOCK_FILE]


def _clear(model_dir):
    """Deletes everything in `model_dir` but the lock this trainer holds."""
    for entry in _entries(model_dir):
        path = os.path.join(model_dir, entry)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.remove(path)


def build_model(model_fn, data, random_seed):
    """Builds the model and every sub-network (so optimizers can be built)."""
    model = model_fn(input_shape=data.observation_shape, dataset_size=dataset_size(data),
                     factors_num_values=tuple(data.factors_num_values), seed=random_seed)
    model.build_for(data.observation_shape)
    return model


def dataset_size(data):
    return StateSpace(data.factors_num_values).num_states


def checkpoint_for(model, traced=False):
    """The model and its optimizers; `traced`: writes as one traced graph
    (for the default strategy; see traced_checkpoint)."""
    make = traced_checkpoint.TracedCheckpoint if traced else tf.train.Checkpoint
    return make(model=model, **model.all_optimizers())


def restore_newest(checkpoint, directory, complete=True, log=None):
    """Restores the newest checkpoint in `directory` that reads back, saying
    which newer ones were skipped and why; returns its path (None when the
    directory holds no checkpoint). `complete` asserts every object matched."""
    log = log or sys.stderr
    candidates = sorted(glob.glob(os.path.join(directory, "ckpt-*.index")),
                        key=_checkpoint_number, reverse=True)
    skipped = []
    for index in candidates:
        path = index[:-len(".index")]
        try:
            status = checkpoint.restore(path)
            if complete:
                status.assert_existing_objects_matched()
            else:
                status.expect_partial()
        except (tf.errors.OpError, ValueError, AssertionError, IndexError, OSError) as e:
            # what damaged files raise: data loss, short reads, bad protos
            log.write("skipping damaged checkpoint %s (%s)\n" % (path, errors.one_line(e)))
            skipped.append(path)
            continue
        if skipped:
            log.write("restored %s instead\n" % path)
        return path
    if skipped:
        raise ValueError("no checkpoint in %s can be read (%s)" % (directory, ", ".join(skipped)))
    return None


def _checkpoint_number(index_path):
    match = re.search(r"ckpt-(\d+)\.index$", index_path)
    return int(match.group(1)) if match else -1


@gin.configurable("model", denylist=["model_dir", "overwrite", "strategy_name",
                                     "config_text"])
def train(model_dir, overwrite=False, strategy_name="default", config_text="",
          model=vae_lib.VAE, training_steps=300000, batch_size=64,
          random_seed=0, optimizer=None, jit_compile=False,
          checkpoint_every=1000, log_every=100, image_every=1000,
          verbose=None, steps_per_execution=1, eval_every=0, eval_config=(),
          eval_bindings=()):
    """Trains `model` on the gin-configured dataset into `model_dir`.

    With `eval_every` > 0 the chief scores the weights every `eval_every`
    steps and at the last with the metric configs `eval_config` (and
    `eval_bindings`) in a worker process (tfdisent.curves): the scores go to
    MODEL_DIR/results/curves.jsonl and TensorBoard, the last ones into the
    train results as "eval.<metric>.<key>".

    `steps_per_execution` steps run per host call (one graph); logs,
    checkpoints and preemption still land on their exact steps. `verbose`:
    None prints progress lines (rewritten in place on a terminal), 0 nothing.
    Raises `preemption.Preempted` after SIGTERM/SIGINT (a checkpoint at that
    step is written) and `callbacks.NonFiniteLossError` at a non-finite step.
    """
    strategy = strategies.make_strategy(strategy_name)
    chief = strategies.is_chief()
    if eval_every and not eval_config:
        raise ValueError("model.eval_every = %d needs model.eval_config (metric gin "
                         "files, e.g. ['metrics/mig.gin'])" % eval_every)
    with _claimed(model_dir, overwrite, config_text, chief) as resuming, \
            _curve_evaluator(model_dir, chief and eval_every, eval_config,
                             eval_bindings) as evaluator:
        keras.utils.set_random_seed(random_seed)
        data = registry.get_configured()
        with strategy.scope():
            net = build_model(model, data, random_seed)
            net.compile(optimizer=optimizer or optimizers.make_optimizer(),
                        jit_compile=jit_compile, steps_per_execution=steps_per_execution)
            net.build_optimizers()
        checkpoint_dir = _worker_dir(model_dir, "checkpoints", chief)
        traced = strategy is tf.distribute.get_strategy()  # the default strategy: no replicas
        manager = tf.train.CheckpointManager(checkpoint_for(net, traced), checkpoint_dir,
                                             max_to_keep=2)
        restore_newest(manager.checkpoint, checkpoint_dir)
        start = int(net.global_step.numpy())
        if resuming or start:
            print("Resuming %s from step %d" % (model_dir, start))
        driver = training_loop.StepDriver(net, start, training_steps, steps_per_execution,
                                          (log_every, checkpoint_every, image_every,
                                           eval_every))
        halt = callbacks.HaltCheck(driver)
        run_callbacks = [halt]
        if evaluator is not None:
            # Before the checkpoint: a run killed after the checkpoint of a
            # scored step has that step's snapshot on disk.
            run_callbacks.append(curves_chief.CurveCallback(driver, evaluator, eval_every, halt))
            evaluator.wait_ready()
        run_callbacks.append(callbacks.PeriodicCheckpoint(driver, manager, checkpoint_every,
                                                          halt))
        if chief:
            run_callbacks += _chief_callbacks(driver, halt, model_dir, data, batch_size,
                                              random_seed, log_every, image_every, verbose)
        sampler, training_factors = correlated.training_sampler(data)
        dataset = net.training_batches(data, batch_size, random_seed, start_step=start,
                                       factor_sampler=sampler)
        began = time.time()
        remaining = training_steps - start
        if remaining > 0:
            with preemption.requests_stop(driver):
                # One fit "step" is one driver call of up to steps_per_execution
                # steps; HaltCheck ends fit when the driver reaches the last step.
                driver.install()
                net.fit(dataset, epochs=1, steps_per_epoch=remaining * steps_per_execution,
                        callbacks=run_callbacks, verbose=0, shuffle=False)
        elapsed = time.time() - began
        if halt.failure:
            raise callbacks.NonFiniteLossError(
                "training stopped: non-finite %s; the last good checkpoint "
                "is kept in %s" % (halt.failure, os.path.join(model_dir, "checkpoints")))
        if halt.preempted_at is not None:
            raise preemption.Preempted(halt.preempted_at)
        if not chief:
            return None
        export.export(net, os.path.join(model_dir, "saved_model"))
        scores, scored_step = evaluator.finish() if evaluator is not None else ({}, None)
        final = {k: float(np.mean(v)) for k, v in (driver.logs or {}).items()}
        progress = next(c for c in run_callbacks if isinstance(c, callbacks.ProgressLogger))
        final.update(elapsed_time=elapsed, steps=training_steps,
                     steps_per_second=remaining / elapsed if elapsed > 0 and remaining > 0
                     else 0.0, steady_steps_per_second=progress.steady_steps_per_second(),
                     dataset=data.name if hasattr(data, "name") else "")
        if training_factors:
            final["training_factors"] = training_factors
        final.update(net.training_results())
        history = continued_from(model_dir)
        if history:
            final["continued_from_steps"] = history
        if scored_step is not None:
            final.update({"eval." + key: value for key, value in scores.items()},
                         eval_step=scored_step)
        results.update_result_directory(os.path.join(model_dir, "results"), "train",
                                        final, operative_gin=gin.operative_config_str())
        return final


@contextlib.contextmanager
def _claimed(model_dir, overwrite, config_text, chief):
    """The chief holds MODEL_DIR/lock while it prepares and trains; yields
    True when resuming."""
    if not chief:
        yield False
        return
    with run_lock.held(model_dir):
        yield prepare_model_dir(model_dir, overwrite, config_text)


@contextlib.contextmanager
def _curve_evaluator(model_dir, enabled, config_files, bindings):
    """The chief's metric scoring process (None when off); ended on the way
    out whatever happens (unscored snapshots wait on disk for a resume)."""
    if not enabled:
        yield None
        return
    evaluator = curves_chief.CurveEvaluator(model_dir, config_files, bindings).start()
    try:
        yield evaluator
    finally:
        evaluator.close()


def _chief_callbacks(driver, halt, model_dir, data, batch_size, random_seed, log_every,
                     image_every, verbose):
    """Progress lines + TensorBoard scalars, and TensorBoard images."""
    writer = tf.summary.create_file_writer(os.path.join(model_dir, "logs"))
    chosen = [callbacks.ProgressLogger(driver, log_every, batch_size, halt,
                                       stream=None if verbose == 0 else sys.stdout,
                                       summary_writer=writer)]
    if image_every:
        sample = data.sample_observations(8, np.random.RandomState(random_seed))
        chosen.append(callbacks.ImageLogger(driver, writer, tf.constant(sample), image_every,
                                            halt))
    return chosen


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
    net, _ = rebuild(model_dir)
    if checkpoint:
        checkpoint_for(net).restore(checkpoint).expect_partial()
    elif restore_newest(checkpoint_for(net), os.path.join(model_dir, "checkpoints"),
                        complete=False) is None:
        raise FileNotFoundError("no checkpoint in %s" % os.path.join(model_dir, "checkpoints"))
    return net


def rebuild(model_dir):
    """The untrained model of a model directory and its training dataset,
    built from MODEL_DIR/checkpoints/config.gin (parsed into gin)."""
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
    return net, data


def _bound(name):
    try:
        gin.query_parameter(name)
        return True
    except ValueError:
        return False


def _configurable(reference):
    """A gin ConfigurableReference -> the callable it names."""
    return getattr(reference, "scoped_configurable_fn", reference)
