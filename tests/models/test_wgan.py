"""InfoWGAN-GP / QLInfoWGAN-GP: the gradient penalty, the critic/generator
alternation inside one traced step, the optimizer partition, priors, the
SavedModel contract and a short run."""

import numpy as np
import pytest
import tensorflow as tf

from tfdisent import export, optimizers
from tfdisent.models.wgan import InfoWGAN, gradient_penalty
from tfdisent.nets import dlib
from tfdisent.nets import qlae as nets
from tfdisent.representation import recorded_discrete
from tests.models.helpers import blobs
from tests.models.test_qlae import train_and_score

SHAPE = (16, 16, 1)
ARCH = dict(widths=(4, 6), kernel_sizes=(3, 4), strides=(1, 2), dense_widths=(16,))


def small_wgan(quantized=True, **kwargs):
    model = InfoWGAN(SHAPE, quantized=quantized,
                     encoder=nets.qlae_encoder(SHAPE, 3, **ARCH),
                     decoder=nets.qlae_style_decoder(3, SHAPE, **ARCH, input_channels=8),
                     **kwargs)
    model.forward(tf.zeros([2, *SHAPE]), training=False)
    model.compile(optimizer=optimizers.make_optimizer(
        learning_rate=2e-4, beta_1=0.0, beta_2=0.9))
    model.build_optimizers()
    return model


def _dataset(n=16):
    return tf.data.Dataset.from_tensors(blobs(n)).repeat()


def _snapshot(variables):
    return [v.numpy().copy() for v in variables]


def _changed(variables, snapshot):
    return [not np.array_equal(v.numpy(), s) for v, s in zip(variables, snapshot)]


def _iterations(model):
    return {g.name: int(g.optimizer.iterations.numpy()) for g in model.optimizer_groups()}


@pytest.mark.parametrize("norm,expected", [(1.0, 0.0), (2.0, 1.0), (0.5, 0.25)])
def test_gradient_penalty_of_a_linear_critic(norm, expected):
    direction = tf.random.stateless_normal([1, 4, 4, 2], seed=[0, 1])
    weights = norm * direction / tf.norm(direction)
    x = tf.random.stateless_uniform([5, 4, 4, 2], seed=[2, 3])
    critic = lambda images: tf.reduce_sum(images * weights, axis=[1, 2, 3])  # noqa: E731
    assert float(gradient_penalty(critic, x)) == pytest.approx(expected, abs=1e-6)


def test_gradient_penalty_is_differentiable_in_the_critic():
    w = tf.Variable(tf.fill([1, 3], 2.0))
    with tf.GradientTape() as tape:
        penalty = gradient_penalty(lambda x: tf.reduce_sum(x * w, 1), tf.ones([4, 3]))
    # penalty = (2·sqrt(3) − 1)²; d/dw_i = 2(‖w‖ − 1)·w_i/‖w‖
    norm = 2 * np.sqrt(3)
    assert float(penalty) == pytest.approx((norm - 1) ** 2, rel=1e-5)
    np.testing.assert_allclose(tape.gradient(penalty, w).numpy(),
                               np.full((1, 3), 2 * (norm - 1) * 2 / norm), rtol=1e-5)


def test_generator_steps_every_fifth_step_in_one_trace():
    model = small_wgan()
    step = tf.function(model.train_step)
    generator_side = model.decoder.trainable_variables + model.quantizer.trainable_variables
    critic_side = model.encoder.trainable_variables
    x = blobs(8)
    before = _snapshot(generator_side)
    for _ in range(4):
        logs = step(x)
    assert not any(_changed(generator_side, before))
    assert float(logs["generator_loss"]) == 0.0
    critic_before = _snapshot(critic_side)
    logs = step(x)  # step 5: critic, then generator
    assert all(_changed(generator_side, before))
    assert any(_changed(critic_side, critic_before))
    assert float(logs["generator_loss"]) != 0.0
    for _ in range(5):
        step(x)
    assert step.experimental_get_tracing_count() == 1
    assert _iterations(model) == {"critic_weight_decay": 10, "critic": 10,
                                  "generator_weight_decay": 2, "generator": 2}
    assert int(model.global_step.numpy()) == 10


def test_optimizer_partition():
    model = small_wgan()
    groups = {g.name: g for g in model.optimizer_groups()}
    ids = {name: {id(v) for v in g.variables} for name, g in groups.items()}
    paths = {name: {v.path for v in g.variables} for name, g in groups.items()}
    value_head = model.critic.layers[0]
    assert id(model.quantizer.codebook) in ids["generator"]
    assert id(value_head.kernel) in ids["critic_weight_decay"]
    assert id(value_head.bias) in ids["critic"]
    assert {id(v) for v in model.encoder.trainable_variables} <= (
        ids["critic"] | ids["critic_weight_decay"])
    assert any(p.endswith("constant_input") for p in paths["generator_weight_decay"])
    for name in ("critic", "generator"):
        assert {p.split("/")[-1] for p in paths[name]} <= {"bias", "beta", "codebook"}
        assert not {p.split("/")[-1] for p in paths[name + "_weight_decay"]} & {
            "bias", "beta", "codebook"}
    everything = [v for g in groups.values() for v in g.variables]
    assert len(everything) == len({id(v) for v in everything}) == len(
        model.trainable_variables)
    config = groups["critic_weight_decay"].optimizer.get_config()
    assert config["weight_decay"] == pytest.approx(1e-3) and config["clipvalue"] == 1.0
    assert config["beta_1"] == 0.0 and config["beta_2"] == pytest.approx(0.9)
    assert groups["generator"].optimizer.get_config()["weight_decay"] is None


def test_priors():
    continuous = small_wgan(quantized=False).prior(500, salt=10).numpy()
    assert continuous.min() >= 0 and continuous.max() < 1
    assert len(np.unique(continuous)) > 1000
    model = small_wgan()
    draws = model.prior(500, salt=10).numpy()
    values = model.quantizer.values().numpy()
    for j in range(3):
        assert set(np.unique(draws[:, j])) == set(values[j])


def test_terms_are_logged_and_weighted():
    model = small_wgan()
    terms, _ = model.forward(blobs(4), training=True)
    assert {k: t.weight for k, t in terms.items()} == {
        "value_loss": 1.0, "gradient_penalty": 10.0, "latent_loss": 200.0,
        "quantization_loss": 0.01, "commitment_loss": 0.01}
    assert float(terms["gradient_penalty"].value) > 0
    logs = model.evaluate(_dataset(4), steps=1, verbose=0, return_dict=True)
    assert {"loss", "generator_loss", "generator_latent_loss",
            "generator_value_loss"} <= set(logs)


def test_saved_model_contract(tmp_path):
    model = small_wgan()
    x = blobs(4)
    path = export.export(model, str(tmp_path / "saved_model"))
    served = tf.saved_model.load(path)
    codes = served.signatures["representation"](images=x)["default"].numpy()
    values = model.quantizer.values().numpy()
    for j in range(3):
        assert set(codes[:, j]) <= set(values[j])
    mean = served.signatures["gaussian_encoder"](images=x)
    assert set(mean) == {"mean"}
    np.testing.assert_allclose(mean["mean"].numpy(), codes)
    images = served.signatures["reconstructions"](images=x)["images"].numpy()
    np.testing.assert_allclose(images, model.reconstruct(x).numpy(), atol=1e-6)
    decoded = served.signatures["decoder"](latent_vectors=tf.constant(codes))["images"]
    np.testing.assert_allclose(decoded.numpy(), images, atol=1e-6)
    # QLInfoWGAN-GP's codes are codebook values: InfoMEC's estimator follows this
    assert recorded_discrete(path)
    continuous = export.export(small_wgan(quantized=False), str(tmp_path / "continuous"))
    assert not recorded_discrete(continuous)


def test_short_run_lowers_the_critic_and_latent_losses():
    model = small_wgan(quantized=False, generator_step_period=3)
    before = model.evaluate(_dataset(), steps=1, verbose=0, return_dict=True)
    model.fit(_dataset(), epochs=1, steps_per_epoch=60, verbose=0)
    after = model.evaluate(_dataset(), steps=1, verbose=0, return_dict=True)
    assert _iterations(model)["generator"] == 20 and _iterations(model)["critic"] == 60
    assert after["latent_loss"] < 0.7 * before["latent_loss"]
    assert after["loss"] < 0.7 * before["loss"]


def test_encoder_without_features_is_refused():
    with pytest.raises(ValueError, match="'features'"):
        InfoWGAN(SHAPE, encoder=dlib.deterministic_conv_encoder(SHAPE, 3),
                 decoder=nets.qlae_style_decoder(3, SHAPE, **ARCH, input_channels=8))


def test_distribution_strategies_are_refused_clearly():
    model = InfoWGAN(SHAPE, encoder=nets.qlae_encoder(SHAPE, 3, **ARCH),
                     decoder=nets.qlae_style_decoder(3, SHAPE, **ARCH, input_channels=8))
    model.compile(optimizer=optimizers.make_optimizer())
    with tf.distribute.MirroredStrategy(["/cpu:0"]).scope():
        with pytest.raises(ValueError, match="default strategy only"):
            model.build_optimizers()


@pytest.mark.slow
@pytest.mark.parametrize("gin_file,num_latent,channels,quantized", [
    ("infowgan.gin", 10, 1, False), ("qlinfowgan.gin", 10, 1, True),
    ("qlinfowgan_shapes3d.gin", 12, 3, True)])
def test_bin_train_exports_codes_that_infomec_scores(
        tmp_path, gin_file, num_latent, channels, quantized):
    served, aggregate = train_and_score(gin_file, tmp_path, 10, discrete=quantized)
    x = tf.random.stateless_uniform([4, 64, 64, channels], seed=[0, 1])
    codes = served.signatures["representation"](images=x)["default"].numpy()
    assert codes.shape == (4, num_latent)
    mean = served.signatures["gaussian_encoder"](images=x)["mean"].numpy()
    np.testing.assert_allclose(mean, codes, atol=1e-6)
    for key in ("infom", "infoe"):
        assert 0.0 <= aggregate["evaluation_results." + key] <= 1.0
