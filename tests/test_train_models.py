"""Every baseline gin config trains on `sprites` through the training entry
point: the loss logged to TensorBoard falls; a fixed seed repeats a run."""

import glob
import os

import numpy as np
import pytest
import tensorflow as tf

from tfdisent import train

CONFIGS = ["beta_vae", "annealed_vae", "factor_vae", "dip_vae_i", "dip_vae_ii",
           "beta_tc_vae", "control_vae", "ae"]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(model_dir, config, steps, *bindings):
    return train.train_with_gin(
        str(model_dir), gin_config_files=[os.path.join(ROOT, "gin_configs", config + ".gin")],
        gin_bindings=["model.training_steps = %d" % steps, "model.batch_size = 16",
                      "model.log_every = 10", "model.image_every = 0",
                      "model.checkpoint_every = 1000", "model.verbose = 0",
                      "optimizer.learning_rate = 0.001", *bindings])


def logged(model_dir, tag="train/loss"):
    values = []
    for path in glob.glob(os.path.join(model_dir, "logs", "events.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                if value.tag == tag:
                    values.append((event.step, float(tf.make_ndarray(value.tensor))))
    return [v for _, v in sorted(values)]


@pytest.mark.slow
@pytest.mark.parametrize("config", CONFIGS)
def test_each_baseline_trains_and_its_loss_falls(tmp_path, config):
    small_nets = ["encoder.encoder_fn = @deterministic_conv_encoder",
                  "decoder.decoder_fn = @deconv_decoder"] if config == "ae" else []
    results = run(tmp_path / "m", config, 200, *small_nets)
    losses = logged(str(tmp_path / "m"))
    assert len(losses) == 20
    assert np.mean(losses[-3:]) < 0.8 * np.mean(losses[:2]), losses
    assert np.isfinite(results["reconstruction_loss"])
    assert os.path.exists(tmp_path / "m" / "saved_model" / "saved_model.pb")


def test_same_seed_same_losses_and_other_seed_differs(tmp_path):
    first = run(tmp_path / "a", "beta_vae", 20, "model.random_seed = 7")
    again = run(tmp_path / "b", "beta_vae", 20, "model.random_seed = 7")
    other = run(tmp_path / "c", "beta_vae", 20, "model.random_seed = 8")
    np.testing.assert_allclose(logged(str(tmp_path / "a")), logged(str(tmp_path / "b")), rtol=1e-6)
    assert first["loss"] == pytest.approx(again["loss"], rel=1e-6)
    assert other["loss"] != pytest.approx(first["loss"], rel=1e-6)
