"""Correlated training factors (correlated_factors.*) and the `correlation`
dataset: the correlation measured on samples against the configured one,
evaluation data independent."""

import numpy as np
import pytest

from tfdisent.data import correlated, registry
from tfdisent.data.procedural import correlation


def scaled(values, levels):
    return values / (levels - 1)


def test_the_joint_table_is_the_formula_normalised():
    table = correlated.joint_table(4, 3, 0.3)
    assert table.sum() == pytest.approx(1.0)
    a, b = 1 / 3, 1 / 2  # values 1 of 4 and 1 of 3, scaled to [0, 1]
    ratio = table[1, 1] / table[0, 0]
    assert ratio == pytest.approx(np.exp(-(a - b) ** 2 / (2 * 0.09)))


def test_sampled_pairs_follow_the_table_and_the_rest_stays_uniform():
    data = registry.get("shapes3d")
    sampler = correlated.PairCorrelation(data, [("floor_hue", "orientation")], 0.2)
    factors = sampler(200_000, np.random.RandomState(0))
    levels = data.factors_num_values
    i, j = 0, 5
    counts = np.zeros((levels[i], levels[j]))
    np.add.at(counts, (factors[:, i], factors[:, j]), 1)
    table = correlated.joint_table(levels[i], levels[j], 0.2)
    assert np.abs(counts / len(factors) - table).max() < 0.003
    # The configured correlation (from the table) against the measured one.
    a, b = np.meshgrid(scaled(np.arange(levels[i]), levels[i]),
                       scaled(np.arange(levels[j]), levels[j]), indexing="ij")
    mean_a, mean_b = (table * a).sum(), (table * b).sum()
    expected = ((table * (a - mean_a) * (b - mean_b)).sum()
                / np.sqrt((table * (a - mean_a) ** 2).sum() * (table * (b - mean_b) ** 2).sum()))
    measured = np.corrcoef(factors[:, i], factors[:, j])[0, 1]
    assert expected > 0.5 and measured == pytest.approx(expected, abs=0.01)
    others = np.corrcoef(factors[:, [1, 2, 3, 4]].T)
    assert np.abs(others - np.eye(4)).max() < 0.01
    for k in (1, 2, 3, 4):
        shares = np.bincount(factors[:, k], minlength=levels[k]) / len(factors)
        assert np.abs(shares - 1 / levels[k]).max() < 0.005


def test_weaker_correlation_for_a_larger_sigma():
    data = registry.get("shapes3d")
    rs = np.random.RandomState(1)
    strong = correlated.PairCorrelation(data, [(0, 1)], 0.1)(50_000, rs)
    weak = correlated.PairCorrelation(data, [(0, 1)], 1.0)(50_000, rs)
    assert np.corrcoef(strong[:, 0], strong[:, 1])[0, 1] > 0.8
    assert np.corrcoef(weak[:, 0], weak[:, 1])[0, 1] < 0.3


def test_bad_pairs_are_one_clear_error():
    data = registry.get("shapes3d")
    with pytest.raises(ValueError, match="'colour' is not a factor of shapes3d"):
        correlated.PairCorrelation(data, [("colour", "shape")], 0.2)
    with pytest.raises(ValueError, match="must not share a factor"):
        correlated.PairCorrelation(data, [(0, 1), (1, 2)], 0.2)
    with pytest.raises(ValueError, match="two different factors"):
        correlated.PairCorrelation(data, [(2, 2)], 0.2)
    with pytest.raises(ValueError, match="sigma must be positive"):
        correlated.PairCorrelation(data, [(0, 1)], 0.0)
    with pytest.raises(ValueError, match="out of range"):
        correlated.PairCorrelation(data, [(0, 9)], 0.2)


def test_training_sampler_is_uniform_unless_configured():
    data = registry.get("shapes3d")
    sampler, described = correlated.training_sampler(data)
    assert described is None
    rs1, rs2 = np.random.RandomState(3), np.random.RandomState(3)
    np.testing.assert_array_equal(sampler(10, rs1), data.sample_factors(10, rs2))
    sampler, described = correlated.training_sampler(data, pairs=[("shape", "scale")],
                                                     sigma=0.4)
    assert described == {"pairs": [["shape", "scale"]], "sigma": 0.4}


def _angle_gap(factors):
    """Orientation bin centre minus the position's angle about the centre,
    wrapped to [-180, 180) degrees."""
    offset = factors[:, 1:] - 16
    position = np.degrees(np.arctan2(offset[:, 1], offset[:, 0])) + 180
    orientation = (factors[:, 0] + 0.5) * 360 / 32
    return (orientation - position + 180) % 360 - 180


def test_correlation_trains_on_correlated_factors_and_evaluates_on_independent_ones():
    data = registry.get("correlation")
    train = data.sample_training_factors(100_000, np.random.RandomState(0))
    gap = _angle_gap(train)
    # N(0, 45 degrees) noise plus the binning's uniform error (std 3.2).
    assert abs(gap.mean()) < 1.0 and 43 < gap.std() < 47.5
    uniform = data.sample_factors(100_000, np.random.RandomState(0))
    assert 100 < _angle_gap(uniform).std() < 108  # uniform on the circle: 103.9
    for factors in (train, uniform):
        assert factors.min() == 0 and factors.max() == 31


def test_correlation_images_place_and_rotate_the_triangle():
    data = registry.get("correlation")
    factors = np.array([[8, 0, 0], [8, 31, 31], [16, 5, 9]])
    images = data.observations_from_factors_uint8(factors, None)
    assert images.shape == (3, 64, 64, 1) and images.dtype == np.uint8
    for image, (o, x, y) in zip(images[..., 0], factors):
        rows, cols = np.nonzero(image)
        assert rows.min() >= 10 + x and rows.max() <= 20 + x
        assert cols.min() >= 10 + y and cols.max() <= 20 + y
    sprites = correlation.rotated_triangles()
    # Orientation 8 is angle 0: the unrotated triangle, wide at column 0,
    # pointing right, within rows 2..8.
    rows, cols = np.nonzero(sprites[8] > 127)
    assert rows.min() >= 2 and rows.max() <= 8 and cols.min() == 0
    assert (sprites[8][:, :3] > 127).sum() > (sprites[8][:, 7:] > 127).sum()
    # A quarter turn is 8 orientations: an exact rotation of the window.
    for o in range(8):
        assert (np.array_equal(sprites[o + 8], np.rot90(sprites[o]))
                or np.array_equal(sprites[o + 8], np.rot90(sprites[o], -1)))
    turn = np.rot90(sprites[0]), np.rot90(sprites[0], -1)
    direction = 1 if np.array_equal(sprites[8], turn[0]) else -1
    for o in range(24):
        assert np.array_equal(sprites[o + 8], np.rot90(sprites[o], direction))


def test_training_draws_correlated_factors_and_records_them(tmp_path):
    import json
    from tests import tiny_training
    from tests.subprocess_utils import run_bin
    done = run_bin("train", *tiny_training.flags(
        "model.training_steps = 4", "correlated_factors.pairs = [(0, 1)]",
        "correlated_factors.sigma = 0.1"), "--model_dir=%s" % (tmp_path / "model"))
    assert done.returncode == 0, done.stderr[-2000:]
    with open(tmp_path / "model" / "results" / "json" / "train_results.json") as f:
        recorded = json.load(f)["training_factors"]
    assert recorded == {"pairs": [["position_x", "position_y"]], "sigma": 0.1}
    bad = run_bin("train", *tiny_training.flags(
        "model.training_steps = 4", "correlated_factors.pairs = [('hue', 0)]"),
        "--model_dir=%s" % (tmp_path / "bad"))
    last = bad.stderr.strip().splitlines()[-1]
    assert bad.returncode != 0 and "'hue' is not a factor of xy_square" in last


def test_the_training_pipeline_draws_from_the_sampler():
    from tfdisent.data import pipelines
    data = registry.get("xy_square", num_positions=16, image_size=32, square_size=4)
    sampler, _ = correlated.training_sampler(data, pairs=[(0, 1)], sigma=0.1)
    batches = pipelines.image_batches(data, 512, seed=3, with_factors=True,
                                      factor_sampler=sampler)
    factors = np.concatenate([f.numpy() for _, f in batches.take(4)])
    assert np.corrcoef(factors[:, 0], factors[:, 1])[0, 1] > 0.8
    plain = pipelines.image_batches(data, 512, seed=3, with_factors=True)
    factors = np.concatenate([f.numpy() for _, f in plain.take(4)])
    assert abs(np.corrcoef(factors[:, 0], factors[:, 1])[0, 1]) < 0.1
