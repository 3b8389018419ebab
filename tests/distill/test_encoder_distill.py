"""Conv encoders as FSD teachers/students: hidden states, and distillation on a tiny dataset."""

import json
import os
import re

import gin
import keras
import numpy as np
import pytest
import tensorflow as tf

from tfdisent.data.ground_truth import GroundTruthData
from tfdisent.distill import conv, encoder_pipeline
from tfdisent.distill.structures import as_tokens
from tests.subprocess_utils import run_bin


class Squares(GroundTruthData):
    """A 4×4 bright square on a 32×32 canvas; factors: x and y position (8 each)."""

    factors_num_values = (8, 8)
    observation_shape = (32, 32, 1)

    def observations_from_factors_uint8(self, factors, random_state):
        images = np.zeros((len(factors), 32, 32, 1), np.uint8)
        for i, (x, y) in enumerate(np.asarray(factors) * 4):
            images[i, y:y + 4, x:x + 4] = 255
        return images


def _teacher_encoder():
    keras.utils.set_random_seed(0)
    return conv.conv_student_encoder((32, 32, 1), 4, filters=(16, 16, 32, 32), dense_units=64)


def test_encoder_hidden_states():
    model = conv.encoder_with_hidden_states(_teacher_encoder())
    outputs = model(np.zeros((2, 32, 32, 1), np.float32))
    shapes = [tuple(h.shape) for h in outputs["hidden_states"]]
    assert shapes == [(2, 32, 32, 1), (2, 16, 16, 16), (2, 8, 8, 16), (2, 4, 4, 32),
                      (2, 2, 2, 32), (2, 64)]
    assert as_tokens(outputs["hidden_states"][4]).shape == (2, 4, 32)  # positions are tokens
    assert {k: tuple(v.shape) for k, v in outputs["outputs"].items()} == {"mean": (2, 4),
                                                                          "logvar": (2, 4)}
    chosen = conv.encoder_with_hidden_states(_teacher_encoder(), layer_names=["conv_3"])
    assert len(chosen(np.zeros((1, 32, 32, 1), np.float32))["hidden_states"]) == 2


def test_deterministic_and_pair_encoders():
    deterministic = conv.conv_student_encoder((32, 32, 1), 3, stochastic=False)
    wrapped = conv.encoder_with_hidden_states(deterministic)
    assert set(wrapped(np.zeros((1, 32, 32, 1), np.float32))["outputs"]) == {"mean"}
    images = keras.Input((8, 8, 1))
    hidden = keras.layers.Dense(5, name="hidden")(keras.layers.Flatten()(images))
    pair = keras.Model(images, [keras.layers.Dense(2)(hidden), keras.layers.Dense(2)(hidden)])
    outputs = conv.encoder_with_hidden_states(pair)(np.zeros((1, 8, 8, 1), np.float32))
    assert set(outputs["outputs"]) == {"mean", "logvar"}
    assert [tuple(h.shape) for h in outputs["hidden_states"]] == [(1, 8, 8, 1), (1, 5)]


def test_encoders_without_hidden_states_fail_clearly():
    images = keras.Input((8, 8, 1))
    flat = keras.layers.Flatten()(images)
    bare = keras.Model(images, [keras.layers.Dense(2)(flat), keras.layers.Dense(2)(flat)])
    with pytest.raises(ValueError, match="has no hidden states"):
        conv.encoder_with_hidden_states(bare)

    class Subclassed(keras.Model):
        def call(self, x):
            return x, x
    with pytest.raises(ValueError, match="has no hidden states"):
        conv.encoder_with_hidden_states(Subclassed())


def _trained_teacher(data):
    """A teacher whose first two code dimensions regress the square's position."""
    teacher = _teacher_encoder()
    factors, images = data.sample(512, np.random.RandomState(0))
    targets = np.zeros((512, 4), np.float32)
    targets[:, :2] = (factors - 3.5) / 2.0
    means = keras.Model(teacher.inputs, teacher.output["mean"])
    means.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mse", jit_compile=False)
    means.fit(images, targets, batch_size=32, epochs=4, verbose=0)
    return teacher


@pytest.mark.slow
def test_distill_encoder_end_to_end(tmp_path):
    data = Squares()
    teacher = _trained_teacher(data)
    gin.clear_config()
    gin.parse_config(["conv_student_encoder.filters = (8, 8, 16, 16)",
                      "conv_student_encoder.dense_units = 32",
                      "fsd_memory.num_centroids = 8",
                      "distill_training.epochs = 2",
                      "distill_training.steps_per_epoch = 20",
                      "distill_training.batch_size = 32",
                      "distill_training.learning_rate = 2e-3"])
    try:
        keras.utils.set_random_seed(1)
        fresh = conv.conv_student_encoder((32, 32, 1), 4)
        images = data.sample_observations(128, np.random.RandomState(3))
        baseline = encoder_pipeline.code_agreement(teacher.predict(images, verbose=0)["mean"],
                                                   fresh.predict(images, verbose=0)["mean"])
        student, results = encoder_pipeline.distill_encoder(
                teacher, data, str(tmp_path), seed=0, memory_examples=128, eval_examples=128)
    finally:
        gin.clear_config()
    assert results["variant"] == "ILG"
    for term in ("loss", "task", "kd", "intra", "local", "global"):
        assert np.isfinite(results["train." + term])
    assert results["train.loss"] < results["train.first_epoch.loss"]
    # 40 steps: the student already explains a good part of the teacher's code.
    assert results["student.code_mse"] < 0.75 * baseline["student.code_mse"]
    assert results["student.code_r2"] > max(0.3, baseline["student.code_r2"] + 0.2)
    saved = keras.models.load_model(os.path.join(str(tmp_path), "student", "encoder.keras"))
    np.testing.assert_allclose(saved.predict(images[:4], verbose=0)["logvar"],
                               student.predict(images[:4], verbose=0)["logvar"], atol=1e-5)
    assert student.count_params() < teacher.count_params()


@pytest.mark.slow
def test_trained_model_dir_to_student_to_bin_evaluate(tmp_path):
    teacher_dir, student_dir, scores_dir = (str(tmp_path / d) for d in ("teacher", "student",
                                                                         "scores"))
    trained = run_bin("train", "--gin_config=gin_configs/beta_vae.gin",
                      "--gin_bindings=model.batch_size = 16", "--gin_bindings=model.image_every = 0",
                      "--gin_bindings=model.training_steps = 40", "--model_dir=" + teacher_dir)
    assert trained.returncode == 0, trained.stderr[-2000:]
    distilled = run_bin("distill", "--gin_config=gin_configs/fsd_encoder.gin",
                        "--output_dir=" + student_dir,
                        '--gin_bindings=encoder_distillation.teacher_model_dir = "%s"' % teacher_dir,
                        "--gin_bindings=encoder_distillation.memory_examples = 128",
                        "--gin_bindings=encoder_distillation.eval_examples = 128",
                        "--gin_bindings=fsd_memory.num_centroids = 8",
                        "--gin_bindings=distill_training.epochs = 2",
                        "--gin_bindings=distill_training.steps_per_epoch = 10")
    assert distilled.returncode == 0, distilled.stderr[-2000:]
    assert re.search(r"^step 20/20 \(100%\) \| .*loss .* steps/s", distilled.stdout, re.M)
    with open(os.path.join(student_dir, "results", "json", "distill_results.json")) as f:
        results = json.load(f)
    assert results["train.loss"] < results["train.first_epoch.loss"]

    served = tf.saved_model.load(os.path.join(student_dir, "saved_model"))
    student = keras.models.load_model(os.path.join(student_dir, "student", "encoder.keras"))
    images = np.random.RandomState(0).rand(3, 64, 64, 1).astype(np.float32)
    np.testing.assert_allclose(served.signatures["gaussian_encoder"](images=images)["mean"],
                               student.predict(images, verbose=0)["mean"], atol=1e-4)
    assert served.signatures["reconstructions"](images=images)["images"].shape == (3, 64, 64, 1)

    scored = run_bin("evaluate", "--model_dir=" + student_dir, "--output_dir=" + scores_dir,
                     "--gin_config=gin_configs/metrics/mig.gin",
                     "--gin_bindings=mig.num_train = 300")
    assert scored.returncode == 0, scored.stderr[-2000:]
    assert "metric 1/1: mig" in scored.stdout
    with open(os.path.join(scores_dir, "results", "json", "evaluation_results.json")) as f:
        assert 0.0 <= json.load(f)["discrete_mig"] <= 1.0
