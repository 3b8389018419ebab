"""Finding bin/evaluate outputs of a model and reading their scores."""

import os

import pytest

from tfdisent import results
from tfdisent.visualize import evaluations


def _evaluation(out, scores):
    path = os.path.join(out, "results", "json", "evaluation_results.json")
    results.save_json(scores, path)
    return path


def test_finds_evaluations_below_the_model_dir_only_where_they_can_be(tmp_path):
    model_dir = str(tmp_path / "model")
    mig = _evaluation(os.path.join(model_dir, "metrics", "mig"), {"discrete_mig": 0.1})
    dci = _evaluation(os.path.join(model_dir, "dci"), {"dci.disentanglement": 0.2})
    _evaluation(os.path.join(model_dir, "visualizations", "copy"), {"x": 1.0})
    results.save_json({"loss": 1.0}, os.path.join(model_dir, "results", "json",
                                                  "evaluation_results.json"))
    assert evaluations.find_results(model_dir) == sorted([mig, dci])


def test_explicit_evaluation_dirs_must_hold_results(tmp_path):
    elsewhere = str(tmp_path / "eval")
    path = _evaluation(elsewhere, {"discrete_mig": 0.1})
    assert evaluations.find_results(str(tmp_path / "model"), [elsewhere]) == [path]
    with pytest.raises(FileNotFoundError, match="not a bin/evaluate output directory"):
        evaluations.find_results(str(tmp_path / "model"), [str(tmp_path / "nothing")])


def test_scores_are_the_finite_numbers_that_are_not_bookkeeping(tmp_path):
    model_dir = str(tmp_path / "model")
    one = _evaluation(os.path.join(model_dir, "metrics", "a"), {
            "discrete_mig": 0.25, "elapsed_time": 3.0, "uuid": "u",
            "mfvm.error": "ValueError: x", "mig.elapsed_time": 1.0,
            "dci.informativeness_test": 1, "flag": True, "bad": float("nan")})
    assert evaluations.metric_scores([one], model_dir) == [
            ("dci.informativeness_test", 1.0), ("discrete_mig", 0.25)]
    other = _evaluation(str(tmp_path / "outside"), {"SAP_score": 0.5})
    assert evaluations.metric_scores([one, other], model_dir) == [
            ("metrics/a: dci.informativeness_test", 1.0), ("metrics/a: discrete_mig", 0.25),
            ("outside: SAP_score", 0.5)]
