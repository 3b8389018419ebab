"""The CFASL extension: pairs, attention, composite symmetry, named losses,
gradients, the attention's optimizer group, training, and bin/train."""

import json
import os

import gin
import numpy as np
import pytest
import tensorflow as tf

from tfdisent import train  # noqa: F401  (registers the gin names model.*, dataset.*)
from tfdisent.latents import symmetry
from tfdisent.models import cfasl as cfasl_lib
from tfdisent.models import clg_vae
from tfdisent.models import regularizers as r
from tfdisent.models.base import Context, total_loss
from tfdisent.models.vae import VAE
from tests.models.helpers import blobs, fit_steps, small_vae
from tests.subprocess_utils import ROOT, run_bin

NAMES = {"cfasl_parallel", "cfasl_perpendicular", "cfasl_sparsity",
         "cfasl_commutativity", "cfasl_switch", "cfasl_encoder_equivariance",
         "cfasl_decoder_equivariance", "cfasl_switch_on"}


def cfasl_vae(num_latent=4, **options):
    options.setdefault("elements_per_section", 4)
    return small_vae(r.BetaVAE(1.0), [cfasl_lib.CFASL(**options)],
                     num_latent=num_latent)


def test_every_term_is_named_and_weighted_as_configured():
    model = cfasl_vae(decoder_equivariance_weight=0.01, sparsity_weight=3.0)
    terms, _ = model.forward(blobs(8), training=True)
    assert NAMES <= set(terms)
    assert terms["cfasl_decoder_equivariance"].weight == 0.01
    assert terms["cfasl_sparsity"].weight == 3.0
    assert terms["cfasl_switch_on"].weight == 0.0
    assert all(np.isfinite(t.value.numpy()) for t in terms.values())
    terms, _ = cfasl_vae(commutativity=False).forward(blobs(8), training=True)
    assert "cfasl_commutativity" not in terms


def _hand_set(model, z1, z2, off_section):
    """Attention: every switch on but `off_section`, element 0 everywhere;
    codebook element (s, 0) = diag generator of the ratio z2_s / z1_s."""
    component = model.components[1]
    dim, elements = model.num_latent, component.elements_per_section
    bias = np.full((elements + 2) * dim, -50.0, np.float32)
    bias[1:2 * dim:2] = 50.0  # switch channel 1 (on)
    bias[2 * off_section] = 50.0  # ... except this section: channel 0
    bias[2 * off_section + 1] = -50.0
    bias[2 * dim::elements] = 50.0  # element 0 of each section
    kernel, _ = component.attention.get_weights()
    component.attention.set_weights([np.zeros_like(kernel), bias])
    algebra = np.random.RandomState(0).normal(size=component.codebook.algebra.shape)
    for s in range(dim):
        if s != off_section:
            algebra[s, 0] = np.diag(np.eye(dim)[s] * np.log(z2[s] / z1[s]))
    component.codebook.algebra.assign(algebra.astype(np.float32))


def test_hand_set_codebook_and_attention_map_z1_to_z2_exactly():
    model = cfasl_vae(num_latent=3)
    z1 = np.array([0.5, 1.5, -2.0], np.float32)
    z2 = np.array([1.0, 1.5, -0.5], np.float32)  # section 1 unchanged: off
    _hand_set(model, z1, z2, off_section=1)
    z = tf.constant(np.stack([z1, z2]))
    ctx = Context(x=blobs(2), training=True, model=model, z=z, z_mean=z,
                  z_logvar=tf.zeros_like(z), reconstruction_logits=None)
    component = model.components[1]
    component.prepare(ctx)
    np.testing.assert_allclose(ctx.cfasl["switch"].numpy(), [[1.0, 0.0, 1.0]])
    np.testing.assert_allclose(ctx.cfasl["z1_to_2"].numpy(), [z2], rtol=1e-5)
    np.testing.assert_allclose(ctx.cfasl["z2_to_1"].numpy(), [z1], rtol=1e-5)
    terms = component.terms(ctx)
    assert float(terms["cfasl_encoder_equivariance"].value) < 1e-10
    assert float(terms["cfasl_switch"].value) < 1e-6  # labels: on, off, on


def test_reconstruction_and_transformed_codes_share_one_decoder_batch():
    model = cfasl_vae()
    x = blobs(6)
    _, ctx = model.forward(x, training=False)
    c = ctx.cfasl
    np.testing.assert_allclose(ctx.reconstruction_logits.numpy(),
                               model.decoder(ctx.z).numpy(), atol=1e-4)
    transformed = tf.concat([c["z2_to_1"], c["z1_to_2"]], 0)
    np.testing.assert_allclose(c["transformed_logits"].numpy(),
                               model.decoder(transformed).numpy(), atol=1e-4)
    # the decoder equivariance targets are x1 for z2 G^-1 and x2 for z1 G
    expected = model.reconstruction_loss(tf.concat([x[:3], x[3:]], 0),
                                         c["transformed_logits"])
    terms = model.components[1].terms(ctx)
    assert float(terms["cfasl_decoder_equivariance"].value) == pytest.approx(
        float(tf.reduce_mean(expected)), rel=1e-5)


def test_sigma_bug_flag_feeds_exp_half_mu2_for_sigma2():
    model = cfasl_vae(replicate_sigma_bug=True)
    fixed = cfasl_vae()
    fixed.components[1].attention.set_weights(
        model.components[1].attention.get_weights())
    mean = tf.random.normal([4, 4], seed=1)
    logvar = tf.random.normal([4, 4], seed=2)
    buggy = model.components[1].attention_logits(mean, logvar)
    bugged_logvar = tf.concat([logvar[:2], mean[2:]], 0)
    for a, b in zip(buggy, fixed.components[1].attention_logits(mean, bugged_logvar)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)
    assert not np.allclose(buggy[0].numpy(),
                           fixed.components[1].attention_logits(mean, logvar)[0].numpy())


def test_switch_loss_is_plain_cross_entropy_per_pair():
    logits = tf.constant([[[0.0, 0.0], [2.0, 0.0]], [[0.0, 0.0], [0.0, 0.0]]])
    labels = tf.constant([[1, 0], [0, 1]])
    ce_second = np.log(1.0 + np.exp(-2.0))
    expected = (np.log(2.0) + ce_second + 2.0 * np.log(2.0)) / 2.0
    assert float(cfasl_lib.switch_loss(logits, labels)) == pytest.approx(expected)


def test_gumbel_switch_is_channel_one_of_a_tempered_softmax():
    logits = tf.constant([[0.3, -0.2], [-1.0, 2.0]])
    uniform = tf.constant([[0.4, 0.7], [0.2, 0.9]])
    gumbel = -np.log(-np.log(uniform.numpy()))
    tempered = (logits.numpy() + gumbel) / 0.5
    expected = np.exp(tempered[:, 1]) / np.exp(tempered).sum(-1)
    np.testing.assert_allclose(cfasl_lib.gumbel_switch(logits, uniform, 0.5).numpy(),
                               expected, rtol=1e-5)
    hard = cfasl_lib.gumbel_switch(logits, uniform, 1e-4).numpy()
    np.testing.assert_array_equal(hard, (tempered[:, 1] > tempered[:, 0]).astype(np.float32))


def test_switch_noise_and_element_choice_are_a_function_of_the_step():
    model = cfasl_vae()
    x = blobs(8)

    def draw(step):
        model.global_step.assign(step)
        terms, ctx = model.forward(x, training=True)
        return ctx.cfasl["switch"].numpy(), float(terms["cfasl_perpendicular"].value)

    switch, perpendicular = draw(3)
    again = draw(3)
    np.testing.assert_array_equal(switch, again[0])
    assert perpendicular == again[1]
    assert not np.array_equal(switch, draw(4)[0])


@pytest.mark.parametrize("all_elements, drawn_from", [(False, 4), (True, 6)])
def test_perpendicular_element_is_drawn_from_the_official_range(all_elements, drawn_from):
    # CFASL group_action_layer.py, indepdent_loss: np.random.choice(self.sec,
    # self.sec) with sec = D: only the first D of |SS| elements (D=4 < |SS|=6).
    model = cfasl_vae(num_latent=4, elements_per_section=6,
                      perpendicular_from_all_elements=all_elements)
    component = model.components[1]
    drawn = []
    for step in range(60):
        model.global_step.assign(step)
        drawn.append(component.perpendicular_choice(model).numpy())
    assert set(np.concatenate(drawn)) == set(range(drawn_from))


def test_official_commutativity_flag_switches_the_penalty():
    released = cfasl_vae(replicate_official_commutativity=True)
    algebra = released.components[1].codebook.algebra
    terms, _ = released.forward(blobs(8), training=True)
    np.testing.assert_allclose(float(terms["cfasl_commutativity"].value),
                               float(symmetry.released_commutativity_loss(algebra)), rtol=1e-6)
    assert float(symmetry.commutativity_loss(algebra)) > 3 * float(terms["cfasl_commutativity"].value)


def test_gradients_reach_codebook_attention_encoder_and_decoder():
    model = cfasl_vae()
    component = model.components[1]
    with tf.GradientTape() as tape:
        loss = total_loss(model.forward(blobs(8), training=True)[0])
    checked = {"codebook": [component.codebook.algebra],
               "attention": component.attention.trainable_variables,
               "encoder": model.encoder.trainable_variables,
               "decoder": model.decoder.trainable_variables}
    grads = tape.gradient(loss, checked)
    for part, variables in checked.items():
        for var, grad in zip(variables, grads[part]):
            assert grad is not None and float(tf.reduce_max(tf.abs(grad))) > 0, (part, var.path)


def test_attention_layer_has_its_own_optimizer_group_at_2e_5():
    model = cfasl_vae()
    component = model.components[1]
    groups = {g.name: g for g in model.optimizer_groups()}
    assert set(groups) == {"main", "cfasl_attention"}
    attention_ids = {id(v) for v in component.attention.trainable_variables}
    assert {id(v) for v in groups["cfasl_attention"].variables} == attention_ids
    assert not attention_ids & {id(v) for v in groups["main"].variables}
    assert id(component.codebook.algebra) in {id(v) for v in groups["main"].variables}
    assert float(groups["cfasl_attention"].optimizer.learning_rate) == pytest.approx(2e-5)
    assert float(groups["main"].optimizer.learning_rate) == pytest.approx(1e-3)
    assert "cfasl_attention" in model.all_optimizers()
    before = [v.numpy().copy() for v in component.attention.trainable_variables]
    for _ in range(2):
        model.train_step(blobs(8))
    assert int(groups["cfasl_attention"].optimizer.iterations.numpy()) == 2
    after = component.attention.trainable_variables
    assert any(not np.allclose(b, a.numpy()) for b, a in zip(before, after))


def test_short_training_lowers_loss_and_equivariance_losses():
    model = cfasl_vae()
    before, after = fit_steps(model, blobs(), 40)
    assert NAMES | {"loss", "reconstruction_loss", "kl_loss"} <= set(after)
    assert after["loss"] < 0.5 * before["loss"]
    assert after["cfasl_encoder_equivariance"] < before["cfasl_encoder_equivariance"]
    assert after["cfasl_decoder_equivariance"] < 0.7 * before["cfasl_decoder_equivariance"]


def test_a_deterministic_encoder_is_refused():
    with pytest.raises(ValueError, match="Gaussian encoder"):
        small_vae(r.NoRegularizer(), [cfasl_lib.CFASL()], deterministic=True)


@pytest.mark.parametrize("config,regularizer,encoder", [
    ("cfasl", r.BetaTCVAE, "cnn4"), ("cfasl_beta_vae", r.BetaVAE, "cnn4"),
    ("cfasl_control_vae", r.ControlVAE, "cnn4"),
    ("cfasl_clg_vae", clg_vae.CLGVAE, "clg"), ("clg_vae", clg_vae.CLGVAE, "clg")])
def test_gin_configs_build_the_intended_models(config, regularizer, encoder):
    gin.clear_config()
    gin.add_config_file_search_path(os.path.join(ROOT, "gin_configs"))
    try:
        gin.parse_config_file(os.path.join(ROOT, "gin_configs", config + ".gin"))
        model = VAE(input_shape=(64, 64, 1), dataset_size=737280)
        assert gin.query_parameter("model.batch_size") == 64
        assert gin.query_parameter("vae.clip_global_norm") == 1.0
    finally:
        gin.clear_config()
    base = model.components[0]
    assert isinstance(base, regularizer)
    extensions = [type(c) for c in model.components[1:]]
    assert extensions == ([] if config == "clg_vae" else [cfasl_lib.CFASL])
    assert model.num_latent == 10
    if config == "cfasl":  # groupbetatcvae: MI + β TC + DWKL, stratified estimator
        assert (base.estimator, base.beta, base.alpha, base.gamma, base.dataset_size) == \
            ("mss", 6.0, 1.0, 1.0, 737280)
        assert not base.replicate_official_joint_weights
    if config == "cfasl_beta_vae":
        assert base.beta == 1.0
    if config == "cfasl_control_vae":  # pi_ctrl: k_p, k_i, const_kld, ramp over the run
        assert (base.target_kl, base.k_p, base.k_i, base.beta_min, base.beta_max) == \
            (16.0, 0.01, 0.001, 1.0, 100.0)
        assert (base.target, base.initial_kl, base.ramp_steps) == ("linear_ramp", 0.5, 300000)
        assert not base.replicate_official_integral
    if config == "clg_vae":
        return
    cfasl = model.components[1]
    assert (cfasl.elements_per_section, cfasl.threshold, cfasl.temperature) == (16, 0.2, 1e-4)
    assert cfasl.weights_by_term == {
        "cfasl_parallel": 1.0, "cfasl_perpendicular": 1.0, "cfasl_sparsity": 1.0,
        "cfasl_commutativity": 1.0, "cfasl_switch": 1.0, "cfasl_encoder_equivariance": 1.0,
        "cfasl_decoder_equivariance": 0.1}
    assert cfasl.commutativity and not cfasl.replicate_official_commutativity
    assert not cfasl.perpendicular_from_all_elements and not cfasl.replicate_sigma_bug
    assert cfasl.attention_learning_rate == 2e-5
    assert cfasl.codebook_stddev == (1e-6 if config == "cfasl_clg_vae" else 1.0)
    assert cfasl.codebook.algebra.shape == (10, 16, 10, 10)
    assert (encoder == "clg") == isinstance(model.decoder, clg_vae.LieGroupDecoder)


@pytest.mark.slow
def test_bin_train_cfasl_gin_exports_a_saved_model(tmp_path):
    model_dir = str(tmp_path / "cfasl")
    result = run_bin("train", "--gin_config=gin_configs/cfasl.gin",
                     "--gin_bindings=model.training_steps=24",
                     "--gin_bindings=model.batch_size=8",
                     "--model_dir=" + model_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = tf.saved_model.load(os.path.join(model_dir, "saved_model"))
    codes = loaded.signatures["representation"](images=tf.zeros([3, 64, 64, 1]))
    assert codes["default"].shape == (3, 10)
    assert os.path.exists(os.path.join(model_dir, "results", "json",
                                       "train_results.json"))
    # Scored as in the paper (sampled code, FVM, m-FVM, z-diff, MIG, SAP),
    # with fewer points to stay fast.
    scored = run_bin("evaluate", "--model_dir=" + model_dir,
                     "--gin_config=gin_configs/metrics/cfasl_paper.gin",
                     "--gin_bindings=factor_vae_score.num_train = 40",
                     "--gin_bindings=factor_vae_score.num_eval = 20",
                     "--gin_bindings=mfvm.num_votes = 40",
                     "--gin_bindings=beta_vae_sklearn.num_train = 50",
                     "--gin_bindings=beta_vae_sklearn.num_eval = 20",
                     "--gin_bindings=mig.num_train = 500",
                     "--gin_bindings=sap_score.num_train = 500",
                     "--gin_bindings=sap_score.num_test = 200",
                     "--output_dir=" + str(tmp_path / "scores"))
    assert scored.returncode == 0, scored.stderr[-3000:]
    with open(tmp_path / "scores" / "results" / "json" / "evaluation_results.json") as f:
        scores = json.load(f)
    for key in ("factor_vae_score.train_accuracy", "mfvm.mfvm_2", "mfvm.mfvm_4",
                "beta_vae_sklearn.eval_accuracy", "mig.discrete_mig", "sap_score.SAP_score"):
        assert 0.0 <= scores[key] <= 1.0, key
