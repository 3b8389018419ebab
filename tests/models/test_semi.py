"""Semi-supervised training (tfdisent.models.semi, supervised_losses,
tfdisent.data.labels) against literal numpy ports of disentanglement_lib's
methods/semi_supervised/semi_supervised_vae.py and semi_supervised_utils.py."""

import math
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from tests.models.helpers import small_vae
from tfdisent.data import labels as labels_lib
from tfdisent.data import registry
from tfdisent.models import regularizers, supervised_losses
from tfdisent.models.semi import SemiSupervised, annealed_weight


# -- literal ports (semi_supervised_vae.py) ---------------------------------
def normalize_labels(labels, factors_num_values):
    factors_num_values_reshaped = np.repeat(
        np.expand_dims(np.float32(factors_num_values), axis=0), labels.shape[0], axis=0)
    return labels / factors_num_values_reshaped


def l2_loss(t):
    """tf.nn.l2_loss"""
    return np.sum(t ** 2) / 2


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def supervised_regularizer_l2(representation, labels, factor_sizes=None,
                              learn_scale=True, b=1.0):
    number_factors_of_variations = labels.shape[1]
    if learn_scale:
        return 2. * l2_loss(representation[:, :number_factors_of_variations] * b - labels)
    return 2. * l2_loss(
        sigmoid(np.expand_dims(representation[:, :number_factors_of_variations], axis=1))
        - normalize_labels(labels, factor_sizes))


def sigmoid_cross_entropy_with_logits(logits, labels):
    """tf.nn.sigmoid_cross_entropy_with_logits, in its documented stable form."""
    return np.maximum(logits, 0) - logits * labels + np.log1p(np.exp(-np.abs(logits)))


def supervised_regularizer_xent(representation, labels, factor_sizes=None):
    number_factors_of_variations = labels.shape[1]
    return np.sum(sigmoid_cross_entropy_with_logits(
        logits=representation[:, :number_factors_of_variations],
        labels=normalize_labels(labels, factor_sizes)))


def set_diag(matrix, values):
    matrix = matrix.copy()
    for i, v in enumerate(values):
        matrix[i, i] = v
    return matrix


def supervised_regularizer_cov(representation, labels, factor_sizes=None):
    number_latents = representation.shape[1]
    number_factors_of_variations = labels.shape[1]
    num_diagonals = min(number_latents, number_factors_of_variations)
    expectation_representation = np.mean(representation, axis=0)
    expectation_labels = np.mean(labels, axis=0)
    representation_centered = representation - expectation_representation
    labels_centered = labels - expectation_labels
    covariance = np.mean(np.expand_dims(representation_centered, 2) *
                         np.expand_dims(labels_centered, 1), axis=0)
    return 2. * l2_loss(set_diag(covariance, np.zeros([num_diagonals])))


def softmax_cross_entropy(onehot, logits):
    """tf.losses.softmax_cross_entropy (mean over the batch)."""
    shifted = logits - logits.max(1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
    return np.mean(-np.sum(onehot * log_softmax, axis=1))


def supervised_regularizer_embed(representation, labels, factor_sizes, sigma,
                                 embeddings, use_order=False, slopes=None, biases=None):
    number_factors_of_variations = labels.shape[1]
    supervised_representation = representation[:, :number_factors_of_variations]
    loss = []
    for i in range(number_factors_of_variations):
        if use_order:
            embedding = np.arange(factor_sizes[i], dtype=np.float32) * slopes[i] + biases[i]
        else:
            embedding = embeddings[i]
        sigma_value = sigma[i] if isinstance(sigma, list) else sigma
        logits = -np.square((np.expand_dims(supervised_representation[:, i], axis=1)
                             - embedding) * sigma_value)
        one_hot_labels = np.eye(factor_sizes[i])[labels[:, i].astype(np.int32)]
        loss += [softmax_cross_entropy(one_hot_labels, logits)]
    return np.sum(np.sum(loss))


def fixed_annealer(gamma, step, iteration_threshold):
    return gamma


def annealed_annealer(gamma, step, iteration_threshold):
    return min(gamma * 1., gamma * 1. * float(step) / iteration_threshold)


def fine_tune_annealer(gamma, step, iteration_threshold):
    return gamma * min(1.0, max(0.0, float(step - iteration_threshold)))


# -- literal ports (semi_supervised_utils.py) -------------------------------
def bin_labeller(labels, factors_num_values, num_bins=5):
    labels = np.float32(labels)
    for i, num_values in enumerate(factors_num_values):
        if num_values > num_bins:
            size_bin = (num_values / num_bins)
            labels[:, i] = np.minimum(labels[:, i] // size_bin, num_bins - 1)
    return labels, np.minimum(factors_num_values, num_bins)


def noisy_labeller(labels, factors_num_values, random_state, prob_random=0.1):
    for j in range(labels.shape[0]):
        for i, num_values in enumerate(factors_num_values):
            p = random_state.rand()
            if p < prob_random:
                labels[j, i] = random_state.randint(num_values)
    return np.float32(labels), factors_num_values


def permuted_labeller(labels, factors_num_values, random_state):
    for i, num_values in enumerate(factors_num_values):
        unordered_dict = random_state.permutation(range(num_values))
        labels[:, i] = unordered_dict[labels[:, i]]
    return np.float32(labels), factors_num_values


def sample_supervised_data(supervised_seed, ground_truth_data, num_labelled_samples,
                           labeller):
    supervised_random_state = np.random.RandomState(supervised_seed)
    sampled_factors = ground_truth_data.sample_factors(num_labelled_samples,
                                                       supervised_random_state)
    sampled_observations = ground_truth_data.sample_observations_from_factors(
        sampled_factors, supervised_random_state)
    sampled_factors, factor_sizes = labeller(sampled_factors, supervised_random_state)
    return sampled_observations, sampled_factors, factor_sizes


def train_test_split(observations, labels, num_labelled_samples, train_percentage):
    num_labelled_samples_train = int(math.ceil(num_labelled_samples * train_percentage))
    return (observations[:num_labelled_samples_train], labels[:num_labelled_samples_train],
            observations[num_labelled_samples_train:], labels[num_labelled_samples_train:])


# -- data ------------------------------------------------------------------
SIZES = [10, 10, 10, 8, 4, 15]  # shapes3d's factor sizes


def batch(seed=0, size=7, latents=8):
    rs = np.random.RandomState(seed)
    representation = rs.normal(size=(size, latents)).astype(np.float32)
    labels = np.stack([rs.randint(k, size=size) for k in SIZES], 1).astype(np.float32)
    return representation, labels


def loss(layer, sizes=SIZES, latents=8):
    layer.setup(sizes, latents)
    return layer


# -- supervised losses -----------------------------------------------------
def test_l2_with_a_learned_scale_equals_the_port():
    representation, labels = batch()
    layer = loss(supervised_losses.L2())
    layer.scale.assign(1.7)
    np.testing.assert_allclose(layer(representation, labels).numpy(),
                               supervised_regularizer_l2(representation, labels, b=1.7),
                               rtol=1e-5)


def test_l2_without_scale_is_per_sample_and_the_official_broadcast_equals_the_port():
    representation, labels = batch(1)
    official = loss(supervised_losses.L2(learn_scale=False, replicate_official_broadcast=True))
    np.testing.assert_allclose(
        official(representation, labels).numpy(),
        supervised_regularizer_l2(representation, labels, SIZES, learn_scale=False), rtol=1e-5)
    correct = loss(supervised_losses.L2(learn_scale=False))
    per_sample = np.sum((sigmoid(representation[:, :6]) - labels / np.float32(SIZES)) ** 2)
    np.testing.assert_allclose(correct(representation, labels).numpy(), per_sample, rtol=1e-5)
    assert not np.isclose(per_sample, official(representation, labels).numpy())


def test_xent_and_cov_equal_the_port():
    representation, labels = batch(2)
    np.testing.assert_allclose(
        loss(supervised_losses.CrossEntropy())(representation, labels).numpy(),
        supervised_regularizer_xent(representation, labels, SIZES), rtol=1e-5)
    for latents in (8, 4):  # more latents than factors, and fewer
        codes = representation[:, :latents]
        np.testing.assert_allclose(
            loss(supervised_losses.Covariance(), latents=latents)(codes, labels).numpy(),
            supervised_regularizer_cov(codes, labels), rtol=1e-5)


@pytest.mark.parametrize("use_order,sigma", [(False, 2.0), (True, 0.5), (False, "learn")])
def test_embed_equals_the_port(use_order, sigma):
    representation, labels = batch(3)
    layer = loss(supervised_losses.Embedding(sigma=sigma, use_order=use_order))
    rs = np.random.RandomState(4)
    for variable in layer.trainable_variables:
        variable.assign(rs.normal(size=variable.shape).astype(np.float32))
    expected = supervised_regularizer_embed(
        representation, labels, SIZES,
        [s.numpy() for s in layer.learned_sigmas] if sigma == "learn" else sigma,
        None if use_order else [e.numpy() for e in layer.embeddings], use_order,
        [s.numpy() for s in layer.slopes] if use_order else None,
        [b.numpy() for b in layer.biases] if use_order else None)
    np.testing.assert_allclose(layer(representation, labels).numpy(), expected, rtol=1e-5)


def test_a_loss_needing_a_latent_per_factor_refuses_fewer_latents():
    with pytest.raises(ValueError, match="6 factors"):
        loss(supervised_losses.CrossEntropy(), latents=4)


@pytest.mark.parametrize("name,port", [("fixed", fixed_annealer), ("anneal", annealed_annealer),
                                       ("fine_tune", fine_tune_annealer)])
def test_annealers_equal_the_port(name, port):
    for step in [0, 1, 5, 9, 10, 11, 12, 40]:
        assert float(annealed_weight(3.0, tf.constant(step, tf.int64), name, 10)) == \
            pytest.approx(port(3.0, step, 10)), step


# -- labellers and the labelled set ----------------------------------------
@pytest.fixture(scope="module")
def shapes():
    return registry.get("shapes3d")


def test_labellers_equal_the_port(shapes):
    factors = shapes.sample_factors(300, np.random.RandomState(0))
    sizes = shapes.factors_num_values
    expected, expected_sizes = bin_labeller(factors.copy(), sizes, 3)
    binner = labels_lib.BinLabeller(3)
    np.testing.assert_array_equal(binner(factors, sizes, None), expected)
    assert binner.sizes(sizes) == list(expected_sizes)
    expected, _ = noisy_labeller(factors.copy(), sizes, np.random.RandomState(1), 0.3)
    np.testing.assert_array_equal(
        labels_lib.NoisyLabeller(0.3)(factors, sizes, np.random.RandomState(1)), expected)
    expected, _ = permuted_labeller(factors.copy(), sizes, np.random.RandomState(2))
    np.testing.assert_array_equal(
        labels_lib.PermutedLabeller()(factors, sizes, np.random.RandomState(2)), expected)


def test_the_dsprites_position_bins_of_the_reference():
    positions = np.arange(32)[:, None]
    binned = labels_lib.BinLabeller(5)(positions, [32], None)[:, 0]
    np.testing.assert_array_equal(np.bincount(binned.astype(int)), [7, 6, 7, 6, 6])


def test_the_labelled_set_and_its_split_equal_the_port(shapes):
    labeller = labels_lib.NoisyLabeller(0.2)
    observations, labels, _ = labels_lib.draw_labelled_set(shapes, 50, 3, labeller)
    expected = sample_supervised_data(
        3, shapes, 50, lambda f, rs: noisy_labeller(f, shapes.factors_num_values, rs, 0.2))
    np.testing.assert_allclose(observations / 255.0, expected[0], atol=1e-6)
    np.testing.assert_array_equal(labels, expected[1])
    got = labels_lib.split(observations, labels, 0.9)
    want = train_test_split(observations, labels, 50, 0.9)
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)
    assert len(got[1]) == 45


def labelled_set_digest(seed):
    code = ("import hashlib, numpy as np\n"
            "from tfdisent.data import labels, registry\n"
            "o, l, f = labels.draw_labelled_set(registry.get('shapes3d'), 20, %d, "
            "labels.PerfectLabeller())\n"
            "print(hashlib.sha1(o.tobytes() + l.tobytes()).hexdigest())" % seed)
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="-1", TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, check=True).stdout.strip().splitlines()[-1]


def test_the_labelled_set_is_the_same_in_two_processes_and_differs_with_the_seed():
    assert labelled_set_digest(1) == labelled_set_digest(1) != labelled_set_digest(2)


def test_a_label_budget_larger_than_the_dataset_is_one_line():
    data = registry.get("xy_square", image_size=16, num_positions=4, square_size=4)
    with pytest.raises(ValueError, match="num_labelled = 17, but the dataset has 16"):
        labels_lib.draw_labelled_set(data, 17, 0, labels_lib.PerfectLabeller())


# -- the component ---------------------------------------------------------
def labelled_model(**settings):
    component = SemiSupervised(loss=supervised_losses.L2(), gamma_sup=2.0, **settings)
    return small_vae(regularizers.BetaVAE(), [component], factors_num_values=(4, 4)), component


def test_gradients_reach_the_encoder_and_the_loss_variables():
    model, component = labelled_model()
    x = tf.random.uniform([8, 16, 16, 1], seed=1)
    supervision = {"labelled_images": tf.random.uniform([8, 16, 16, 1], seed=2),
                   "labels": tf.constant(np.random.RandomState(0).randint(4, size=(8, 2)),
                                         tf.float32)}
    with tf.GradientTape() as tape:
        terms, _ = model.forward(x, training=True, supervision=supervision)
        supervised = terms["supervised_loss"].value
    assert float(terms["supervised_loss"].weight) == 2.0
    grads = tape.gradient(supervised, model.encoder.trainable_variables + [component.loss.scale])
    reached = [g for g in grads if g is not None]
    # Only the log-variance head (kernel and bias) is off the mean's path.
    assert len(reached) == len(grads) - 2
    assert all(np.any(g.numpy() != 0) for g in reached) and grads[-1] is not None
    assert component.loss.scale in model.optimizer_groups()[0].variables


def test_official_factor_vae_leaves_the_loss_variables_untrained():
    model, component = labelled_model(replicate_official_untrained_loss_variables=True)
    trained = [v for g in model.optimizer_groups() for v in g.variables]
    assert all(v is not component.loss.scale for v in trained)


def test_detach_decoder_keeps_reconstruction_gradients_off_the_encoder():
    model, _ = labelled_model(detach_decoder=True)
    with tf.GradientTape() as tape:
        terms, _ = model.forward(tf.random.uniform([4, 16, 16, 1]), training=True)
        reconstruction = terms["reconstruction_loss"].value
    grads = tape.gradient(reconstruction, model.encoder.trainable_variables)
    assert all(g is None for g in grads)


def test_bad_settings_are_one_line():
    with pytest.raises(ValueError, match="annealer must be one of"):
        SemiSupervised(annealer="linear")
    with pytest.raises(ValueError, match="train_percentage must be in"):
        SemiSupervised(train_percentage=0.0)
