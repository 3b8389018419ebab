"""What both distillation pipelines share: settings, output directory, results."""

import json
import os
import shutil
import time
from typing import NamedTuple, Optional

import gin
import keras
import numpy as np
import tensorflow as tf

from tfdisent.distill.memory import build_memory, hidden_feature_batches
from tfdisent.distill.trainer import Distiller, check_pairing

RESULTS_NAME = "distill"


class TrainingSettings(NamedTuple):
    epochs: int
    batch_size: int
    learning_rate: float
    steps_per_epoch: Optional[int]
    run_eagerly: bool


@gin.configurable("distill_training")
def training_settings(epochs=3, batch_size=32, learning_rate=5e-5, steps_per_epoch=None,
                      run_eagerly=False):
    """Student training: the reference code's 3 epochs, batch 32, lr 5e-5 (BERT).
    ``run_eagerly`` skips graph tracing (debugging, or a few steps on tiny models)."""
    return TrainingSettings(epochs, batch_size, learning_rate, steps_per_epoch, run_eagerly)


@gin.configurable("distill", denylist=["output_dir", "seed"])
def run_distillation(output_dir, seed=0, pipeline=None):
    """Runs ``pipeline(output_dir, seed)`` (`glue_distillation` or `encoder_distillation`)
    and writes its results under ``output_dir/results``."""
    if pipeline is None:
        raise ValueError("no distillation pipeline: pass --gin_config=gin_configs/fsd_glue.gin "
                         "or gin_configs/fsd_encoder.gin (distill.pipeline)")
    keras.utils.set_random_seed(seed)
    start = time.time()
    results = pipeline(output_dir=output_dir, seed=seed)
    results["elapsed_time"] = time.time() - start
    write_results(output_dir, results)
    return results


def prepare_output_dir(output_dir, overwrite=False):
    """Creates `output_dir`; an existing non-empty one is replaced only with `overwrite`."""
    if os.path.isdir(output_dir) and os.listdir(output_dir):
        if not overwrite:
            raise FileExistsError("output directory %s is not empty; pass --overwrite to "
                                  "replace it" % output_dir)
        shutil.rmtree(output_dir)
    os.makedirs(output_dir, exist_ok=True)


def write_results(output_dir, results):
    """``results/gin/distill.gin`` and ``results/json/distill_results.json`` (flat keys)."""
    gin_dir = os.path.join(output_dir, "results", "gin")
    json_dir = os.path.join(output_dir, "results", "json")
    os.makedirs(gin_dir, exist_ok=True)
    os.makedirs(json_dir, exist_ok=True)
    with open(os.path.join(gin_dir, RESULTS_NAME + ".gin"), "w") as f:
        f.write(gin.operative_config_str())
    with open(os.path.join(json_dir, RESULTS_NAME + "_results.json"), "w") as f:
        json.dump(_jsonable(results), f, indent=2, sort_keys=True)


def history_results(history):
    """Every training term of the last and the first epoch:
    ``train.<term>`` and ``train.first_epoch.<term>``."""
    results = {}
    for name, values in history.items():
        results["train." + name] = float(values[-1])
        results["train.first_epoch." + name] = float(values[0])
    return results


def build_distiller(teacher, student, objective, memory_dataset, seed=0):
    """Checks the layer pairing, builds the memories if the variant needs them
    (one k-means pass per iteration over `memory_dataset`) and returns a `Distiller`."""
    sample = keras.utils.unpack_x_y_sample_weight(next(iter(memory_dataset)))[0]
    pairs = check_pairing(teacher, student, objective, sample)
    memory = None
    if objective.needs_memory:
        teacher_index, student_index = pairs["G"]
        memory = build_memory(hidden_feature_batches(teacher, teacher_index, memory_dataset),
                              hidden_feature_batches(student, student_index, memory_dataset),
                              seed=seed)
    return Distiller(teacher, student, objective, memory)


def predict_outputs(model, dataset):
    """Concatenated ``model(x)["outputs"]`` over a dataset of ``(x, y)`` or ``x``."""
    predict = tf.function(lambda x: model(x, training=False)["outputs"])
    outputs = [tf.nest.map_structure(lambda t: t.numpy(),
                                     predict(keras.utils.unpack_x_y_sample_weight(batch)[0]))
               for batch in dataset]
    return tf.nest.map_structure(lambda *parts: np.concatenate(parts), *outputs)


def _jsonable(results):
    return {key: (float(value) if isinstance(value, (np.floating, np.integer)) else value)
            for key, value in results.items()}
