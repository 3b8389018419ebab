"""Traversal intervals, sweeps and cycles, and the PNG/GIF files: frames move
along an active latent and stand still along one the decoder ignores."""

import keras
import numpy as np
import pytest
from PIL import Image

from tfdisent.models import regularizers as r
from tfdisent.visualize import codes, labels, traversals
from tests.models.helpers import blobs, small_vae

ACTIVE, COLLAPSED = 0, 2


def first_dense(network):
    return next(layer for layer in network.layers if isinstance(layer, keras.layers.Dense))


def collapse_latent(model, latent, active=None, gain=20.0):
    """Zeroes the decoder's first-layer weights of `latent` (the decoder then
    ignores it) and amplifies those of `active` (so its effect is visible)."""
    layer = first_dense(model.decoder)
    kernel, bias = layer.get_weights()
    kernel[latent] = 0.0
    if active is not None:
        kernel[active] *= gain
    layer.set_weights([kernel, bias])


@pytest.fixture(scope="module")
def collapsed_model():
    model = small_vae(r.BetaVAE())
    collapse_latent(model, COLLAPSED, ACTIVE)
    return model


def test_intervals_by_hand():
    mean = np.array([[-1.0, 0.0], [1.0, 4.0]])
    logvar = np.log(np.array([[1.0, 2.0], [1.0, 2.0]]))
    gaussian = traversals.intervals(codes.EncodedData(mean, logvar, mean))
    np.testing.assert_allclose(gaussian["fixed_interval"], [[-2, 2], [-2, 2]])
    # variance = var(mean) + mean(exp(logvar)): 1 + 1 and 4 + 2.
    np.testing.assert_allclose(gaussian["conf_interval"],
                               [[-2 * np.sqrt(2), 2 * np.sqrt(2)],
                                [2 - 2 * np.sqrt(6), 2 + 2 * np.sqrt(6)]])
    np.testing.assert_allclose(gaussian["minmax_interval"], [[-1, 1], [0, 4]])
    deterministic = traversals.intervals(codes.EncodedData(mean, None, mean))
    np.testing.assert_allclose(deterministic["conf_interval"], [[-2, 2], [-2, 6]])


def test_sweep_values_span_each_interval():
    values = traversals.sweep_values(np.array([[-2.0, 2.0], [0.0, 1.0]]), 5)
    np.testing.assert_allclose(values, [[-2, -1, 0, 1, 2], [0, 0.25, 0.5, 0.75, 1]])


def test_cycle_starts_at_the_base_reaches_both_ends_and_returns():
    interval = np.array([[0.0, 1.0], [-2.0, 2.0], [3.0, 3.0]])
    cycle = traversals.cycle_values(np.array([0.5, 5.0, 3.0]), interval, 8)
    np.testing.assert_allclose(cycle[0], [0.5, 0.75, 1.0, 0.75, 0.5, 0.25, 0.0, 0.25])
    np.testing.assert_allclose(cycle[1], [2, 1, 0, -1, -2, -1, 0, 1])  # start clipped to 2
    np.testing.assert_allclose(cycle[2], 3.0)  # an empty interval stands still


def test_traversal_codes_change_one_latent_per_row():
    base = np.array([1.0, 2.0, 3.0])
    values = np.array([[10.0, 11.0], [20.0, 21.0], [30.0, 31.0]])
    swept = traversals.traversal_codes(base, values)
    assert swept.shape == (3, 2, 3)
    for j in range(3):
        np.testing.assert_array_equal(swept[j, :, j], values[j])
        others = np.delete(swept[j], j, axis=1)
        np.testing.assert_array_equal(others, np.tile(np.delete(base, j), (2, 1)))


def test_row_labels_add_a_margin_with_text():
    grid = np.full((38, 20, 1), 128, np.uint8)
    labelled = labels.annotate(grid, ["z0: KL 1.5", "z1: KL 0"], 16, 2, side="left")
    margin = labelled.shape[1] - 20
    assert labelled.shape[0] == 38 and margin > 20
    np.testing.assert_array_equal(labelled[:, margin:], grid)
    assert labelled[:, :margin].min() < 100  # dark text on white
    on_top = labels.annotate(np.zeros((20, 38, 3), np.uint8), ["a", "b"], 16, 2, side="top")
    assert on_top.shape[1:] == (38, 3) and on_top.shape[0] > 20


def _tiles(picture, margin, rows, columns, cell=16, padding=2):
    """[rows, columns, cell, cell] tiles of a labelled grid picture (L mode)."""
    grid = picture[:, margin:] if margin else picture
    return np.stack([[grid[padding + i * (cell + padding):][:cell,
                          padding + j * (cell + padding):][:, :cell]
                      for j in range(columns)] for i in range(rows)])


def test_traversal_files_move_along_active_latents_only(collapsed_model, tmp_path):
    images = blobs(16).numpy()
    encoded = codes.encode(collapsed_model, [images])
    usage = codes.latent_usage(encoded)
    paths = traversals.write_traversals(collapsed_model, encoded, usage, encoded.latent[:1],
                                        str(tmp_path), num_values=5, num_frames=6,
                                        frame_ms=50)
    assert sorted(p[len(str(tmp_path)) + 1:] for p in paths) == sorted(
            ["traversals/%s_0.png" % n for n in traversals.INTERVALS]
            + ["animated_traversals/%s_cycle0.gif" % n for n in traversals.INTERVALS])
    row = {latent: rank for rank, latent in enumerate(usage.order)}

    picture = np.asarray(Image.open(tmp_path / "traversals" / "fixed_interval_0.png"))
    height = 4 * (16 + 2) + 2
    assert picture.shape[0] == height
    margin = picture.shape[1] - (5 * (16 + 2) + 2)
    tiles = _tiles(picture, margin, 4, 5)
    assert all(np.array_equal(t, tiles[row[COLLAPSED], 0]) for t in tiles[row[COLLAPSED]])
    assert len({t.tobytes() for t in tiles[row[ACTIVE]]}) == 5

    gif = Image.open(tmp_path / "animated_traversals" / "fixed_interval_cycle0.gif")
    assert gif.n_frames == 6  # the active latent changes every frame
    frames = []
    for f in range(gif.n_frames):
        gif.seek(f)
        assert gif.info["duration"] == 50
        frames.append(np.asarray(gif.convert("L")))
    width = 4 * (16 + 2) + 2
    assert frames[0].shape[1] == width
    strip = frames[0].shape[0] - (16 + 2 + 2)
    moving = np.stack([_tiles(frame[strip:], 0, 1, 4)[0] for frame in frames])
    assert all(np.array_equal(m, moving[0, row[COLLAPSED]]) for m in moving[:, row[COLLAPSED]])
    assert len({m.tobytes() for m in moving[:, row[ACTIVE]]}) > 1
