"""WReN (tfdisent.reasoning.wren) against a literal numpy port of
disentanglement_lib's evaluation/abstract_reasoning/relational_layers.py
(StackAnswers, AddPositionalEncoding, PairwiseEdgeEmbeddings, the MLPs and
the sums of OptimizedWildRelNet)."""

import numpy as np
import pytest
import tensorflow as tf

from tfdisent.reasoning.wren import WReN


def relu(x):
    return np.maximum(x, 0)


def stack_answers(context, answers):
    """relational_layers.py::StackAnswers: [B, 6, 9, D]"""
    context = np.repeat(context[:, None], answers.shape[1], axis=1)
    return np.concatenate([context, answers[:, :, None]], axis=2)


def add_positional_encoding(x):
    """relational_layers.py::AddPositionalEncoding: a one-hot of the panel."""
    eye = np.broadcast_to(np.eye(x.shape[2]), x.shape[:2] + (x.shape[2], x.shape[2]))
    return np.concatenate([x, eye], axis=-1)


def pairwise_edge_embeddings(x):
    """relational_layers.py::PairwiseEdgeEmbeddings: [..., i, j, 2D] = [x_i, x_j]"""
    n = x.shape[-2]
    left = np.repeat(x[..., :, None, :], n, axis=-2)
    right = np.repeat(x[..., None, :, :], n, axis=-3)
    return np.concatenate([left, right], axis=-1)


def wild_relation_network(context, answers, edge_layers, graph_layers, final):
    """OptimizedWildRelNet.call without dropout; layers as (kernel, bias)."""
    x = add_positional_encoding(stack_answers(context, answers))
    edges = pairwise_edge_embeddings(x)
    for kernel, bias in edge_layers:
        edges = relu(edges @ kernel + bias)
    graph = edges.sum(axis=-2).sum(axis=-2)
    for kernel, bias in graph_layers:
        graph = relu(graph @ kernel + bias)
    return (graph @ final[0] + final[1]).sum(axis=-1)


def batch(seed, size=3, dims=5):
    rs = np.random.RandomState(seed)
    return {"context_factor_values": rs.normal(size=(size, 8, dims)).astype(np.float32),
            "answers_factor_values": rs.normal(size=(size, 6, dims)).astype(np.float32),
            "position": rs.randint(6, size=size).astype(np.int64)}


def small_wren(**kwargs):
    model = WReN("values", edge_units=(16, 12), graph_units=(8,), dropout_keep=None, **kwargs)
    model(batch(0))
    return model


def test_logits_equal_the_port():
    model = small_wren()
    data = batch(1)
    first = np.concatenate([model.edge_first.kernel.numpy(),
                            model.edge_second_panel.kernel.numpy()], axis=0)
    edge_layers = [(first, model.edge_second_panel.bias.numpy())] + [
        (layer.kernel.numpy(), layer.bias.numpy()) for layer in model.edge_rest]
    graph_layers = [(layer.kernel.numpy(), layer.bias.numpy()) for layer in model.graph]
    expected = wild_relation_network(data["context_factor_values"],
                                     data["answers_factor_values"], edge_layers, graph_layers,
                                     (model.score.kernel.numpy(), model.score.bias.numpy()))
    np.testing.assert_allclose(model(data).numpy(), expected, rtol=1e-4, atol=1e-4)


def test_logits_follow_a_permutation_of_the_answers():
    model = small_wren()
    data = batch(2)
    order = np.array([3, 0, 5, 1, 4, 2])
    permuted = dict(data, answers_factor_values=data["answers_factor_values"][:, order])
    np.testing.assert_allclose(model(permuted).numpy(), model(data).numpy()[:, order],
                               rtol=1e-5, atol=1e-5)


def test_a_frozen_representation_gets_no_gradient_and_wren_does():
    encoder = tf.keras.layers.Dense(4)
    encoder.build((None, 8 * 8))

    def represent(images):
        return encoder(tf.reshape(images, [tf.shape(images)[0], -1]))
    model = WReN("representation", represent, edge_units=(8,), graph_units=(8,),
                 dropout_keep=0.5)
    rs = np.random.RandomState(3)
    data = {"context": rs.uniform(size=(2, 8, 8, 8, 1)).astype(np.float32),
            "answers": rs.uniform(size=(2, 6, 8, 8, 1)).astype(np.float32),
            "position": np.array([1, 4])}
    with tf.GradientTape() as tape:
        loss = WReN._loss(data, model(data, training=True))
    grads = tape.gradient(loss, model.trainable_variables + encoder.trainable_variables)
    assert all(g is not None for g in grads[:len(model.trainable_variables)])
    assert all(g is None for g in grads[len(model.trainable_variables):])
    assert not any(v is encoder.kernel for v in model.trainable_variables)


def test_bad_embedding_settings_are_one_line():
    with pytest.raises(ValueError, match="embedding must be one of"):
        WReN("pixels")
    with pytest.raises(ValueError, match="needs a trained model"):
        WReN("representation")


def test_the_loss_falls_on_a_learnable_task():
    """The answer is the candidate whose values equal the last context panel's."""
    rs = np.random.RandomState(4)
    size = 64
    context = rs.normal(size=(size, 8, 3)).astype(np.float32)
    answers = rs.normal(size=(size, 6, 3)).astype(np.float32)
    position = rs.randint(6, size=size)
    answers[np.arange(size), position] = context[:, 7]
    data = tf.data.Dataset.from_tensors({"context_factor_values": context,
                                         "answers_factor_values": answers,
                                         "position": position}).repeat()
    model = WReN("values", edge_units=(32, 32), graph_units=(32,), dropout_keep=None)
    model.compile(optimizer=tf.keras.optimizers.Adam(3e-3))
    before = model.evaluate(data, steps=1, verbose=0, return_dict=True)
    model.fit(data, epochs=1, steps_per_epoch=150, verbose=0)
    after = model.evaluate(data, steps=1, verbose=0, return_dict=True)
    assert after["loss"] < 0.5 * before["loss"] and after["accuracy"] > 0.5, (before, after)
