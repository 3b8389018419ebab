"""QLAE: terms, which variables each term moves, the weight-decay partition
and its optimizers, the representation, and a short run."""

import functools
import os

import numpy as np
import pytest
import tensorflow as tf

from tfdisent import export, losses, optimizers, results
from tfdisent.data import GroundTruthData
from tfdisent.metrics import infomec
from tfdisent.models.qlae import QLAE
from tfdisent.models.weight_decay import adam_like, weight_decay_partition
from tfdisent.models.vae import VAE
from tfdisent.nets import dlib
from tfdisent.nets import qlae as nets
from tfdisent.representation import SavedModelRepresentation
from tests.models.helpers import blobs, fit_steps, small_vae
from tests.subprocess_utils import run_bin

SHAPE = (16, 16, 1)
ARCH = dict(widths=(4, 6), kernel_sizes=(3, 4), strides=(1, 2), dense_widths=(16,))


def small_qlae(regularizer=None, learning_rate=1e-3, **qlae_args):
    model = VAE(SHAPE, regularizer=regularizer or QLAE(**qlae_args),
                encoder=nets.qlae_encoder(SHAPE, 4, **ARCH),
                decoder=nets.qlae_style_decoder(4, SHAPE, **ARCH, input_channels=8),
                reconstruction_loss=functools.partial(losses.bernoulli_loss,
                                                      reduction="mean"))
    model.forward(tf.zeros([2, *SHAPE]), training=False)
    model.compile(optimizer=optimizers.make_optimizer(learning_rate=learning_rate))
    model.build_optimizers()
    return model


@pytest.fixture(scope="module")
def model():
    return small_qlae()


def _component(model):
    return model.components[0]


def _moves(model, term, variables, x):
    """Whether `term` has a non-zero gradient for any of `variables`."""
    with tf.GradientTape() as tape:
        terms, _ = model.forward(x, training=True)
        value = terms[term].value
    return any(g is not None and float(tf.reduce_max(tf.abs(g))) > 0
               for g in tape.gradient(value, variables))


def test_terms_and_the_mean_bernoulli_reconstruction(model):
    x = blobs(4)
    terms, ctx = model.forward(x, training=False)
    assert set(terms) == {"reconstruction_loss", "quantization_loss", "commitment_loss"}
    assert terms["quantization_loss"].weight == 0.01 == terms["commitment_loss"].weight
    logits = ctx.reconstruction_logits.numpy()
    p = 1 / (1 + np.exp(-logits))
    bce = -(x.numpy() * np.log(p) + (1 - x.numpy()) * np.log(1 - p))
    np.testing.assert_allclose(float(terms["reconstruction_loss"].value), bce.mean(),
                               rtol=1e-4)
    q = ctx.quantized
    np.testing.assert_allclose(float(terms["commitment_loss"].value),
                               np.mean((q["continuous"] - q["quantized"]).numpy() ** 2),
                               rtol=1e-5)
    # The decoder receives the quantized code.
    np.testing.assert_array_equal(ctx.z.numpy(), q["quantized"].numpy())


def test_each_term_moves_the_right_variables(model):
    x = blobs(8)
    codebook = [_component(model).quantizer.codebook]
    encoder = model.encoder.trainable_variables
    head = model.encoder.get_layer("pre_z").trainable_variables
    assert _moves(model, "quantization_loss", codebook, x)
    assert not _moves(model, "quantization_loss", encoder, x)
    assert _moves(model, "commitment_loss", head, x)
    assert _moves(model, "commitment_loss", encoder[:1], x)  # the first conv
    assert not _moves(model, "commitment_loss", codebook, x)
    # Reconstruction reaches the encoder through the straight-through code.
    assert _moves(model, "reconstruction_loss", encoder[:1], x)
    assert not _moves(model, "reconstruction_loss", codebook, x)


def test_representation_is_the_quantized_code(model):
    codes = model.representation(blobs(6)).numpy()
    values = _component(model).quantizer.values().numpy()
    for j in range(4):
        assert set(codes[:, j]) <= set(values[j])


def test_reconstructions_decode_the_quantized_code(model):
    x = blobs(4)
    logits = model.forward(x, training=False)[1].reconstruction_logits
    np.testing.assert_allclose(_component(model).reconstruct(model, x).numpy(),
                               tf.sigmoid(logits).numpy(), atol=1e-6)


def test_weight_decay_partition_skips_biases_offsets_and_codebook(model):
    decayed, undecayed = _component(model).partition()
    names = lambda vs: {v.path.split("/")[-1] for v in vs}  # noqa: E731
    assert names(decayed) == {"kernel", "gamma", "constant_input"}
    assert names(undecayed) == {"bias", "beta", "codebook"}
    assert len(decayed) + len(undecayed) == len(model.trainable_variables)
    assert not {id(v) for v in decayed} & {id(v) for v in undecayed}
    groups = {g.name: g for g in model.optimizer_groups()}
    assert {id(v) for v in groups["weight_decay"].variables} == {id(v) for v in decayed}
    assert {id(v) for v in groups["main"].variables} == {id(v) for v in undecayed}


def test_one_step_with_zero_gradients_only_shrinks_decayed_weights():
    model = small_qlae(weight_decay=0.1, learning_rate=1e-3)
    before = {v.path: v.numpy().copy() for v in model.trainable_variables}
    for group in model.optimizer_groups():
        group.optimizer.apply_gradients(
            [(tf.zeros_like(v), v) for v in group.variables])
    decayed, undecayed = _component(model).partition()
    for v in decayed:
        np.testing.assert_allclose(v.numpy(), before[v.path] * (1 - 1e-3 * 0.1), rtol=1e-6)
    for v in undecayed:
        np.testing.assert_array_equal(v.numpy(), before[v.path])


def test_decayed_group_clips_gradients_element_wise():
    """Two Adam steps with gradients (10, 1) equal two with (1, 1) when
    clipped to [-1, 1]; without clipping they differ."""
    def run(first, clip_value):
        var = tf.Variable([1.0, 1.0])
        opt = adam_like(optimizers.make_optimizer(learning_rate=0.1), 0.0, clip_value)
        for grad in ([first, -first], [1.0, -1.0]):
            opt.apply_gradients([(tf.constant(grad), var)])
        return var.numpy()
    np.testing.assert_allclose(run(10.0, 1.0), run(1.0, 1.0), rtol=1e-6)
    assert not np.allclose(run(10.0, None), run(1.0, None))


def test_decayed_optimizer_copies_the_rate_and_adds_decay():
    base = optimizers.make_optimizer(learning_rate=3e-4, beta_1=0.5)
    decayed = adam_like(base, 0.1, 1.0)
    config = decayed.get_config()
    assert config["weight_decay"] == pytest.approx(0.1) and config["clipvalue"] == 1.0
    assert config["learning_rate"] == pytest.approx(3e-4) and config["beta_1"] == 0.5
    plain = adam_like(base).get_config()
    assert plain["weight_decay"] is None and plain["clipvalue"] is None


def test_partition_rule_on_names():
    variables = [tf.Variable(0.0, name=n) for n in ("kernel", "bias", "gamma", "beta")]
    decayed, undecayed = weight_decay_partition(variables)
    assert [v.name for v in decayed] == ["kernel:0", "gamma:0"]
    assert [v.name for v in undecayed] == ["bias:0", "beta:0"]


def test_decaying_main_optimizer_is_refused():
    model = VAE(SHAPE, regularizer=QLAE(),
                encoder=nets.qlae_encoder(SHAPE, 4, **ARCH),
                decoder=nets.qlae_style_decoder(4, SHAPE, **ARCH, input_channels=8))
    model.compile(optimizer=optimizers.make_optimizer(name="adamw", weight_decay=0.1))
    with pytest.raises(ValueError, match="qlae.weight_decay"):
        model.build_optimizers()


def test_stochastic_encoder_is_refused():
    with pytest.raises(ValueError, match="deterministic encoder"):
        VAE(SHAPE, regularizer=QLAE(),
            encoder=dlib.conv_encoder(SHAPE, 4),
            decoder=nets.qlae_style_decoder(4, SHAPE, **ARCH, input_channels=8))


def test_short_run_lowers_the_reconstruction_loss():
    """(The codebook terms first grow: Adam moves the codes off the initial
    codebook faster than the 0.01-weighted terms pull them back.)"""
    model = small_qlae(learning_rate=3e-3)
    before, after = fit_steps(model, blobs(32), 40)
    assert after["reconstruction_loss"] < 0.6 * before["reconstruction_loss"]
    assert int(model.global_step.numpy()) == 40


TINY_NETS = ["--gin_bindings=qlae_encoder.widths = (4, 8)",
             "--gin_bindings=qlae_encoder.kernel_sizes = (4, 4)",
             "--gin_bindings=qlae_encoder.strides = (4, 4)",
             "--gin_bindings=qlae_encoder.dense_widths = (16,)",
             "--gin_bindings=qlae_style_decoder.widths = (8, 4)",
             "--gin_bindings=qlae_style_decoder.kernel_sizes = (4, 4)",
             "--gin_bindings=qlae_style_decoder.strides = (2, 2)",
             "--gin_bindings=qlae_style_decoder.dense_widths = (16,)",
             "--gin_bindings=qlae_style_decoder.input_channels = 8",
             "--gin_bindings=model.batch_size = 8",
             "--gin_bindings=model.image_every = 0"]


def train_and_score(gin_file, tmp_path, steps, discrete):
    """bin/train (tiny nets) then bin/evaluate with InfoMEC; returns
    (SavedModel, aggregate results)."""
    model_dir = str(tmp_path / "model")
    trained = run_bin("train", "--gin_config=gin_configs/%s" % gin_file, *TINY_NETS,
                      "--gin_bindings=model.training_steps = %d" % steps,
                      "--model_dir=" + model_dir)
    assert trained.returncode == 0, trained.stderr[-3000:]
    scored = run_bin("evaluate", "--model_dir=" + model_dir,
                     "--gin_config=gin_configs/metrics/infomec.gin",
                     "--gin_bindings=infomec.num_points = 300",
                     "--gin_bindings=infomec.discrete_latents = %s" % discrete,
                     "--output_dir=" + str(tmp_path / "scores"))
    assert scored.returncode == 0, scored.stderr[-3000:]
    aggregate = results.load_aggregate(str(tmp_path / "scores" / "results"))
    return tf.saved_model.load(os.path.join(model_dir, "saved_model")), aggregate


@pytest.mark.slow
@pytest.mark.parametrize("gin_file,num_latent,channels", [
    ("qlae.gin", 10, 1), ("qlae_shapes3d.gin", 12, 3)])
def test_bin_train_exports_quantized_codes_that_infomec_scores(
        tmp_path, gin_file, num_latent, channels):
    served, aggregate = train_and_score(gin_file, tmp_path, 20, discrete=True)
    codes = served.signatures["representation"](
        images=tf.zeros([3, 64, 64, channels]))["default"].numpy()
    assert codes.shape == (3, num_latent)
    assert len(np.unique(codes)) <= 10 * num_latent  # codebook values only
    for key in ("infom", "infoe", "infoc"):
        assert 0.0 <= aggregate["evaluation_results." + key] <= 1.0
    assert np.shape(aggregate["evaluation_results.nmi_matrix"])[1] == num_latent


class SquarePositions(GroundTruthData):
    """The `blobs` images as a dataset: factors = the square's (x, y)."""
    name = "square_positions"
    factors_num_values = [12, 12]
    observation_shape = SHAPE

    def sample_observations_from_factors(self, factors, random_state):
        images = np.zeros((len(factors), *SHAPE), np.float32)
        for i, (x, y) in enumerate(factors):
            images[i, y:y + 4, x:x + 4] = 1.0
        return images


def test_a_quantized_saved_model_is_scored_with_the_discrete_estimator(tmp_path):
    # The official QLAE training (scripts/train_ae.py, log_disentanglement_metrics)
    # scores its quantized latents with the discrete estimator.
    model = small_qlae()
    fit_steps(model, blobs(32), 5)  # trained a little: its codes still vary
    model.build_for(SHAPE)
    path = export.export(model, str(tmp_path / "saved_model"))
    served = SavedModelRepresentation(path)
    assert served.discrete_latents and not SavedModelRepresentation(path, "mean").discrete_latents

    def score(**binding):
        return infomec.compute_infomec(SquarePositions(), served, np.random.RandomState(0),
                                       num_points=300, n_jobs=1, **binding)
    automatic, explicit, knn = score(), score(discrete_latents=True), score(discrete_latents=False)
    assert automatic["num_active_dims"] >= 2
    for key in ("infom", "infoe", "infoc"):
        assert np.isfinite(automatic[key]) and automatic[key] == explicit[key]
    assert abs(automatic["infom"] - knn["infom"]) > 1e-3  # an explicit binding still wins


def test_a_gaussian_saved_model_records_continuous_codes(tmp_path):
    gaussian = small_vae()
    path = export.export(gaussian, str(tmp_path / "saved_model"))
    assert not SavedModelRepresentation(path).discrete_latents
