"""Keras training steps for distillation (and for fine-tuning a BERT teacher).

`Distiller.train_step` differentiates the FSD loss with respect to the
student's variables and the student memory only: the teacher is frozen
(``trainable = False``), called with ``training=False`` and its outputs pass
through ``tf.stop_gradient``.
"""

import sys

import gin
import keras
import tensorflow as tf

from tfdisent import callbacks as progress


class _TermTrainer(keras.Model):
    """A model whose step minimises ``terms["loss"]`` and reports every named term."""

    def __init__(self, term_names, **kwargs):
        super().__init__(**kwargs)
        self._trackers = {name: keras.metrics.Mean(name=name) for name in term_names}

    @property
    def metrics(self):
        return list(self._trackers.values())

    def compute_terms(self, inputs, labels, training):
        raise NotImplementedError

    def train_step(self, data):
        inputs, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            terms = self.compute_terms(inputs, labels, training=True)
        variables = self.trainable_variables
        gradients = tape.gradient(terms["loss"], variables)
        self.optimizer.apply_gradients(zip(gradients, variables))
        return self._track(terms)

    def test_step(self, data):
        inputs, labels, _ = keras.utils.unpack_x_y_sample_weight(data)
        return self._track(self.compute_terms(inputs, labels, training=False))

    def _track(self, terms):
        for name, tracker in self._trackers.items():
            tracker.update_state(terms[name])
        return {name: tracker.result() for name, tracker in self._trackers.items()}


class Distiller(_TermTrainer):
    """Teacher → student distillation with an `FSDObjective`.

    Args:
        teacher, student: models returning ``{"outputs", "hidden_states"}``.
        objective: an `FSDObjective`.
        memory: a `FeatureMemory` (variants with the global structure).
    """

    def __init__(self, teacher, student, objective, memory=None, **kwargs):
        names = ("loss", "task", "kd") + tuple(
                {"I": "intra", "L": "local", "G": "global"}[s] for s in objective.structures)
        super().__init__(names, **kwargs)
        if objective.needs_memory and memory is None:
            raise ValueError("FSD variant %s needs a teacher/student memory" % objective.variant)
        teacher.trainable = False
        self.teacher, self.student = teacher, student
        self.objective, self.memory = objective, memory

    def compute_terms(self, inputs, labels, training):
        teacher = tf.nest.map_structure(tf.stop_gradient, _hidden_state_outputs(
                self.teacher(inputs, training=False), "teacher"))
        student = _hidden_state_outputs(self.student(inputs, training=training), "student")
        mask = inputs.get("padding_mask") if isinstance(inputs, dict) else None
        memory = self.memory.centroids() if self.memory is not None else None
        return self.objective(teacher, student, labels, memory, mask)


class Finetuner(_TermTrainer):
    """Supervised training of one hidden-state model on its task loss (teacher fine-tuning)."""

    def __init__(self, model, output_losses, **kwargs):
        super().__init__(("loss",), **kwargs)
        self.network, self.output_losses = model, output_losses

    def compute_terms(self, inputs, labels, training):
        outputs = self.network(inputs, training=training)["outputs"]
        return {"loss": self.output_losses.task(outputs, labels)}


@gin.configurable("distill_optimizer", denylist=["learning_rate", "total_steps"])
def make_optimizer(learning_rate=5e-5, total_steps=None, weight_decay=0.0, epsilon=1e-8,
                   clip_norm=1.0):
    """AdamW with linear decay to 0 over ``total_steps`` (no warm-up) and global-norm clipping,
    as the reference code (transformers AdamW, eps 1e-8, decay 0, clip 1.0)."""
    schedule = learning_rate
    if total_steps:
        schedule = keras.optimizers.schedules.PolynomialDecay(learning_rate, total_steps, 0.0)
    optimizer = keras.optimizers.AdamW(learning_rate=schedule, weight_decay=weight_decay,
                                       epsilon=epsilon, global_clipnorm=clip_norm)
    if weight_decay:
        optimizer.exclude_from_weight_decay(var_names=["bias", "gamma", "beta", "memory"])
    return optimizer


def fit(trainer, dataset, epochs, learning_rate, steps_per_epoch=None, log_dir=None,
        run_eagerly=False, verbose="auto", log_every=100):
    """Compiles `trainer` with `make_optimizer` and fits it; returns the history dict.
    Prints a progress line every `log_every` steps unless `verbose` is 0."""
    total_steps = steps_per_epoch * epochs if steps_per_epoch else None
    if total_steps is None and tf.data.experimental.cardinality(dataset) > 0:
        total_steps = int(tf.data.experimental.cardinality(dataset)) * epochs
    trainer.compile(optimizer=make_optimizer(learning_rate, total_steps), jit_compile=False,
                    run_eagerly=run_eagerly)
    counter = progress.BatchCounter(total_steps)
    callbacks = [counter, progress.ProgressLogger(
        counter, log_every, stream=None if verbose == 0 else sys.stdout)]
    callbacks += [keras.callbacks.TensorBoard(log_dir)] if log_dir else []
    history = trainer.fit(dataset, epochs=epochs, steps_per_epoch=steps_per_epoch,
                          callbacks=callbacks, verbose=0, shuffle=False)
    return history.history


def check_pairing(teacher, student, objective, inputs):
    """Runs both models once on `inputs` and resolves the objective's layer pairs
    (one clear error for a model without hidden states or a bad index)."""
    teacher_hidden = _hidden_state_outputs(teacher(inputs, training=False), "teacher")
    student_hidden = _hidden_state_outputs(student(inputs, training=False), "student")
    return objective.check(teacher_hidden["hidden_states"], student_hidden["hidden_states"])


def _hidden_state_outputs(outputs, who):
    if not isinstance(outputs, dict) or "hidden_states" not in outputs:
        raise ValueError("the %s returns no hidden states: wrap it with bert_classifier or "
                         "encoder_with_hidden_states so it returns {'outputs', 'hidden_states'}"
                         % who)
    return outputs
