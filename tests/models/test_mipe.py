"""MIPE on the base VAEs: transformed codes, averaged decoding, the three
objectives, the mask, gradients, optimizer groups, training, export."""

import os
import subprocess
import sys

import gin
import numpy as np
import pytest
import scipy.linalg
import tensorflow as tf

from tfdisent.models import regularizers as r
from tfdisent.models.base import Component, total_loss
from tfdisent.models.mipe import MIPE, mixture_logits
from tests.latents.test_ef_conversion import LOW_RANK, reference_unit
from tests.models.helpers import blobs, fit_steps, small_vae

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def mipe_vae(regularizer=None, **kwargs):
    model = small_vae(regularizer or r.BetaVAE(1.0), [MIPE(**kwargs)])
    return model, model.components[-1]


def unit_matrices(mipe):
    return mipe.units.bijector().matrix().numpy()[:, 0]  # [m, D, D]


def test_code_and_noise_are_transformed_consistently():
    model, mipe = mipe_vae()
    _, ctx = model.forward(blobs(6), training=True)
    psi = unit_matrices(mipe)
    mean, eps = ctx.z_mean.numpy(), ctx.eps.numpy()
    sigma = np.exp(0.5 * ctx.z_logvar.numpy())
    assert ctx.mipe_z.shape == (3, 6, 4)
    for i in range(3):
        np.testing.assert_allclose(ctx.mipe_eps[i].numpy(), eps @ psi[i],
                                   rtol=1e-4, atol=1e-5)
        # ẑ = μψ + (σ⊙ε)ψ: the noise part of ẑ is the σ-scaled noise through ψ.
        np.testing.assert_allclose(ctx.mipe_z[i].numpy() - mean @ psi[i],
                                   (sigma * eps) @ psi[i], rtol=1e-4, atol=1e-5)
    assert len({tuple(p.ravel()) for p in psi}) == 3  # units differ


def test_reconstruction_is_the_average_of_the_unit_images():
    model, _ = mipe_vae()
    x = blobs(4)
    terms, ctx = model.forward(x, training=True)
    images = np.mean([tf.sigmoid(model.decoder(ctx.mipe_z[i])).numpy()
                      for i in range(3)], axis=0)
    np.testing.assert_allclose(tf.sigmoid(ctx.reconstruction_logits).numpy(),
                               images, rtol=1e-4, atol=1e-6)
    xs = x.numpy()
    bce = -np.sum(xs * np.log(images) + (1 - xs) * np.log(1 - images), axis=(1, 2, 3))
    assert float(terms["reconstruction_loss"].value) == pytest.approx(bce.mean(), rel=1e-4)


def test_mixture_logits_are_exact_where_clipping_is_not():
    logits = tf.constant([[[-60.0, 50.0]], [[-70.0, -50.0]]])  # [m=2, B=1, 2]
    mixed = mixture_logits(logits).numpy()[0]
    expected_log_p = -60.0 - np.log(2.0) + np.log1p(np.exp(-10.0))
    loss = tf.nn.sigmoid_cross_entropy_with_logits(
        labels=tf.ones([2]), logits=mixed).numpy()
    assert loss[0] == pytest.approx(-expected_log_p, rel=1e-6)  # a clip at 1e-6 gives 13.8
    assert mixed[1] == pytest.approx(0.0, abs=1e-6)  # (1 + 0) / 2


def test_beta_vae_objective_weighs_the_ef_kl_by_beta():
    model, mipe = mipe_vae(r.BetaVAE(2.0))
    terms, ctx = model.forward(blobs(8), training=True)
    k, g = ctx.ef_kl_per_example.numpy(), ctx.gaussian_kl_per_example.numpy()
    assert terms["kl_loss"].value.numpy() == pytest.approx(k.mean())
    assert terms["kl_loss"].weight == 2.0
    assert not np.allclose(k, g)
    assert float(terms["kl_calibration"].value) == pytest.approx(
        np.mean((k - 3.0 * g) ** 2), rel=1e-5)
    expected = (terms["reconstruction_loss"].value + 2.0 * k.mean()
                + terms["ef_similarity"].value + terms["kl_calibration"].value)
    assert float(total_loss(terms)) == pytest.approx(float(expected), rel=1e-6)


def test_beta_tcvae_keeps_its_terms_on_the_original_code():
    model, _ = mipe_vae(r.BetaTCVAE(6.0, estimator="mss", dataset_size=1000),
                        ef_kl_in_loss=False)
    terms, ctx = model.forward(blobs(8), training=True)
    z = ctx.z_mean + tf.exp(0.5 * ctx.z_logvar) * ctx.eps
    np.testing.assert_allclose(ctx.z.numpy(), z.numpy(), rtol=1e-6)
    assert terms["kl_loss"].weight == 0.0
    assert float(terms["kl_loss"].value) == pytest.approx(
        float(terms["gaussian_kl"].value))
    base = model.components[0].terms(ctx)
    for name in ("mutual_info", "total_correlation", "dimwise_kl"):
        assert float(terms[name].value) == float(base[name].value)
    # The EF KL enters the loss only through the calibration.
    assert {n for n, t in terms.items() if t.weight != 0} == {
        "reconstruction_loss", "mutual_info", "total_correlation", "dimwise_kl",
        "ef_similarity", "kl_calibration"}


def test_single_unit_hands_the_transformed_code_to_the_base():
    model, mipe = mipe_vae(num_units=1, replace_code=True)
    terms, ctx = model.forward(blobs(4), training=True)
    np.testing.assert_allclose(ctx.z.numpy(), ctx.mipe_z[0].numpy())
    np.testing.assert_allclose(ctx.reconstruction_logits.numpy(),
                               model.decoder(ctx.mipe_z[0]).numpy(), rtol=1e-5, atol=1e-5)
    k, g = ctx.ef_kl_per_example.numpy(), ctx.gaussian_kl_per_example.numpy()
    assert float(terms["kl_calibration"].value) == pytest.approx(
        np.mean((k - g) ** 2), rel=1e-5)


def official_unit_similarity(ef_layer, unit, z_hat, eps_hat, training):
    """EF similarity of one unit from the numpy port of the official
    EF_conversion (MIPET-VAEs models/ipe_transformation.py, forward/ef_loss;
    the port is tests/latents/test_ef_conversion.py::reference_unit)."""
    params = {}
    for name in LOW_RANK:
        maps = getattr(ef_layer, name)
        params[name + "/u"] = maps.u.numpy()[unit].astype(np.float64)
        params[name + "/v"] = maps.v.numpy()[unit].astype(np.float64)
    params["lagrange_kernel"] = ef_layer.lagrange_kernel.numpy()[unit].astype(np.float64)
    params["lagrange_bias"] = ef_layer.lagrange_bias.numpy()[unit].astype(np.float64)
    return reference_unit(z_hat.astype(np.float64), eps_hat.astype(np.float64), params,
                          training)[1]


def test_mask_acts_in_training_only():
    model, mipe = mipe_vae()
    x = blobs(4)
    train_terms, ctx = model.forward(x, training=True)
    eval_terms, _ = model.forward(x, training=False)  # same step: same noise
    assert float(train_terms["reconstruction_loss"].value) == pytest.approx(
        float(eval_terms["reconstruction_loss"].value), rel=1e-6)
    z_hat, eps_hat = ctx.mipe_z.numpy(), ctx.mipe_eps.numpy()
    for training, terms in ((True, train_terms), (False, eval_terms)):
        expected = np.mean(np.sum([official_unit_similarity(mipe.ef, i, z_hat[i], eps_hat[i],
                                                             training)
                                   for i in range(3)], axis=0))
        np.testing.assert_allclose(float(terms["ef_similarity"].value), expected, rtol=1e-4)


@pytest.mark.parametrize("regularizer,kwargs", [
    (r.BetaVAE(1.0), {}),
    (r.BetaTCVAE(6.0, estimator="mss", dataset_size=1000), {"ef_kl_in_loss": False}),
])
def test_gradients_reach_every_variable(regularizer, kwargs):
    model, mipe = mipe_vae(regularizer, **kwargs)
    with tf.GradientTape() as tape:
        loss = total_loss(model.forward(blobs(8), training=True)[0])
    grads = tape.gradient(loss, model.trainable_variables)
    mipe_ids = {id(v) for v in mipe.trainable_variables}
    assert len(mipe_ids) == 11
    reached = set()
    for var, grad in zip(model.trainable_variables, grads):
        assert grad is not None and float(tf.reduce_max(tf.abs(grad))) > 0, var.path
        reached.add(id(var))
    assert mipe_ids <= reached


def test_ipe_and_ef_variables_have_their_own_optimizer():
    model, mipe = mipe_vae()
    groups = {g.name: g for g in model.optimizer_groups()}
    assert set(groups) == {"main", "mipe"}
    mipe_ids = {id(v) for v in mipe.trainable_variables}
    assert {id(v) for v in groups["mipe"].variables} == mipe_ids
    assert not mipe_ids & {id(v) for v in groups["main"].variables}
    assert float(groups["mipe"].optimizer.learning_rate) == pytest.approx(4e-4)
    assert "mipe" in model.all_optimizers()


def test_short_training_lowers_the_loss_and_steps_both_groups():
    model, mipe = mipe_vae()
    before_weights = mipe.units.generators.numpy().copy()
    before, after = fit_steps(model, blobs(), 60)
    assert {"ef_kl", "ef_similarity", "kl_calibration", "gaussian_kl"} <= set(after)
    assert after["loss"] < 0.8 * before["loss"]
    for group in model.optimizer_groups():
        assert int(group.optimizer.iterations.numpy()) == 60, group.name
    assert not np.allclose(before_weights, mipe.units.generators.numpy())


def test_representation_and_decoding():
    model, mipe = mipe_vae()
    x = blobs(4)
    mean = model.encode(x)["mean"].numpy()
    np.testing.assert_allclose(model.representation(x).numpy(), mean, rtol=1e-6)
    mipe.transformed_representation = True
    psi = unit_matrices(mipe)
    np.testing.assert_allclose(model.representation(x).numpy(),
                               np.mean([mean @ p for p in psi], axis=0),
                               rtol=1e-4, atol=1e-5)
    images = mipe.decode_images(model, tf.constant(mean)).numpy()
    expected = np.mean([tf.sigmoid(model.decoder(mean @ p)).numpy() for p in psi], 0)
    np.testing.assert_allclose(images, expected, rtol=1e-4, atol=1e-6)
    # what the SavedModel's `decoder` / `reconstructions` serve: the average
    np.testing.assert_allclose(model.decode_images(tf.constant(mean)).numpy(), expected,
                               rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(model.reconstruct(x).numpy(), expected, rtol=1e-4, atol=1e-6)


def official_psi(w1, w2):
    """MIPET-VAEs models/ipe_transformation.py, Invert_Equiv_Func.forward:
    exp_w = matrix_exp(sym(w1)) @ matrix_exp(sym(w2))."""
    symmetric1 = 0.5 * (w1 + w1.T)
    symmetric2 = 0.5 * (w2 + w2.T)
    return scipy.linalg.expm(symmetric1) @ scipy.linalg.expm(symmetric2)


@pytest.mark.parametrize("single", [False, True])
def test_transformed_codes_match_the_official_and_the_single_exponential_form(single):
    model, mipe = mipe_vae(single_exponential=single)
    _, ctx = model.forward(blobs(4), training=True)
    generators = mipe.units.generators.numpy().astype(np.float64)
    assert generators.shape == ((3, 1, 4, 4) if single else (3, 2, 4, 4))
    z, eps = ctx.z.numpy().astype(np.float64), ctx.eps.numpy().astype(np.float64)
    for i in range(3):
        if single:  # the paper figure's e^M, M = sym(W)
            psi = scipy.linalg.expm(0.5 * (generators[i, 0] + generators[i, 0].T))
        else:
            psi = official_psi(generators[i, 0], generators[i, 1])
        np.testing.assert_allclose(ctx.mipe_z[i].numpy(), z @ psi, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(ctx.mipe_eps[i].numpy(), eps @ psi, rtol=1e-4, atol=1e-5)


def test_bad_configurations_fail_clearly():
    with pytest.raises(ValueError, match="num_units = 1"):
        MIPE(num_units=3, replace_code=True)
    with pytest.raises(ValueError, match="Gaussian encoder"):
        small_vae(r.NoRegularizer(), [MIPE()], deterministic=True)


class _DecodesInPrepare(Component):
    """A base that decodes ctx.z in its own prepare (as CLG-VAE does)."""

    def prepare(self, ctx):
        ctx.reconstruction_logits = ctx.model.decoder(ctx.z)


def test_replacing_the_code_after_the_base_decoded_it_fails_clearly():
    with pytest.raises(ValueError, match="put mipe first"):  # builds by a forward pass
        small_vae(_DecodesInPrepare(), [MIPE(num_units=1, replace_code=True)])
    first = small_vae(MIPE(num_units=1, replace_code=True), [_DecodesInPrepare()])
    _, ctx = first.forward(blobs(2), training=True)
    np.testing.assert_allclose(ctx.reconstruction_logits.numpy(),
                               first.decoder(ctx.mipe_z[0]).numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("config", ["mipe.gin", "mipe_beta_vae.gin", "mipe_clg_vae.gin"])
def test_gin_configs_build(config):
    import tfdisent.train  # noqa: F401  (registers every gin name train uses)
    from tfdisent.models.vae import VAE
    path = os.path.join(REPO, "gin_configs", config)
    if config == "mipe_clg_vae.gin" and not os.path.exists(
            os.path.join(REPO, "gin_configs", "clg_vae.gin")):
        pytest.skip("gin_configs/clg_vae.gin (the CLG-VAE base) is not there yet")
    gin.clear_config()
    gin.add_config_file_search_path(os.path.dirname(path))
    try:
        gin.parse_config_file(path)
        model = gin.get_configurable(VAE)(input_shape=(64, 64, 1), dataset_size=1000)
        mipe, = [c for c in model.components if isinstance(c, MIPE)]
        assert float(mipe.optimizer.learning_rate) == pytest.approx(4e-4)
        assert model.clip_global_norm == 1.0
        assert gin.query_parameter("model.batch_size") == 256
        terms, ctx = model.forward(tf.random.uniform([2, 64, 64, 1]), training=True)
        assert {"ef_similarity", "kl_calibration"} <= set(terms)
        if config == "mipe_clg_vae.gin":  # the Lie decoder decodes ẑ
            np.testing.assert_allclose(ctx.z.numpy(), ctx.mipe_z[0].numpy())
            np.testing.assert_allclose(ctx.group_features[1].numpy(),
                                       model.decoder.group_features(ctx.z).numpy())
            assert float(terms["kl_loss"].value) == float(terms["ef_kl"].value)
    finally:
        gin.clear_config()


@pytest.mark.slow
def test_bin_train_exports_a_saved_model_that_evaluate_scores(tmp_path):
    # Runs once the evaluation issue's tfdisent.evaluate has landed.
    evaluate = pytest.importorskip("tfdisent.evaluate")
    model_dir = tmp_path / "run"
    subprocess.run(
        [sys.executable, os.path.join(REPO, "bin", "train"),
         "--gin_config=" + os.path.join(REPO, "gin_configs", "mipe.gin"),
         "--gin_bindings=model.training_steps=2",
         "--gin_bindings=model.batch_size=8",
         "--model_dir=" + str(model_dir)],
        check=True, cwd=REPO, timeout=300)
    loaded = tf.saved_model.load(str(model_dir / "saved_model"))
    codes = loaded.signatures["representation"](images=tf.zeros([2, 64, 64, 1]))
    assert codes["default"].shape == (2, 10)
    scores = evaluate.evaluate_with_gin(
        str(tmp_path / "eval"), model_dir=str(model_dir),
        gin_config_files=[os.path.join(REPO, "gin_configs", "metrics", "mig.gin")],
        gin_bindings=["mig.num_train = 300"])
    assert np.isfinite(scores["discrete_mig"])
