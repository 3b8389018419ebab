"""FSD on a GLUE task: BERT teacher (local preset or config) → shallower BERT student.

Steps: read the task's TSV files; build the teacher (fine-tune it on the task
unless a fine-tuned checkpoint is given); build the student from the
teacher's first layers; cluster the teacher memory (variants with G);
distil; score teacher and student on the dev set(s); save the student.
"""

import os
from typing import NamedTuple, Optional

import gin
import keras
import numpy as np
import tensorflow as tf

from tfdisent.distill import bert, glue, run, text
from tfdisent.distill.objective import FSDObjective
from tfdisent.distill.trainer import Finetuner, fit

STUDENT_INITS = ("copy_teacher", "copy_pretrained", "random")


class Teacher(NamedTuple):
    backbone: keras.Model
    classifier: keras.Model
    checkpoint: Optional[str]   # fine-tuned classifier weights, or None
    vocabulary: Optional[str]   # the preset's vocabulary file, or None


@gin.configurable("bert_teacher")
def build_teacher(num_labels, preset_dir=None, config=None, checkpoint=None, dropout=0.1):
    """Teacher backbone (local preset dir or BertBackbone config) and classifier; the
    fine-tuned classifier checkpoint (``.weights.h5``), if given, is loaded later."""
    backbone = bert.bert_backbone(preset_dir, config)
    if checkpoint is not None and not os.path.isfile(checkpoint):
        raise FileNotFoundError("teacher checkpoint not found: %s (a .weights.h5 written by "
                                "a previous bin/distill run, OUTPUT_DIR/checkpoints/)" % checkpoint)
    return Teacher(backbone, bert.bert_classifier(backbone, num_labels, dropout), checkpoint,
                   bert.preset_vocabulary(preset_dir))


@gin.configurable("bert_student")
def student_settings(num_layers=6, init="copy_teacher", dropout=0.1):
    """Student depth and initialisation: ``copy_teacher`` (the fine-tuned teacher's first
    layers), ``copy_pretrained`` (the preset's, before teacher fine-tuning: the
    reference code's ``--copy_teacher`` from bert-base-uncased) or ``random``."""
    if init not in STUDENT_INITS:
        raise ValueError("unknown student init %r; choose one of %s"
                         % (init, ", ".join(STUDENT_INITS)))
    return num_layers, init, dropout


@gin.configurable("teacher_finetuning")
def teacher_finetuning(epochs=3, learning_rate=2e-5, batch_size=32):
    return epochs, learning_rate, batch_size


@gin.configurable("glue_distillation", denylist=["output_dir", "seed"])
def glue_distillation(output_dir, seed=0, task=gin.REQUIRED, data_dir=gin.REQUIRED,
                      vocabulary_file=None, max_sequence_length=128, memory_examples=None):
    """The whole GLUE run; returns flat results (``teacher.dev.acc``, ``student.dev.acc``, ...).

    Args:
        task: GLUE task name (CoLA, SST-2, MRPC, STS-B, QQP, MNLI, QNLI, RTE, WNLI).
        data_dir: the task's directory with train.tsv and dev*.tsv.
        vocabulary_file: WordPiece vocabulary; default the preset's
            assets/tokenizer/vocabulary.txt, else one built from train.tsv.
        memory_examples: training examples clustered for the memory (None = all).
    """
    task = glue.get_task(task)
    objective = FSDObjective(task_type="regression" if task.is_regression else "classification")
    train = glue.read_examples(task, os.path.join(data_dir, "train.tsv"))
    dev = {split: glue.read_examples(task, os.path.join(data_dir, name))
           for split, name in task.dev_files}
    teacher = build_teacher(task.num_labels)
    encoder = _text_encoder(train, teacher.backbone, vocabulary_file or teacher.vocabulary,
                            max_sequence_length, output_dir)
    settings = run.training_settings()
    num_layers, init, dropout = student_settings()
    train_inputs = encoder(train.text_a, train.text_b)
    checkpoints = os.path.join(output_dir, "checkpoints")
    os.makedirs(checkpoints, exist_ok=True)

    def new_student():
        backbone = bert.student_backbone(teacher.backbone, num_layers, init != "random")
        return backbone, bert.bert_classifier(backbone, task.num_labels, dropout)

    student = new_student() if init == "copy_pretrained" else None
    results = {"task": task.name, "variant": objective.variant}
    results.update(_ready_teacher(teacher, objective, train_inputs, train.labels, output_dir,
                                  seed, settings.run_eagerly))
    student_backbone, student_classifier = student or new_student()

    train_set = _batches(train_inputs, train.labels, settings.batch_size, seed)
    memory_inputs = {k: v[:memory_examples] for k, v in train_inputs.items()}
    memory_set = _batches(memory_inputs, train.labels[:memory_examples], settings.batch_size)
    distiller = run.build_distiller(teacher.classifier, student_classifier, objective,
                                    memory_set, seed)
    history = fit(distiller, train_set, settings.epochs, settings.learning_rate,
                  settings.steps_per_epoch, log_dir=os.path.join(output_dir, "logs", "student"),
                  run_eagerly=settings.run_eagerly)
    results.update(run.history_results(history))
    for name, model in (("teacher", teacher.classifier), ("student", student_classifier)):
        for split, examples in dev.items():
            dataset = _batches(encoder(examples.text_a, examples.text_b), examples.labels,
                               settings.batch_size)
            scores = glue.compute_metrics(task, run.predict_outputs(model, dataset),
                                          examples.labels)
            results.update({"%s.%s.%s" % (name, split, k): v for k, v in scores.items()})
    student_classifier.save_weights(os.path.join(checkpoints, "student.weights.h5"))
    student_backbone.save_to_preset(os.path.join(output_dir, "student_preset"))
    return results


def _ready_teacher(teacher, objective, inputs, labels, output_dir, seed, run_eagerly):
    """Loads the fine-tuned checkpoint, or fine-tunes the teacher on the task and saves it."""
    if teacher.checkpoint:
        teacher.classifier.load_weights(teacher.checkpoint)
        return {}
    epochs, learning_rate, batch_size = teacher_finetuning()
    history = fit(Finetuner(teacher.classifier, objective.output_losses),
                  _batches(inputs, labels, batch_size, seed), epochs, learning_rate,
                  log_dir=os.path.join(output_dir, "logs", "teacher"), run_eagerly=run_eagerly)
    teacher.classifier.save_weights(os.path.join(output_dir, "checkpoints", "teacher.weights.h5"))
    return {"teacher.train.loss": float(history["loss"][-1])}


def _text_encoder(train, backbone, path, max_sequence_length, output_dir):
    """Vocabulary: the given file, or one built from the training text."""
    if path is None:
        os.makedirs(output_dir, exist_ok=True)
        texts = train.text_a + (train.text_b or [])
        path = text.build_vocabulary(texts, os.path.join(output_dir, "vocabulary.txt"),
                                     max_size=backbone.vocabulary_size)
    encoder = text.TextEncoder(path, max_sequence_length)
    if encoder.vocabulary_size > backbone.vocabulary_size:
        raise ValueError("vocabulary %s has %d tokens, the teacher only %d embeddings"
                         % (path, encoder.vocabulary_size, backbone.vocabulary_size))
    return encoder


def _batches(inputs, labels, batch_size, seed=None):
    """tf.data of (inputs, labels); shuffled (each epoch) and without the last
    partial batch when `seed` is given (training), in order otherwise."""
    dataset = tf.data.Dataset.from_tensor_slices((inputs, np.asarray(labels)))
    if seed is None:
        return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)
    drop = len(labels) > batch_size
    return (dataset.shuffle(len(labels), seed=seed).batch(batch_size, drop_remainder=drop)
            .prefetch(tf.data.AUTOTUNE))
