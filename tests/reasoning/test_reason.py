"""bin/reason end to end: WReN on PGMs over a trained representation (looked
up by factors, and rendered and encoded: the same codes) and over the
factors (the oracle baseline); results layout, resume, one-line errors."""

import json
import os
import shutil

import gin
import numpy as np
import pytest

from tests.subprocess_utils import run_bin
from tfdisent import gin_config, train
from tfdisent.reasoning import reason

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# xy_square: 2 factors of 4 values (PGMs with 1 or 2 relations).
TINY_DATA = ['dataset.name = "xy_square"',
             'dataset.options = {"image_size": 16, "num_positions": 4, "square_size": 4}']
SMALL = ["abstract_reasoning.num_iterations = 2",
         "abstract_reasoning.training_steps_per_iteration = 3",
         "abstract_reasoning.eval_steps_per_iteration = 2",
         "abstract_reasoning.batch_size = 4", 'abstract_reasoning.pgm_type = "easy2"',
         "abstract_reasoning.edge_units = [16, 16]", "abstract_reasoning.graph_units = [8]"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    directory = str(tmp_path_factory.mktemp("reason") / "model")
    train.train_with_gin(directory, gin_config_files=[os.path.join(ROOT, "gin_configs",
                                                                   "beta_vae.gin")],
                         gin_bindings=TINY_DATA + [
                             "encoder.encoder_fn = @fc_encoder", "decoder.decoder_fn = @fc_decoder",
                             "encoder.num_latent = 4", "model.batch_size = 8",
                             "model.training_steps = 4", "model.image_every = 0",
                             "model.verbose = 0"])
    return directory


def reason_in_process(input_dir, output_dir, *bindings):
    gin.clear_config()
    try:
        gin_config.parse(["reasoning/wren.gin"], SMALL + list(bindings))
        return reason.reason(input_dir, output_dir, verbose=0)
    finally:
        gin.clear_config()


def test_looked_up_codes_equal_rendered_and_encoded_ones(model_dir):
    from tfdisent.data import registry
    from tfdisent.reasoning import pgm
    data = pgm.quantized(registry.get("xy_square", image_size=16, num_positions=4,
                                      square_size=4))
    represent = reason.representation_function(model_dir)
    table = reason.code_table(data, represent)
    factors = np.array([[0, 3], [2, 1], [3, 3]])
    images = data.sample_observations_from_factors(factors, np.random.RandomState(0))
    np.testing.assert_allclose(table[factors[:, 0] * 4 + factors[:, 1]],
                               represent(images).numpy(), rtol=1e-5, atol=1e-6)


def test_reason_writes_results_per_iteration_and_the_best(model_dir, tmp_path):
    final = reason_in_process(model_dir, str(tmp_path / "out"))
    assert set(final) >= {"step3.val.accuracy", "step6.test.loss", "best.val.accuracy",
                          "best.step", "elapsed_time"}
    assert 0.0 <= final["best.test.accuracy"] <= 1.0
    with open(tmp_path / "out" / "results" / "aggregate" / "abstract_reasoning.json") as f:
        aggregate = json.load(f)
    assert "abstract_reasoning_results.best.val.accuracy" in aggregate
    assert "train_results.steps" in aggregate  # the model's results carried forward
    with pytest.raises(FileExistsError, match="--overwrite"):
        reason_in_process(model_dir, str(tmp_path / "out"))


def test_images_and_lookup_train_the_same_model(model_dir, tmp_path):
    looked_up = reason_in_process(model_dir, str(tmp_path / "a"))
    rendered = reason_in_process(model_dir, str(tmp_path / "b"),
                                 "abstract_reasoning.lookup_codes = False")
    assert looked_up["step6.val.loss"] == pytest.approx(rendered["step6.val.loss"], rel=1e-4)


def test_a_killed_run_resumes_after_its_last_iteration(model_dir, tmp_path):
    out = str(tmp_path / "out")
    values = TINY_DATA + ['abstract_reasoning.embedding = "values"',
                          "abstract_reasoning.dropout_keep = None"]
    whole = reason_in_process(None, str(tmp_path / "whole"), *values)
    first = reason_in_process(None, out, *values, "abstract_reasoning.num_iterations = 1")
    shutil.rmtree(os.path.join(out, "results"))  # as if killed before the last iteration
    resumed = reason_in_process(None, out, *values)
    assert resumed["step3.val.loss"] == first["step3.val.loss"]
    assert resumed["step6.val.loss"] == pytest.approx(whole["step6.val.loss"], rel=1e-5)


@pytest.mark.parametrize("binding,message", [
    ('abstract_reasoning.pgm_type = "medium1"', "medium1"),
    ('abstract_reasoning.pgm_type = "easy3"', "factors"),
    ('abstract_reasoning.embedding = "pixels"', "embedding must be one of"),
])
def test_bad_settings_are_one_line_and_write_nothing(tmp_path, binding, message):
    result = run_bin("reason", "--output_dir=%s" % (tmp_path / "out"),
                     *["--gin_bindings=%s" % b for b in SMALL + TINY_DATA + [
                         'abstract_reasoning.embedding = "values"', binding]])
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error:") and message in last, result.stderr[-2000:]
    assert not os.path.exists(tmp_path / "out" / "results")


@pytest.mark.parametrize("config", ["reasoning/wren.gin", "reasoning/wren_cpu.gin"])
def test_the_reasoning_configs_parse(config):
    gin.clear_config()
    try:
        gin_config.parse([config], [])
        assert gin.query_parameter("abstract_reasoning.batch_size") == 32
    finally:
        gin.clear_config()
