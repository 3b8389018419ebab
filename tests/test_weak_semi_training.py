"""Every weak and semi-supervised gin config trains through the training
entry point on its supervision (pairs, labelled points), logs its named
terms and exports a SavedModel of one image that bin/evaluate scores; bad
settings end bin/train with one line."""

import glob
import json
import os

import numpy as np
import pytest
import tensorflow as tf

from tests.subprocess_utils import run_bin
from tfdisent import train

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = ['dataset.name = "xy_square"',
        'dataset.options = {"image_size": 16, "num_positions": 4, "square_size": 4}',
        "encoder.encoder_fn = @fc_encoder", "decoder.decoder_fn = @fc_decoder",
        "encoder.num_latent = 4", "model.batch_size = 8", "model.image_every = 0",
        "model.log_every = 2", "model.verbose = 0"]
SEMI_TINY = ["semi_supervised.num_labelled = 12"]
WEAK = {"ada_gvae", "ada_ml_vae", "gvae_labels", "ml_vae_labels"}
SEMI = {"s2_beta_vae": {"kl_loss"}, "s2_beta_tc_vae": {"kl_loss", "total_correlation"},
        "s2_factor_vae": {"kl_loss", "total_correlation", "discriminator_loss"},
        "s2_dip_vae": {"kl_loss", "dip_diagonal", "dip_off_diagonal"}, "s2_supervised": set()}


def config_path(name):
    return os.path.join(ROOT, "gin_configs", name + ".gin")


def trained(model_dir, config, *bindings):
    extra = SEMI_TINY if config in SEMI else []
    return train.train_with_gin(str(model_dir), gin_config_files=[config_path(config)],
                                gin_bindings=TINY + extra + ["model.training_steps = 4",
                                                             *bindings])


@pytest.mark.parametrize("config", sorted(WEAK))
def test_weak_configs_train_on_pairs(tmp_path, config):
    results = trained(tmp_path / "m", config)
    assert {"reconstruction_loss", "kl_loss", "shared_dimensions"} <= set(results)
    assert 0.0 <= results["shared_dimensions"] <= 4.0
    loaded = tf.saved_model.load(str(tmp_path / "m" / "saved_model"))
    codes = loaded.signatures["representation"](images=tf.zeros([3, 16, 16, 1]))
    assert codes["default"].shape == (3, 4)


@pytest.mark.parametrize("config", sorted(SEMI))
def test_semi_configs_train_on_labelled_points_and_record_them(tmp_path, config):
    results = trained(tmp_path / "m", config)
    assert {"reconstruction_loss", "supervised_loss", "supervised_weight"} | SEMI[config] \
        <= set(results)
    assert np.isfinite(results["supervised_loss"])
    record = results["labelled_set"]
    assert record["num_labelled"] == 12 and record["num_train"] == 11
    assert np.array(record["factors"]).shape == (12, 2)
    assert os.path.exists(tmp_path / "m" / "saved_model" / "saved_model.pb")


def test_weak_and_semi_models_are_scored_by_bin_evaluate(tmp_path):
    for config in ("ada_gvae", "s2_beta_vae"):
        model_dir = tmp_path / config
        trained(model_dir, config)
        out = tmp_path / (config + "_scores")
        scored = run_bin("evaluate", "--model_dir=%s" % model_dir,
                         "--gin_config=gin_configs/metrics/mig.gin",
                         "--gin_bindings=mig.num_train = 160", "--output_dir=%s" % out)
        assert scored.returncode == 0, scored.stderr[-3000:]
        with open(out / "results" / "json" / "evaluation_results.json") as f:
            assert 0.0 <= json.load(f)["discrete_mig"] <= 1.0


def test_the_supervision_loss_falls_on_a_short_run(tmp_path):
    results = trained(tmp_path / "m", "s2_supervised", "model.training_steps = 150",
                      "semi_supervised.loss = @supervised_l2()",
                      "optimizer.learning_rate = 0.003", "model.log_every = 10")
    values = []
    for path in glob.glob(str(tmp_path / "m" / "logs" / "events.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            values += [(event.step, float(tf.make_ndarray(v.tensor)))
                       for v in event.summary.value if v.tag == "train/supervised_loss"]
    values = [v for _, v in sorted(values)]
    assert len(values) >= 10 and np.mean(values[-3:]) < 0.3 * np.mean(values[:2]), values
    assert results["steps"] == 150


@pytest.mark.parametrize("binding,message", [
    ("weak_pairs.k = 3", "pairs can differ in 1 to 2 factors"),
    ("semi_supervised.num_labelled = 17", "num_labelled = 17, but the dataset has 16"),
    ("semi_supervised.loss = @supervised_hinge()", "supervised_hinge"),
])
def test_bad_supervision_settings_are_one_line(tmp_path, binding, message):
    config = "ada_gvae" if binding.startswith("weak") else "s2_beta_vae"
    result = run_bin("train", "--gin_config=gin_configs/%s.gin" % config,
                     *["--gin_bindings=%s" % b for b in TINY + [binding]],
                     "--model_dir=%s" % (tmp_path / "m"))
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error:") and message in last, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
