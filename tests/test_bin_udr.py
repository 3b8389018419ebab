"""bin/udr end to end on tiny trained models: results in disentanglement_lib's
scheme, and one clear line for bad input."""

import json
import os

import pytest

from tests import tiny_training
from tests.subprocess_utils import run_bin


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("udr")
    dirs = []
    for seed in range(3):
        model_dir = str(root / ("vae%d" % seed))
        done = run_bin("train", *tiny_training.flags("model.training_steps = 30"),
                       "--seed=%d" % seed, "--model_dir=%s" % model_dir)
        assert done.returncode == 0, done.stderr[-2000:]
        dirs.append(model_dir)
    ae = str(root / "ae")
    done = run_bin("train", "--gin_config=gin_configs/ae.gin",
                   *tiny_training.flags("model.training_steps = 5",
                                        "encoder.encoder_fn = @deterministic_conv_encoder",
                                        "decoder.decoder_fn = @deconv_decoder")[1:],
                   '--gin_bindings=dataset.options = {"image_size": 64, "num_positions": 4, '
                   '"square_size": 8}', "--model_dir=%s" % ae)
    assert done.returncode == 0, done.stderr[-2000:]
    return root, dirs, ae


def test_bin_udr_scores_every_model_against_the_others(models):
    root, dirs, _ = models
    out = str(root / "out")
    done = run_bin("udr", "--model_dirs=%s" % ",".join(dirs), "--output_dir=%s" % out,
                   "--gin_bindings=udr_sklearn.num_data_points = 200")
    assert done.returncode == 0, done.stderr[-2000:]
    with open(os.path.join(out, "results", "aggregate", "evaluation.json")) as f:
        results = json.load(f)
    scores = results["evaluation_results.model_scores"]
    assert len(scores) == 3 and all(0.0 <= s <= 1.0 for s in scores)
    assert results["evaluation_results.model_dirs"] == dirs
    pairwise = results["evaluation_results.pairwise_disentanglement_scores"]
    assert [pairwise[i][i] for i in range(3)] == [[0.0]] * 3
    assert len(results["evaluation_results.raw_correlations"][0][1]) == 4  # 4 latents
    assert "train_config.dataset.name" in results  # the first model's results carried
    lines = done.stdout.strip().splitlines()
    assert lines[-1].endswith(dirs[-1]) and float(lines[-1].split()[0]) == pytest.approx(
        scores[-1], abs=1e-4)
    spearman = run_bin("udr", "--model_dirs=%s" % ",".join(dirs[:2]),
                       "--output_dir=%s" % (root / "spearman"),
                       "--gin_config=gin_configs/metrics/udr_spearman.gin",
                       "--gin_bindings=udr_sklearn.num_data_points = 200")
    assert spearman.returncode == 0, spearman.stderr[-2000:]


def test_bad_input_is_one_line_and_writes_nothing(models):
    root, dirs, ae = models
    cases = [
        (dirs[:1], "at least two --model_dirs"),
        (dirs[:1] + [ae], "codes deterministically (no 'logvar')"),
        (dirs[:1] + [str(root / "missing")], "no model directory at"),
    ]
    for model_dirs, message in cases:
        out = root / "bad"
        done = run_bin("udr", "--model_dirs=%s" % ",".join(model_dirs),
                       "--output_dir=%s" % out)
        last = done.stderr.strip().splitlines()[-1]
        assert done.returncode == 1 and last.startswith("error:") and message in last, last
        assert not out.exists()
    kept = run_bin("udr", "--model_dirs=%s" % ",".join(dirs[:2]),
                   "--output_dir=%s" % dirs[2])
    assert kept.returncode == 1 and "exists" in kept.stderr
