"""FSD for image encoders: a trained model's encoder → a smaller conv student.

The student learns the teacher's code (task: MSE to the teacher's means; KD:
KL between the two Gaussian posteriors) and its feature structures (spatial
positions as tokens). It is saved, scored against the teacher on fresh
images, and exported through `conv.export_student` with the teacher's
decoder so that ``bin/evaluate`` can score it like any model directory.
"""

import json
import os
import shutil

import gin
import numpy as np
import tensorflow as tf

from tfdisent.data import registry
from tfdisent.distill import conv, run
from tfdisent.distill.cka import linear_cka
from tfdisent.distill.objective import FSDObjective
from tfdisent.distill.trainer import fit


@gin.configurable("encoder_distillation", denylist=["output_dir", "seed"])
def encoder_distillation(output_dir, seed=0, teacher_model_dir=gin.REQUIRED, dataset_name=None,
                         memory_examples=10000, eval_examples=1000):
    """The whole encoder run.

    Args:
        teacher_model_dir: a trained model directory (bin/train).
        dataset_name: the images to distil on; None = the teacher's training
            dataset (its config, loaded with the model, sets ``dataset.name``).
        memory_examples: images clustered for the teacher memory.
        eval_examples: fresh images on which student and teacher codes are compared.
    """
    teacher_model = conv.load_teacher_model(teacher_model_dir)
    data = registry.get(dataset_name) if dataset_name else registry.get_configured()
    student, results = distill_encoder(teacher_model.encoder, data, output_dir, seed,
                                       memory_examples, eval_examples)
    conv.export_student(student, teacher_model, output_dir)
    carry_training_config(teacher_model_dir, output_dir, dataset_name)
    return results


def carry_training_config(teacher_model_dir, output_dir, dataset_name=None):
    """Copies the teacher's ``results/{gin/train.gin, json/train_config.json}``: the
    exported model is the teacher's with a new encoder, and ``bin/evaluate``'s
    ``dataset.name = "auto"`` reads the dataset from there (overridden by `dataset_name`)."""
    for parts in (("gin", "train.gin"), ("json", "train_config.json")):
        source = os.path.join(teacher_model_dir, "results", *parts)
        if os.path.isfile(source):
            os.makedirs(os.path.join(output_dir, "results", parts[0]), exist_ok=True)
            shutil.copy(source, os.path.join(output_dir, "results", *parts))
    config_path = os.path.join(output_dir, "results", "json", "train_config.json")
    if dataset_name and os.path.isfile(config_path):
        with open(config_path) as f:
            config = json.load(f)
        config.update({"dataset.name": repr(dataset_name), "dataset.options": "None"})
        with open(config_path, "w") as f:
            json.dump(config, f, indent=2, sort_keys=True)


def distill_encoder(teacher_encoder, data, output_dir, seed=0, memory_examples=10000,
                    eval_examples=1000):
    """Distils `teacher_encoder` (functional, images → {"mean"[, "logvar"]}) on images of
    `data` (a GroundTruthData) into `conv_student_encoder`; returns (student, results)."""
    settings = run.training_settings()
    if not settings.steps_per_epoch:
        raise ValueError("encoder distillation streams images: set distill_training.steps_per_epoch")
    teacher = conv.encoder_with_hidden_states(teacher_encoder)
    code = conv.code_outputs(teacher_encoder)
    student_encoder = conv.conv_student_encoder(data.observation_shape, code["mean"].shape[-1],
                                                stochastic="logvar" in code)
    student = conv.encoder_with_hidden_states(student_encoder)
    objective = FSDObjective(task_type="gaussian_code")
    memory_set = image_batches(data, settings.batch_size, seed + 1, memory_examples)
    distiller = run.build_distiller(teacher, student, objective, memory_set, seed)
    history = fit(distiller, image_batches(data, settings.batch_size, seed), settings.epochs,
                  settings.learning_rate, settings.steps_per_epoch,
                  log_dir=os.path.join(output_dir, "logs"), run_eagerly=settings.run_eagerly)
    results = {"variant": objective.variant, **run.history_results(history)}
    eval_set = image_batches(data, settings.batch_size, seed + 2, eval_examples)
    results.update(code_agreement(run.predict_outputs(teacher, eval_set)["mean"],
                                  run.predict_outputs(student, eval_set)["mean"]))
    results.update(layer_agreement(teacher, student, eval_set))
    os.makedirs(os.path.join(output_dir, "student"), exist_ok=True)
    student_encoder.save(os.path.join(output_dir, "student", "encoder.keras"))
    return student_encoder, results


def code_agreement(teacher_means, student_means):
    """How well the student reproduces the teacher's code: MSE, R² and linear CKA."""
    error = float(np.mean((student_means - teacher_means) ** 2))
    variance = float(np.mean(np.var(teacher_means, axis=0)))
    return {"student.code_mse": error,
            "student.code_r2": 1.0 - error / max(variance, 1e-12),
            "student.code_cka": float(linear_cka(teacher_means, student_means))}


def layer_agreement(teacher, student, dataset):
    """Linear CKA between the teacher's and the student's hidden states of the
    same depth (1 = first conv layer, ...; the image, 0, is left out), each
    flattened per example, over the images of `dataset`:
    {"student.cka.layer_<k>": value}."""
    def hidden_states(model):
        predict = tf.function(lambda x: model(x, training=False)["hidden_states"][1:])
        batches = [[h.numpy().reshape(len(h), -1) for h in predict(x)] for x in dataset]
        return [np.concatenate(layer) for layer in zip(*batches)]
    teacher_states, student_states = hidden_states(teacher), hidden_states(student)
    return {"student.cka.layer_%d" % k: float(linear_cka(t, s)) for k, (t, s) in
            enumerate(zip(teacher_states, student_states), start=1)}


def image_batches(data, batch_size, seed, num_examples=None):
    """tf.data of float32 image batches drawn from `data` with a fixed seed: the same
    images on every pass; endless when `num_examples` is None."""
    shape = tuple(data.observation_shape)

    def generate():
        random_state = np.random.RandomState(seed)
        remaining = num_examples
        while remaining is None or remaining > 0:
            size = batch_size if remaining is None else min(batch_size, remaining)
            yield data.sample_observations(size, random_state).astype(np.float32)
            remaining = None if remaining is None else remaining - size

    signature = tf.TensorSpec((None,) + shape, tf.float32)
    return tf.data.Dataset.from_generator(generate, output_signature=signature).prefetch(2)
