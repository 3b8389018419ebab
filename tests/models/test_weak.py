"""Weak supervision (tfdisent.models.weak, tfdisent.data.pairs) against
literal numpy ports of disentanglement_lib's methods/weak/weak_vae.py and
train_weak_lib.py::simple_dynamics."""

import numpy as np
import pytest
import tensorflow as tf

from tests.models.helpers import small_vae
from tfdisent.data import pairs, registry
from tfdisent.models import regularizers
from tfdisent.models.base import Context
from tfdisent.models.weak import WeakPairs, own_from_divergence, pair_divergence


# -- literal ports (disentanglement_lib/methods/weak/weak_vae.py) -----------
def compute_kl(z_1, z_2, logvar_1, logvar_2):
    """weak_vae.py::compute_kl"""
    var_1 = np.exp(logvar_1)
    var_2 = np.exp(logvar_2)
    return var_1 / var_2 + np.square(z_2 - z_1) / var_2 - 1 + logvar_2 - logvar_1


def discretize_in_bins(x):
    """weak_vae.py::discretize_in_bins: tf.histogram_fixed_width_bins(x,
    [min x, max x], nbins=2), i.e. clip(floor(2 (x - lo) / (hi - lo)), 0, 1)."""
    lo, hi = np.min(x), np.max(x)
    return np.clip(np.floor(2 * (x - lo) / (hi - lo)), 0, 1).astype(np.int32)


def aggregate_labels(z_mean, z_logvar, new_mean, new_log_var, labels, kl_per_point):
    """weak_vae.py::aggregate_labels"""
    keep = np.equal(labels, np.expand_dims(np.max(labels, axis=1), 1))
    return np.where(keep, z_mean, new_mean), np.where(keep, z_logvar, new_log_var)


def aggregate_argmax(z_mean, z_logvar, new_mean, new_log_var, labels, kl_per_point):
    """weak_vae.py::aggregate_argmax"""
    mask = np.equal(np.stack([discretize_in_bins(row) for row in kl_per_point]), 1)
    return np.where(mask, z_mean, new_mean), np.where(mask, z_logvar, new_log_var)


def group_vae_shared(z_mean, z_logvar, z_mean_2, z_logvar_2):
    """GroupVAEBase.model_fn's new_mean, new_log_var"""
    new_mean = 0.5 * z_mean + 0.5 * z_mean_2
    var_1, var_2 = np.exp(z_logvar), np.exp(z_logvar_2)
    return new_mean, np.log(0.5 * var_1 + 0.5 * var_2)


def mlvae_shared(z_mean, z_logvar, z_mean_2, z_logvar_2):
    """MLVae.model_fn's new_mean, new_log_var"""
    var_1, var_2 = np.exp(z_logvar), np.exp(z_logvar_2)
    new_var = 2 * var_1 * var_2 / (var_1 + var_2)
    new_mean = (z_mean / var_1 + z_mean_2 / var_2) * new_var * 0.5
    return new_mean, np.log(new_var)


def simple_dynamics(z, num_factors, factors_num_values, random_state, k):
    """train_weak_lib.py::simple_dynamics(return_index=True); np.random is the
    global generator, as in the reference."""
    if k == -1:
        k_observed = random_state.randint(1, num_factors)
    else:
        k_observed = k
    index_list = random_state.choice(
        z.shape[1], random_state.choice([1, k_observed]), replace=False)
    idx = -1
    for index in index_list:
        z[:, index] = np.random.choice(range(factors_num_values[index]))
        idx = index
    return z, idx


# -- helpers ---------------------------------------------------------------
def posteriors(seed=0, batch=6, latents=5):
    rs = np.random.RandomState(seed)
    return [rs.normal(size=(batch, latents)).astype(np.float32) for _ in range(4)]


def aggregated(component, mean_1, logvar_1, mean_2, logvar_2, changed):
    ctx = Context(z_mean=tf.constant(np.concatenate([mean_1, mean_2])),
                  z_logvar=tf.constant(np.concatenate([logvar_1, logvar_2])),
                  eps=tf.zeros([2 * len(mean_1), mean_1.shape[1]]),
                  supervision={"changed": tf.constant(changed)})
    component.prepare(ctx)
    return ctx


def one_hot(indices, depth):
    rows = np.zeros((len(indices), depth), np.float32)
    for row, index in enumerate(indices):
        if 0 <= index < depth:
            rows[row, index] = 1.0
    return rows


# -- aggregation -----------------------------------------------------------
@pytest.mark.parametrize("average,shared", [("group", group_vae_shared),
                                            ("ml", mlvae_shared)])
@pytest.mark.parametrize("aggregation,aggregate", [("labels", aggregate_labels),
                                                   ("argmax", aggregate_argmax)])
def test_official_aggregation_equals_the_port(average, shared, aggregation, aggregate):
    mean_1, logvar_1, mean_2, logvar_2 = posteriors()
    labels = one_hot([0, 2, 4, 1, 3, 7], 5)  # 7 >= L: a zero row
    component = WeakPairs(average=average, aggregation=aggregation,
                          replicate_official_dynamics=True,
                          replicate_official_ml_variance=True)
    ctx = aggregated(component, mean_1, logvar_1, mean_2, logvar_2, labels)
    new_mean, new_log_var = shared(mean_1, logvar_1, mean_2, logvar_2)
    kl = compute_kl(mean_1, mean_2, logvar_1, logvar_2)
    expected = [aggregate(m, lv, new_mean, new_log_var, labels, kl)
                for m, lv in ((mean_1, logvar_1), (mean_2, logvar_2))]
    np.testing.assert_allclose(ctx.z_mean.numpy(),
                               np.concatenate([expected[0][0], expected[1][0]]), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(ctx.z_logvar.numpy(),
                               np.concatenate([expected[0][1], expected[1][1]]), rtol=1e-5,
                               atol=1e-6)


def test_ml_vae_shares_the_product_of_the_two_gaussians():
    mean_1, logvar_1, mean_2, logvar_2 = posteriors(1)
    mean, logvar = WeakPairs(average="ml").shared_posterior(mean_1, logvar_1, mean_2, logvar_2)
    precision = np.exp(-logvar_1) + np.exp(-logvar_2)
    np.testing.assert_allclose(np.exp(logvar.numpy()), 1 / precision, rtol=1e-5)
    np.testing.assert_allclose(mean.numpy(), (mean_1 * np.exp(-logvar_1) + mean_2 *
                                              np.exp(-logvar_2)) / precision, rtol=1e-4,
                               atol=1e-6)
    _, official = WeakPairs(average="ml", replicate_official_ml_variance=True) \
        .shared_posterior(mean_1, logvar_1, mean_2, logvar_2)
    np.testing.assert_allclose(np.exp(official.numpy()), 2 / precision, rtol=1e-5)


def test_divergence_is_twice_the_kl_and_the_threshold_is_the_mid_range():
    mean_1, logvar_1, mean_2, logvar_2 = posteriors(2)
    delta = pair_divergence(mean_1, logvar_1, mean_2, logvar_2).numpy()
    np.testing.assert_allclose(delta, compute_kl(mean_1, mean_2, logvar_1, logvar_2), rtol=1e-5)
    own = own_from_divergence(delta).numpy()
    np.testing.assert_array_equal(own, np.stack([discretize_in_bins(r) for r in delta]) == 1)
    # A pair with equal divergences everywhere shares every dimension.
    assert not own_from_divergence(np.zeros((1, 4), np.float32)).numpy().any()


def test_labels_keep_every_changed_factor_and_share_the_rest():
    mean_1, logvar_1, mean_2, logvar_2 = posteriors(3, batch=2, latents=4)
    changed = np.array([[1, 0, 1], [0, 1, 0]], np.float32)  # F = 3 < L = 4
    ctx = aggregated(WeakPairs(aggregation="labels"), mean_1, logvar_1, mean_2, logvar_2, changed)
    first, second = np.split(ctx.z_mean.numpy(), 2)
    own = np.array([[1, 0, 1, 0], [0, 1, 0, 0]], bool)
    np.testing.assert_array_equal(first[own], mean_1[own])
    np.testing.assert_array_equal(second[own], mean_2[own])
    np.testing.assert_allclose(first[~own], second[~own])
    np.testing.assert_allclose(first[~own], (0.5 * (mean_1 + mean_2))[~own])


@pytest.mark.parametrize("average", ["group", "ml"])
def test_a_shared_dimension_has_one_posterior_for_both_images(average):
    mean_1, logvar_1, mean_2, logvar_2 = posteriors(4)
    ctx = aggregated(WeakPairs(average=average), mean_1, logvar_1, mean_2, logvar_2,
                     np.zeros((6, 5), np.float32))
    own = own_from_divergence(pair_divergence(mean_1, logvar_1, mean_2, logvar_2)).numpy()
    assert own.any() and (~own).any()
    for values in (ctx.z_mean.numpy(), ctx.z_logvar.numpy(), ctx.kl_per_dimension.numpy()):
        first, second = np.split(values, 2)
        np.testing.assert_allclose(first[~own], second[~own], rtol=1e-6)
        assert not np.allclose(first[own], second[own])
    np.testing.assert_allclose(ctx.kl_per_example.numpy(),
                               ctx.kl_per_dimension.numpy().sum(1), rtol=1e-5)


def test_single_images_pass_through_and_gradients_reach_the_encoder():
    model = small_vae(regularizers.BetaVAE(), [WeakPairs()])
    x = tf.random.uniform([8, 16, 16, 1], seed=1)
    plain, _ = model.forward(x, training=False)
    assert set(plain) == {"reconstruction_loss", "kl_loss"}
    changed = tf.one_hot([0, 1, 2, 3], 4)
    with tf.GradientTape() as tape:
        terms, _ = model.forward(x, training=True, supervision={"changed": changed})
        loss = sum(t.value * t.weight for t in terms.values())
    assert "shared_dimensions" in terms
    grads = tape.gradient(loss, model.encoder.trainable_variables)
    assert all(g is not None and np.any(g.numpy() != 0) for g in grads)


# -- pairs -----------------------------------------------------------------
@pytest.fixture(scope="module")
def shapes():
    return registry.get("shapes3d")


@pytest.mark.parametrize("k", [1, 2, 5])
def test_pairs_differ_in_exactly_k_factors(shapes, k):
    first = shapes.sample_factors(400, np.random.RandomState(0))
    second, changed = pairs.pair_factors(shapes, first, k, np.random.RandomState(1))
    np.testing.assert_array_equal((first != second).sum(1), k)
    np.testing.assert_array_equal(changed, first != second)
    assert (second < np.asarray(shapes.factors_num_values)).all() and (second >= 0).all()


def test_k_drawn_per_pair_is_uniform_on_one_to_f_minus_one(shapes):
    first = shapes.sample_factors(6000, np.random.RandomState(0))
    second, _ = pairs.pair_factors(shapes, first, -1, np.random.RandomState(2))
    counts = np.bincount((first != second).sum(1), minlength=shapes.num_factors)
    assert counts[0] == 0 and counts[shapes.num_factors:].sum() == 0
    np.testing.assert_allclose(counts[1:] / 6000, 1 / (shapes.num_factors - 1), atol=0.03)


@pytest.mark.parametrize("k", [1, 3, -1])
def test_official_dynamics_equal_the_port(shapes, k):
    first = shapes.sample_factors(50, np.random.RandomState(0))
    np.random.seed(11)
    random_state = np.random.RandomState(5)
    expected, last = [], []
    for row in first:
        z, idx = simple_dynamics(row[None].copy(), shapes.num_factors,
                                 shapes.factors_num_values, random_state, k)
        expected.append(z[0])
        last.append(idx)
    got, got_last = pairs.official_pair_factors(shapes, first, k, np.random.RandomState(5),
                                                np.random.RandomState(11))
    np.testing.assert_array_equal(got, np.array(expected))
    np.testing.assert_array_equal(got_last, last)


def test_official_dynamics_change_one_factor_half_the_time_whatever_k(shapes):
    first = shapes.sample_factors(4000, np.random.RandomState(0))
    second, _ = pairs.official_pair_factors(shapes, first, 3, np.random.RandomState(1),
                                            np.random.RandomState(2))
    written = (first != second).sum(1)
    # 1 or 3 factors are written with probability 1/2 each; a written value
    # equals the old one with probability 1/K, so some pairs change fewer.
    assert 0.45 < np.mean(written == 1) + np.mean(written == 0) < 0.65
    assert written.max() == 3 and np.mean(written == 0) > 0


def test_a_k_beyond_the_factors_is_one_line(shapes):
    with pytest.raises(ValueError, match="pairs can differ in 1 to 6 factors"):
        pairs.check_k(shapes, 7)
    with pytest.raises(ValueError, match="k = 0"):
        pairs.check_k(shapes, 0)
