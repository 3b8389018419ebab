"""bin/visualize's library entry point on tiny trained β-VAE, CFASL and QLAE
model directories (trained by tfdisent.train, the β-VAE also evaluated)."""

import json
import os

import numpy as np
import pytest
from PIL import Image

from tfdisent import evaluate, train
from tfdisent.visualize import codes, model as visualize_model, traversals
from tests.visualize.test_traversals import _tiles, collapse_latent

pytestmark = pytest.mark.slow  # three short trainings, an evaluation, three runs

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIGS = {"beta_vae": 10, "cfasl": 10, "qlae": 4}  # config -> training steps
SIZES = dict(num_samples=6, num_traversals=1, num_values=5, num_frames=6, num_points=300)
NUM_LATENT, CELL = 10, 64 + 2


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """{config: (model_dir, paths written)}."""
    root = tmp_path_factory.mktemp("visualize")
    made = {}
    for name, steps in CONFIGS.items():
        model_dir = str(root / name)
        train.train_with_gin(model_dir, gin_config_files=[
                os.path.join(REPO, "gin_configs", name + ".gin")], gin_bindings=[
                "model.training_steps = %d" % steps, "model.batch_size = 8",
                "model.image_every = 0", "model.verbose = 0"])
        made[name] = model_dir
    evaluate.evaluate_with_gin(
            os.path.join(made["beta_vae"], "metrics", "mig"), model_dir=made["beta_vae"],
            gin_config_files=[os.path.join(REPO, "gin_configs", "metrics", "mig.gin")],
            gin_bindings=["mig.num_train = 200"])
    return {name: (model_dir, visualize_model.visualize(model_dir, **SIZES))
            for name, model_dir in made.items()}


def _relative(run):
    model_dir, paths = run
    out = os.path.join(model_dir, "visualizations")
    return sorted(os.path.relpath(p, out) for p in paths)


def _size(path):
    with Image.open(path) as picture:
        return picture.size


def test_every_model_gets_the_common_pictures(runs):
    common = (["reconstructions/reconstructions.png", "sampled/samples.png",
               "factors/nmi_heatmap.png", "summary.json"]
              + ["factors/violins_z%d.png" % j for j in range(NUM_LATENT)]
              + ["traversals/%s_0.png" % n for n in traversals.INTERVALS]
              + ["animated_traversals/%s_cycle0.gif" % n for n in traversals.INTERVALS])
    expected = {"beta_vae": ["metrics/scores.png"], "cfasl": ["methods/cfasl_codebook.png"],
                "qlae": ["methods/qlae_codebook.png"]}
    for name, run in runs.items():
        assert _relative(run) == sorted(common + expected[name]), name
        assert all(os.path.getsize(p) > 0 for p in run[1])


def test_image_sizes(runs):
    for model_dir, _ in runs.values():
        out = os.path.join(model_dir, "visualizations")
        # 6 inputs above their 6 reconstructions; 6 samples in one row.
        assert _size(os.path.join(out, "reconstructions", "reconstructions.png")) == (
                6 * CELL + 2, 2 * CELL + 2)
        assert _size(os.path.join(out, "sampled", "samples.png")) == (6 * CELL + 2, CELL + 2)
        width, height = _size(os.path.join(out, "traversals", "conf_interval_0.png"))
        assert height == NUM_LATENT * CELL + 2 and width > 5 * CELL + 2
        with Image.open(os.path.join(out, "animated_traversals",
                                     "minmax_interval_cycle0.gif")) as gif:
            assert gif.size[0] == NUM_LATENT * CELL + 2 and gif.size[1] > CELL + 2
            durations = []
            for f in range(gif.n_frames):  # identical neighbours are merged
                gif.seek(f)
                durations.append(gif.info["duration"])
            assert 1 <= gif.n_frames <= 6 and sum(durations) == 6 * 100


def test_summary_orders_latents_by_kl_or_variance(runs):
    for name, (model_dir, _) in runs.items():
        with open(os.path.join(model_dir, "visualizations", "summary.json")) as f:
            summary = json.load(f)
        assert summary["score_name"] == ("var" if name == "qlae" else "KL")
        scores = np.array(summary["scores"])
        assert sorted(summary["order"]) == list(range(NUM_LATENT))
        assert np.all(np.diff(scores[summary["order"]]) <= 0)
        nmi = np.array(summary["nmi"])
        assert nmi.shape == (NUM_LATENT, 5) and np.all((nmi >= 0) & (nmi <= 1))
        assert summary["dataset"] == "sprites" and summary["num_points"] == 300
    assert len(json.load(open(os.path.join(runs["beta_vae"][0], "visualizations",
                                           "summary.json")))["evaluation_results"]) == 1


def test_traversals_of_a_trained_model_with_a_collapsed_latent(runs, tmp_path):
    model = visualize_model.load_model(runs["beta_vae"][0])
    collapse_latent(model, latent=3, active=7)
    data = visualize_model.training_dataset(runs["beta_vae"][0])
    images = data.sample_observations(64, np.random.RandomState(0))
    encoded = codes.encode(model, [images])
    usage = codes.latent_usage(encoded)
    traversals.write_traversals(model, encoded, usage, encoded.latent[:1], str(tmp_path),
                                num_values=5, num_frames=4)
    picture = np.asarray(Image.open(tmp_path / "traversals" / "fixed_interval_0.png"))
    picture = picture if picture.ndim == 2 else picture[..., 0]
    tiles = _tiles(picture, picture.shape[1] - (5 * CELL + 2), NUM_LATENT, 5, cell=64)
    row = {latent: rank for rank, latent in enumerate(usage.order)}
    assert all(np.array_equal(t, tiles[row[3], 0]) for t in tiles[row[3]])
    assert len({t.tobytes() for t in tiles[row[7]]}) == 5


def test_existing_output_is_kept_without_overwrite(runs):
    model_dir = runs["beta_vae"][0]
    summary = os.path.join(model_dir, "visualizations", "summary.json")
    before = os.path.getmtime(summary)
    with pytest.raises(FileExistsError, match="pass --overwrite"):
        visualize_model.visualize(model_dir, **SIZES)
    assert os.path.getmtime(summary) == before
    with pytest.raises(ValueError, match="would contain the model"):
        visualize_model.visualize(model_dir, output_dir=model_dir, overwrite=True, **SIZES)
