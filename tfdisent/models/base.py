"""The training machinery every model shares.

A model computes a dict of named loss terms ``{name: Term(value, weight)}``;
the loss is ``sum(weight * value)``. Every term is logged by name (unweighted)
next to ``loss``. Variables are trained by optimizer groups: the compiled
optimizer owns every variable that no component claims; components (a
regularizer, an extension) may claim variables for a group with its own
optimizer (CFASL's attention layer at 2e-5, MIPE's units, DEFT's stages), or
keep them private and train them in their own secondary update (FactorVAE's
discriminator).
"""

from typing import NamedTuple

import keras
import tensorflow as tf

from tfdisent.data import pipelines


class Term(NamedTuple):
    """One loss term: its value (a scalar) and its weight in the loss."""
    value: tf.Tensor
    weight: object = 1.0


class OptimizerGroup(NamedTuple):
    """Variables trained on the main loss by their own optimizer."""
    name: str
    variables: list
    optimizer: keras.optimizers.Optimizer


class Context:
    """Everything one forward pass knows, shared by the objective's parts.

    Base models fill in what they compute (``x``, ``z``, ``z_mean``, ...);
    components read what they need and may add or replace entries in
    ``prepare`` before the base terms are computed.
    """

    def __init__(self, **values):
        self.__dict__.update(values)

    def get(self, name, default=None):
        return self.__dict__.get(name, default)


class Component(keras.layers.Layer):
    """A part of the objective: a regularizer or an extension.

    Override any of: ``prepare(ctx)`` (before the base terms), ``terms(ctx)``
    (named Terms added to the loss), ``optimizer_groups()``, and for a part
    with its own loss ``private_variables()``, ``private_optimizers()``
    ({name: optimizer} that trains them) and ``secondary_update(ctx)`` (its
    own training after the main update; returns logs).
    """

    def prepare(self, ctx):
        pass

    def terms(self, ctx):
        return {}

    def optimizer_groups(self):
        return []

    def private_variables(self):
        return []

    def private_optimizers(self):
        return {}

    def secondary_update(self, ctx):
        return {}

    def call(self, *args, **kwargs):  # components are not called as layers
        raise NotImplementedError


def total_loss(terms):
    return tf.add_n([tf.cast(t.weight, t.value.dtype) * t.value
                     for t in terms.values()])


def _ids(variables):
    return {id(v) for v in variables}


class TrainableModel(keras.Model):
    """A keras.Model trained by ``fit`` on batches of images.

    Subclasses implement ``forward(x, training) -> (terms, ctx)`` and list
    their ``components``. ``clip_global_norm`` clips all main-loss gradients
    jointly (as torch.nn.utils.clip_grad_norm_ does).
    """

    def __init__(self, components=(), clip_global_norm=None, seed=0, **kwargs):
        super().__init__(**kwargs)
        self.components = list(components)
        self.clip_global_norm = clip_global_norm
        self.seed = int(seed)
        self.global_step = self.add_weight(
            name="global_step", shape=(), dtype="int64", initializer="zeros",
            trainable=False, aggregation="only_first_replica")
        self._groups = None

    # -- randomness: a pure function of (seed, step, salt) ------------------
    def _stateless(self, sampler, shape, salt, per_example):
        seed = tf.stack([tf.constant(self.seed, tf.int64),
                         self.global_step * 1009 + salt])
        if not per_example:
            return sampler(shape, seed=seed)
        # Draw for the global batch and keep this replica's rows, so one
        # device and N replicas see the same noise for the same example.
        context = tf.distribute.get_replica_context()
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        replica = context.replica_id_in_sync_group if context else 0
        local = shape[0]
        full = sampler(tf.concat([[local * replicas], shape[1:]], 0), seed=seed)
        return full[replica * local:(replica + 1) * local]

    def random_normal(self, shape, salt, per_example=True):
        """N(0, 1) noise that is reproducible across resumes and replicas;
        `salt` (a small int) separates the independent draws of one step."""
        return self._stateless(tf.random.stateless_normal, tf.convert_to_tensor(shape),
                               salt, per_example)

    def random_uniform(self, shape, salt, per_example=True):
        """U[0, 1) noise, reproducible like `random_normal`."""
        return self._stateless(tf.random.stateless_uniform, tf.convert_to_tensor(shape),
                               salt, per_example)

    # -- what subclasses provide ------------------------------------------
    def forward(self, x, training, supervision=None):
        """(terms, ctx) of a batch of images; `supervision`: the batch's
        other tensors by name (a pair's changed factors, labelled points)."""
        raise NotImplementedError

    def training_batches(self, data, batch_size, seed, start_step=0, factor_sampler=None):
        """The training input: i.i.d. images (tfdisent.data.pipelines)."""
        return pipelines.image_batches(data, batch_size, seed, start_step=start_step,
                                       factor_sampler=factor_sampler)

    def training_results(self):
        """What the training input records in the run's results."""
        return {}

    def build_for(self, observation_shape):
        """Creates every variable with one forward pass on zeros."""
        self.forward(tf.zeros([2, *observation_shape]), training=False)
        self.built = True

    # -- optimizers --------------------------------------------------------
    def optimizer_groups(self):
        """All groups trained on the main loss; the first is the compiled
        optimizer's group ("main"), holding every unclaimed variable."""
        if self._groups is None:
            claimed = [g for c in self.components for g in c.optimizer_groups()]
            taken = _ids(v for g in claimed for v in g.variables)
            taken |= _ids(v for c in self.components
                          for v in c.private_variables())
            main = [v for v in self.trainable_variables if id(v) not in taken]
            self._groups = [OptimizerGroup("main", main, self.optimizer)] + claimed
        return self._groups

    def all_optimizers(self):
        """Every optimizer whose state is part of a checkpoint, by name."""
        named = {g.name: g.optimizer for g in self.optimizer_groups()}
        for c in self.components:
            named.update(c.private_optimizers())
        return named

    def build_optimizers(self):
        """Creates optimizer slots up front (needed under tf.distribute)."""
        for group in self.optimizer_groups():
            group.optimizer.build(group.variables)
        for c in self.components:
            for optimizer in c.private_optimizers().values():
                optimizer.build(c.private_variables())

    # -- the step ----------------------------------------------------------
    def train_step(self, data):
        x, supervision = batch_parts(data)
        groups = self.optimizer_groups()
        variables = [v for g in groups for v in g.variables]
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        with tf.GradientTape() as tape:
            terms, ctx = self.forward(x, training=True, supervision=supervision)
            loss = total_loss(terms)
            scaled = loss / tf.cast(replicas, loss.dtype)
        grads = tape.gradient(scaled, variables)
        if self.clip_global_norm:
            grads, _ = tf.clip_by_global_norm(grads, self.clip_global_norm)
        start = 0
        for group in groups:
            n = len(group.variables)
            group.optimizer.apply_gradients(
                zip(grads[start:start + n], group.variables))
            start += n
        logs = term_logs(loss, terms)
        for component in self.components:
            logs.update(component.secondary_update(ctx))
        self.global_step.assign_add(1)
        return replica_share(logs)

    def test_step(self, data):
        terms, _ = self.forward(batch_images(data), training=False)
        return replica_share(term_logs(total_loss(terms), terms))


def batch_images(data):
    """The images of a batch that may come as (images, ...) or a dict."""
    return batch_parts(data)[0]


def batch_parts(data):
    """(images, {name: other tensor}) of a batch: a tensor, (images, ...) or
    a dict with "images"."""
    if isinstance(data, dict):
        return data["images"], {k: v for k, v in data.items() if k != "images"}
    return (data[0] if isinstance(data, (tuple, list)) else data), {}


def term_logs(loss, terms):
    """{"loss": loss, name: unweighted value for every term}."""
    logs = {"loss": loss}
    logs.update({name: t.value for name, t in terms.items()})
    return logs


def replica_share(logs):
    """Logs in the form Keras can average over replicas.

    Keras reduces per-replica logs with a mean over axis 0, which fails for
    scalars under MultiWorkerMirroredStrategy; there they travel as [1].
    """
    strategy = tf.distribute.get_strategy()
    multi_worker = isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
    return {name: tf.reshape(tf.cast(value, tf.float32), [1] if multi_worker else [])
            for name, value in logs.items()}
