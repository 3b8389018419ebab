"""BERT teachers/students from keras-hub: hidden states, copy_teacher, gradients, end to end."""

import os

import gin
import keras
import numpy as np
import pytest
import tensorflow as tf

from tfdisent.distill import bert, glue_pipeline  # noqa: F401  (registers gin names)
from tfdisent.distill import run as distill_run
from tfdisent.distill.memory import FeatureMemory
from tfdisent.distill.objective import FSDObjective
from tfdisent.distill.trainer import Distiller, check_pairing
from tests.subprocess_utils import ROOT as REPO, run_bin
TINY = {"vocabulary_size": 50, "num_layers": 4, "num_heads": 2, "hidden_dim": 32,
        "intermediate_dim": 64, "max_sequence_length": 16}
POSITIVE, NEGATIVE = ("good", "great", "fine"), ("bad", "awful", "poor")
FILLERS = tuple("w%d" % i for i in range(30))
COUNTS = ((2, 0), (0, 2), (3, 1), (1, 3), (1, 0), (0, 1))  # (positive, negative) words


def _inputs(batch=4, length=16, seed=0):
    rng = np.random.RandomState(seed)
    return {"token_ids": rng.randint(5, 50, (batch, length)).astype(np.int32),
            "segment_ids": np.zeros((batch, length), np.int32),
            "padding_mask": np.ones((batch, length), np.int32)}


def _teacher_and_student(num_labels=2):
    keras.utils.set_random_seed(0)
    teacher_backbone = bert.bert_backbone(config=TINY)
    student_backbone = bert.student_backbone(teacher_backbone, 2)
    return (bert.bert_classifier(teacher_backbone, num_labels),
            bert.bert_classifier(student_backbone, num_labels), teacher_backbone, student_backbone)


def test_hidden_states_and_copy_teacher():
    teacher, student, teacher_backbone, student_backbone = _teacher_and_student()
    outputs = teacher(_inputs())
    assert outputs["outputs"].shape == (4, 2)
    assert [h.shape for h in outputs["hidden_states"]] == [(4, 16, 32)] * 5
    assert len(student(_inputs())["hidden_states"]) == 3
    for name in ("token_embedding", "transformer_layer_0", "transformer_layer_1", "pooled_dense"):
        for a, b in zip(teacher_backbone.get_layer(name).weights,
                        student_backbone.get_layer(name).weights):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    # Same embeddings and first layer: the same hidden state 1.
    np.testing.assert_allclose(outputs["hidden_states"][1],
                               student(_inputs())["hidden_states"][1], atol=1e-5)


def test_local_preset_round_trip_and_missing_preset(tmp_path):
    backbone = bert.bert_backbone(config=TINY)
    backbone.save_to_preset(str(tmp_path / "preset"))
    loaded = bert.load_local_preset(str(tmp_path / "preset"))
    assert loaded.num_layers == 4
    np.testing.assert_array_equal(loaded.get_layer("token_embedding").weights[0].numpy(),
                                  backbone.get_layer("token_embedding").weights[0].numpy())
    with pytest.raises(FileNotFoundError, match="never downloaded"):
        bert.load_local_preset("bert_base_en_uncased")
    with pytest.raises(ValueError, match="not both or neither"):
        bert.bert_backbone()


def test_bad_teachers_and_layer_indices_fail_clearly():
    teacher, student, _, _ = _teacher_and_student()
    plain = keras.Sequential([keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="has no hidden states"):
        bert.bert_hidden_states(plain)
    no_hidden = keras.Model(teacher.inputs, teacher.get_layer("classifier").output)
    with pytest.raises(ValueError, match="the teacher returns no hidden states"):
        check_pairing(no_hidden, student, FSDObjective(variant="I"), _inputs())
    with pytest.raises(ValueError, match="layer index 7 is out of range for the student"):
        check_pairing(teacher, student, FSDObjective(variant="I", intra_pairs=[(3, 7)]), _inputs())
    with pytest.raises(ValueError, match="needs a teacher/student memory"):
        Distiller(teacher, student, FSDObjective(variant="G"))


def test_gradients_reach_student_and_memory_never_teacher():
    teacher, student, _, _ = _teacher_and_student()
    rng = np.random.RandomState(0)
    memory = FeatureMemory(rng.randn(3, 16 * 32), rng.randn(3, 16 * 32))
    distiller = Distiller(teacher, student, FSDObjective(variant="ILG"), memory)
    inputs, labels = _inputs(), np.array([0, 1, 1, 0])

    teacher_variables = [v.value for v in teacher.weights]  # the tf.Variables, frozen
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(teacher_variables)
        loss = distiller.compute_terms(inputs, labels, training=True)["loss"]
    assert all(g is None for g in tape.gradient(loss, teacher_variables))
    student_gradients = tape.gradient(loss, student.trainable_weights)
    assert sum(g is not None for g in student_gradients) > 0.8 * len(student_gradients)
    assert tape.gradient(loss, memory.student_memory) is not None
    assert tape.gradient(loss, memory.teacher_memory) is None

    before = {id(v): v.numpy().copy() for v in teacher.weights + student.weights + memory.weights}
    distiller.compile(optimizer=keras.optimizers.AdamW(1e-2), jit_compile=False)
    distiller.fit(tf.data.Dataset.from_tensors((inputs, labels)), epochs=1, verbose=0)
    for v in teacher.weights + [memory.teacher_memory]:
        np.testing.assert_array_equal(v.numpy(), before[id(v)])
    assert not np.allclose(memory.student_memory.numpy(), before[id(memory.student_memory)])
    changed = [not np.allclose(v.numpy(), before[id(v)]) for v in student.trainable_weights]
    assert sum(changed) > 0.8 * len(changed)


# --- end to end on a synthetic GLUE-format task -------------------------------------------

def _write_sentiment_task(directory, seed=0):
    """SST-2 layout: label 1 when positive words outnumber negative ones."""
    rng = np.random.RandomState(seed)
    directory.mkdir()
    for name, count in (("train.tsv", 256), ("dev.tsv", 64)):
        rows = []
        for _ in range(count):
            positive, negative = COUNTS[rng.randint(len(COUNTS))]
            words = (list(rng.choice(POSITIVE, positive)) + list(rng.choice(NEGATIVE, negative))
                     + list(rng.choice(FILLERS, rng.randint(4, 9))))
            rng.shuffle(words)
            rows.append("%s\t%d" % (" ".join(words), int(positive > negative)))
        (directory / name).write_text("sentence\tlabel\n" + "\n".join(rows) + "\n")
    return str(directory)


def _bindings(data_dir, variant, checkpoint=None):
    bindings = ['glue_distillation.task = "SST-2"',
                'glue_distillation.data_dir = "%s"' % data_dir,
                "glue_distillation.max_sequence_length = 16",
                "bert_teacher.config = %r" % (TINY,),
                "teacher_finetuning.epochs = 6",
                "teacher_finetuning.learning_rate = 2e-3",
                "bert_student.num_layers = 2",
                'fsd.variant = "%s"' % variant,
                "fsd_memory.num_centroids = 8",
                "distill_training.epochs = 2",
                "distill_training.learning_rate = 1e-3",
                "distill_training.run_eagerly = True"]  # tracing costs more than 24 tiny steps
    if checkpoint:
        bindings.append('bert_teacher.checkpoint = "%s"' % checkpoint)
    return bindings


def _run(output_dir, bindings):
    gin.clear_config()
    gin.parse_config_files_and_bindings([os.path.join(REPO, "gin_configs", "fsd_glue.gin")],
                                        bindings)
    try:
        distill_run.prepare_output_dir(output_dir)
        return distill_run.run_distillation(output_dir, seed=0)
    finally:
        gin.clear_config()


@pytest.fixture(scope="module")
def trained_teacher(tmp_path_factory):
    """Runs the plain-KD variant once: fine-tunes the teacher and saves its checkpoint."""
    root = tmp_path_factory.mktemp("fsd_glue")
    data_dir = _write_sentiment_task(root / "SST-2")
    output_dir = str(root / "none")
    results = _run(output_dir, _bindings(data_dir, "none"))
    return data_dir, os.path.join(output_dir, "checkpoints", "teacher.weights.h5"), results


@pytest.mark.slow
def test_teacher_learns_and_plain_kd_runs(trained_teacher):
    _, checkpoint, results = trained_teacher
    assert os.path.isfile(checkpoint)
    assert results["teacher.dev.acc"] > 0.7
    assert results["train.loss"] < results["train.first_epoch.loss"]
    assert 0.0 <= results["student.dev.acc"] <= 1.0


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["I", "L", "G", "IL", "ILG"])
def test_each_fsd_variant_runs_and_losses_fall(trained_teacher, tmp_path, variant):
    data_dir, checkpoint, _ = trained_teacher
    output_dir = str(tmp_path / variant)
    results = _run(output_dir, _bindings(data_dir, variant, checkpoint))
    assert results["variant"] == variant
    assert results["train.loss"] < results["train.first_epoch.loss"]
    structure_terms = {"train." + name for s, name in zip("ILG", ("intra", "local", "global"))
                       if s in variant}
    assert structure_terms == {key for key in results
                               if key in ("train.intra", "train.local", "train.global")}
    assert "teacher.train.loss" not in results  # the checkpoint was reused, not re-trained
    assert os.path.isfile(os.path.join(output_dir, "results", "json", "distill_results.json"))
    assert os.path.isfile(os.path.join(output_dir, "student_preset", "config.json"))
    assert bert.load_local_preset(os.path.join(output_dir, "student_preset")).num_layers == 2


@pytest.mark.slow
def test_bin_distill(trained_teacher, tmp_path):
    data_dir, checkpoint, _ = trained_teacher
    flags = ["--gin_config=gin_configs/fsd_glue.gin", "--output_dir=" + str(tmp_path / "cli")]
    bindings = ["--gin_bindings=" + b for b in _bindings(data_dir, "ILG", checkpoint)]
    graph_mode = ["--gin_bindings=distill_training.epochs = 1",
                  "--gin_bindings=distill_training.run_eagerly = False"]
    done = run_bin("distill", *flags, *bindings, *graph_mode)
    assert done.returncode == 0, done.stderr[-2000:]
    assert os.path.isfile(str(tmp_path / "cli" / "results" / "json" / "distill_results.json"))
    exists = run_bin("distill", *flags, *bindings)
    assert exists.returncode == 1 and "--overwrite" in exists.stderr
    missing = run_bin("distill", *flags, "--overwrite",
                      '--gin_bindings=glue_distillation.data_dir = "/nonexistent/RTE"')
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines()[-1].startswith("error: FileNotFoundError: GLUE")
