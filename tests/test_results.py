"""disentanglement_lib's results scheme: files, key namespacing, carry-forward."""

import json
import math
import os

import gin
import numpy as np
import pytest

from tfdisent import results

TRAIN_GIN = """# Parameters for dataset:
# ==============================================================================
dataset.name = 'sprites'

# Parameters for model:
# ==============================================================================
model.random_seed = 3
vae.beta = 4.0
"""


def _read(path):
    with open(path) as f:
        return f.read()


def test_step_writes_gin_config_results_and_aggregate(tmp_path):
    scores = {"loss": np.float32(1.5), "steps": np.int64(7), "ok": np.bool_(True),
              "matrix": np.eye(2), "nan": float("nan")}
    aggregate = results.update_result_directory(str(tmp_path), "train", scores,
                                                operative_gin=TRAIN_GIN)

    assert _read(tmp_path / "gin" / "train.gin") == TRAIN_GIN
    config = json.loads(_read(tmp_path / "json" / "train_config.json"))
    assert config == {"dataset.name": "'sprites'", "model.random_seed": "3",
                      "vae.beta": "4.0"}
    written = json.loads(_read(tmp_path / "json" / "train_results.json"))
    assert written["loss"] == 1.5 and written["steps"] == 7 and written["ok"] is True
    assert written["matrix"] == [[1.0, 0.0], [0.0, 1.0]]
    assert math.isnan(written["nan"])
    assert len(written["uuid"]) == 36
    assert "uuid" not in scores  # the caller's dict is left alone
    on_disk = results.load_aggregate(str(tmp_path / "aggregate" / "train.json"))
    assert on_disk.keys() == aggregate.keys()
    assert aggregate["train_config.dataset.name"] == "'sprites'"
    assert aggregate["train_results.steps"] == 7
    assert aggregate["train_results.uuid"] == written["uuid"]


def test_next_step_carries_the_previous_results_forward(tmp_path):
    model_results = str(tmp_path / "model" / "results")
    results.update_result_directory(model_results, "train", {"loss": 2.0},
                                    operative_gin=TRAIN_GIN)
    out = str(tmp_path / "eval" / "results")
    aggregate = results.update_result_directory(
            out, "evaluation", {"discrete_mig": 0.25}, old_result_dir=model_results,
            operative_gin="evaluation.evaluation_fn = @mig\n")

    assert sorted(os.listdir(os.path.join(out, "json"))) == [
            "evaluation_config.json", "evaluation_results.json",
            "train_config.json", "train_results.json"]
    assert os.path.isfile(os.path.join(out, "gin", "train.gin"))
    assert os.path.isfile(os.path.join(out, "aggregate", "train.json"))
    assert aggregate["train_results.loss"] == 2.0
    assert aggregate["train_config.vae.beta"] == "4.0"
    assert aggregate["evaluation_config.evaluation.evaluation_fn"] == "@mig"
    assert aggregate["evaluation_results.discrete_mig"] == 0.25
    assert results.load_aggregate(out) == aggregate  # a directory reads evaluation.json
    assert not os.path.exists(os.path.join(model_results, "json",
                                           "evaluation_results.json"))


def test_missing_previous_results_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no results directory"):
        results.update_result_directory(str(tmp_path / "out"), "evaluation", {},
                                        old_result_dir=str(tmp_path / "none"),
                                        operative_gin="")


def test_gin_config_to_dict_joins_wrapped_values_and_skips_comments():
    text = ("import tfdisent.models\n"
            "# Parameters for dt:\n"
            "dt.num_train = \\\n    [10,\n     100,\n     1000]\n"
            "dt.name = 'a # b = c'\n"
            "dt.fn = @vae()\n")
    assert results.gin_config_to_dict(text) == {
            "dt.num_train": "[10, 100, 1000]", "dt.name": "'a # b = c'",
            "dt.fn": "@vae()"}


def test_gin_config_to_dict_reads_gins_own_operative_config():
    @gin.configurable("results_test")
    def configured(num_train=(1,), name="x"):
        return num_train, name

    gin.clear_config()
    try:
        gin.parse_config("results_test.num_train = [%s]\nresults_test.name = 'n'"
                         % ", ".join(str(10 ** i) for i in range(12)))
        configured()
        parsed = results.gin_config_to_dict(gin.operative_config_str())
    finally:
        gin.clear_config()
    assert parsed["results_test.name"] == "'n'"
    assert eval(parsed["results_test.num_train"]) == [10 ** i for i in range(12)]


def test_load_aggregate_names_the_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="evaluation.json"):
        results.load_aggregate(str(tmp_path))
