"""WReN (Santoro et al. 2018) on panel embeddings, as disentanglement_lib's
abstract-reasoning study builds it (evaluation/abstract_reasoning/models.py
and relational_layers.py: TwoStageModel, OptimizedWildRelNet).

For each of the 6 answers, the 8 context panels and the answer (9 panels,
each embedding plus a one-hot of its position) form all 81 ordered pairs;
an edge MLP maps each pair, the results are summed over both panels, a graph
MLP (dropout after its last layer, the mask shared by the batch and the
answers) and a final unit give the answer's logit. The loss is the softmax
cross-entropy of the true answer's position.

Embeddings (`embedding`): "representation" (a frozen SavedModel's
`representation` signature, the study's second stage), "values" and
"onehot" (the factors themselves: disentanglement_lib's oracle baselines)
and "cnn" (its BaselineCNNEmbedder, trained with WReN).
"""

import keras
import numpy as np
import tensorflow as tf

EMBEDDINGS = ("representation", "values", "onehot", "cnn")
NUM_PANELS = 9  # 8 context panels and one answer


def check_embedding(embedding):
    """ValueError in one line unless `embedding` is one of EMBEDDINGS."""
    if embedding not in EMBEDDINGS:
        raise ValueError("wren.embedding must be one of %s, got %r"
                         % (", ".join(EMBEDDINGS), embedding))


def baseline_cnn(activation="relu", kernel_initializer="lecun_normal"):
    """disentanglement_lib's BaselineCNNEmbedder: four 4x4 stride-2 "same"
    convolutions (32, 32, 64, 64) and a flatten."""
    return keras.Sequential(
        [keras.layers.Conv2D(filters, 4, strides=2, padding="same", activation=activation,
                             kernel_initializer=kernel_initializer)
         for filters in (32, 32, 64, 64)] + [keras.layers.Flatten()], name="cnn_embedder")


class WReN(keras.Model):
    """Scores the 6 answers of a batch of PGMs: logits [B, 6].

    Args:
      embedding: one of EMBEDDINGS.
      representation: for "representation", a function images [N, H, W, C]
        -> codes [N, D] (kept frozen), or
      code_table: for "representation" on a dataset whose images are a
        function of the factors, the codes of every factor vector, [prod K, D]
        (row = the factors' flat index over `factor_sizes`): the panels are
        looked up by their factors instead of rendered and encoded.
      edge_units, graph_units: the MLPs' widths (reference: [512] * 4, [256, 256]).
      dropout_keep: keep probability of the dropout after the last graph
        layer (the reference's `dropout_in_last_graph_layer`, 0.5; None: none).
      activation: "relu" or "lrelu" (leaky, α = 0.2).
    """

    def __init__(self, embedding="representation", representation=None,
                 edge_units=(512, 512, 512, 512), graph_units=(256, 256), dropout_keep=0.5,
                 activation="relu", kernel_initializer="lecun_normal", seed=0,
                 code_table=None, factor_sizes=None, **kwargs):
        super().__init__(**kwargs)
        check_embedding(embedding)
        self.code_table = None if code_table is None else tf.constant(code_table, tf.float32)
        self.strides = None if factor_sizes is None else tf.constant(
                [int(np.prod(factor_sizes[i + 1:])) for i in range(len(factor_sizes))], tf.int64)
        if embedding == "representation" and representation is None and code_table is None:
            raise ValueError("the 'representation' embedding needs a trained model "
                             "(bin/reason --input_dir=MODEL_DIR)")
        self.embedding = embedding
        self._represent = representation  # a plain function: not trained, not saved
        act = (lambda x: tf.nn.leaky_relu(x, 0.2)) if activation == "lrelu" else activation
        dense = lambda units, **kw: keras.layers.Dense(  # noqa: E731
                units, kernel_initializer=kernel_initializer, **kw)
        self.cnn = baseline_cnn(act, kernel_initializer) if embedding == "cnn" else None
        # The first edge layer on concat(x_i, x_j) is W_i x_i + W_j x_j + b:
        # two projections of the 9 panels, added for all 81 pairs.
        self.edge_first = dense(edge_units[0], use_bias=False)
        self.edge_second_panel = dense(edge_units[0])
        self.edge_rest = [dense(u, activation=act) for u in edge_units[1:]]
        self.edge_activation = keras.layers.Activation(act)
        self.graph = [dense(u, activation=act) for u in graph_units]
        self.dropout = (keras.layers.Dropout(1.0 - dropout_keep, noise_shape=(1, 1, graph_units[-1]),
                                             seed=seed)
                        if dropout_keep else None)
        self.score = dense(1)
        self.mean_loss = keras.metrics.Mean(name="loss")
        self.mean_accuracy = keras.metrics.Mean(name="accuracy")

    @property
    def metrics(self):
        return [self.mean_loss, self.mean_accuracy]

    def embed(self, batch):
        """Context [B, 8, D] and answers [B, 6, D] embeddings of a batch."""
        if self.embedding == "values":
            return batch["context_factor_values"], batch["answers_factor_values"]
        if self.embedding == "onehot":
            return batch["context_factors_onehot"], batch["answers_factors_onehot"]
        if self.code_table is not None:
            return tuple(tf.gather(self.code_table, tf.reduce_sum(batch[key] * self.strides, -1))
                         for key in ("context_factors", "answers_factors"))
        panels = tf.concat([batch["context"], batch["answers"]], axis=1)  # [B, 14, H, W, C]
        shape = tf.shape(panels)
        images = tf.reshape(panels, tf.concat([[-1], shape[2:]], 0))
        if self.cnn is not None:
            codes = self.cnn(images)
        else:
            codes = tf.stop_gradient(self._represent(images))
        codes = tf.reshape(codes, [shape[0], 14, codes.shape[-1]])
        return codes[:, :8], codes[:, 8:]

    def call(self, batch, training=False):
        context, answers = self.embed(batch)
        # [B, 6, 9, D]: the context followed by each answer.
        stacked = tf.concat([tf.repeat(context[:, None], 6, axis=1), answers[:, :, None]], 2)
        position = tf.broadcast_to(tf.eye(NUM_PANELS, dtype=stacked.dtype),
                                   tf.concat([tf.shape(stacked)[:2], [NUM_PANELS, NUM_PANELS]],
                                             0))
        panels = tf.concat([stacked, position], axis=-1)  # [B, 6, 9, D + 9]
        edges = (self.edge_first(panels)[:, :, :, None]
                 + self.edge_second_panel(panels)[:, :, None])  # [B, 6, 9, 9, E]
        edges = self.edge_activation(edges)
        for layer in self.edge_rest:
            edges = layer(edges)
        graph = tf.reduce_sum(edges, axis=[2, 3])  # [B, 6, E]
        for layer in self.graph:
            graph = layer(graph)
        if self.dropout is not None:
            graph = self.dropout(graph, training=training)
        return tf.reduce_sum(self.score(graph), axis=-1)  # [B, 6]

    def train_step(self, batch):
        with tf.GradientTape() as tape:
            logits = self(batch, training=True)
            loss = self._loss(batch, logits)
        variables = self.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return self._record(loss, batch, logits)

    def test_step(self, batch):
        logits = self(batch, training=False)
        return self._record(self._loss(batch, logits), batch, logits)

    def _record(self, loss, batch, logits):
        """Running means over the epoch or evaluation (what fit and evaluate report)."""
        self.mean_loss.update_state(loss)
        self.mean_accuracy.update_state(_accuracy(batch, logits))
        return {m.name: m.result() for m in self.metrics}

    @staticmethod
    def _loss(batch, logits):
        return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=batch["position"], logits=logits))


def _accuracy(batch, logits):
    return tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, -1), batch["position"]),
                                  tf.float32))
