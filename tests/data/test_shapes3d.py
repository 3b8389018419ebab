"""The procedural 3D Shapes grid: exact factors, determinism, visible factors."""

import colorsys

import numpy as np
import pytest

from tfdisent import data as datasets
from tfdisent.data import sampling
from tfdisent.data.ground_truth import StateSpace
from tfdisent.data.procedural import shapes3d as S3


@pytest.fixture(scope="module")
def shapes3d():
    return datasets.get("shapes3d")


def render(data, rows):
    return data.observations_from_factors_uint8(np.array(rows))


def test_factor_grid_is_3dshapes(shapes3d):
    assert shapes3d.factors_num_values == [10, 10, 10, 8, 4, 15]
    assert shapes3d.factor_names == ["floor_hue", "wall_hue", "object_hue", "scale", "shape",
                                     "orientation"]
    assert shapes3d.observation_shape == (64, 64, 3)
    np.testing.assert_allclose(S3.HUES, np.arange(10) / 10)
    np.testing.assert_allclose(S3.SCALES, 0.75 + np.arange(8) / 14)
    np.testing.assert_allclose(S3.AZIMUTHS_DEGREES, -30 + np.arange(15) * 60 / 14)
    assert S3.SHAPE_NAMES == ("cube", "cylinder", "sphere", "capsule")
    space = StateSpace(shapes3d.factors_num_values)
    assert space.num_states == 480000
    factors = shapes3d.sample_factors(200, np.random.RandomState(0))
    np.testing.assert_array_equal(space.index_to_features(space.features_to_index(factors)),
                                  factors)


def test_outputs_and_determinism(shapes3d):
    factors = shapes3d.sample_factors(40, np.random.RandomState(1))
    images = render(shapes3d, factors)
    assert images.dtype == np.uint8 and images.shape == (40, 64, 64, 3)
    floats = shapes3d.sample_observations_from_factors(factors, np.random.RandomState(0))
    assert floats.dtype == np.float32 and 0.0 <= floats.min() and floats.max() <= 1.0
    np.testing.assert_allclose(floats, images / 255.0, atol=1e-6)
    # A fresh instance (empty cache), another batch order: the same bits.
    fresh = datasets.get("shapes3d")
    np.testing.assert_array_equal(fresh.observations_from_factors_uint8(factors[::-1])[::-1],
                                  images)


def _hue(pixel):
    return colorsys.rgb_to_hsv(*(pixel / 255.0))[0]


def test_hues_go_where_they_belong(shapes3d):
    """Floor hue colours the bottom row, wall hue the top row, object hue the
    object at the image centre; each leaves the others' pixels alone."""
    anchor = np.array([2, 5, 8, 7, 0, 7])  # a large cube, frontal view
    base = render(shapes3d, [anchor])[0].astype(int)
    for factor, region in [(0, (63, 32)), (1, (0, 32)), (2, (34, 32))]:
        assert _hue(base[region]) == pytest.approx(S3.HUES[anchor[factor]], abs=0.02)
        changed_anchor = anchor.copy()
        changed_anchor[factor] = 6
        changed = render(shapes3d, [changed_anchor])[0].astype(int)
        assert _hue(changed[region]) == pytest.approx(0.6, abs=0.02)
        for other, other_region in [(0, (63, 32)), (1, (0, 32)), (2, (34, 32))]:
            if other != factor:
                np.testing.assert_array_equal(changed[other_region], base[other_region])


def test_scale_grows_the_object(shapes3d):
    """With the object's hue distinct from floor and walls, its pixel count
    grows with scale, for every shape."""
    rows = [[0, 3, 6, scale, shape, 7] for shape in range(4) for scale in range(8)]
    images = render(shapes3d, rows).astype(int)
    blue = (images[..., 2] > images[..., 0] + 40) & (images[..., 2] > images[..., 1] + 40)
    areas = blue.reshape(4, 8, -1).sum(axis=-1)
    assert (np.diff(areas, axis=1) > 0).all()
    assert (areas[:, -1] > 2 * areas[:, 0]).all()


def test_every_factor_change_is_visible(shapes3d):
    """Along every factor sweep from 6 anchors, any two images differ by more
    than 8/255 in at least 40 pixels."""
    anchors = shapes3d.sample_factors(6, np.random.RandomState(4))
    for anchor in anchors:
        for factor in range(6):
            images = render(shapes3d, sampling.single_factor_sweep(shapes3d, factor, anchor))
            flat = images.astype(np.int16).reshape(len(images), -1, 3)
            differs = (np.abs(flat[:, None] - flat[None]).max(axis=-1) > 8).sum(axis=-1)
            np.fill_diagonal(differs, 4096)
            assert differs.min() >= 40, (anchor, factor)


def test_bad_factors_raise(shapes3d):
    with pytest.raises(ValueError, match="out of range"):
        render(shapes3d, [[0, 0, 0, 8, 0, 0]])


def test_a_new_instance_reuses_the_views_cast_in_this_process(shapes3d, monkeypatch):
    rows = [[0, 1, 2, 3, 1, 4], [5, 5, 5, 7, 3, 14]]
    images = render(shapes3d, rows)

    def no_casting(*args):
        raise AssertionError("ray cast again")
    monkeypatch.setattr(S3, "_View", no_casting)
    np.testing.assert_array_equal(render(datasets.get("shapes3d"), rows), images)


def blended_reference(weights, factors):
    """Every pixel blended from its material weights [N, H*W, 3] and the
    image's three hues: the renderer's arithmetic before single-material
    pixels were kept per hue."""
    colours = S3.HUE_RGB[factors[:, :3]]
    images = sum(weights[:, :, m, None] * colours[:, None, m] for m in range(3))
    images = np.minimum(images * 255.0 + 0.5, 255.0).astype(np.uint8)
    return images.reshape((-1, 64, 64, 3))


def test_kept_single_material_pixels_give_the_blended_bits(shapes3d):
    factors = shapes3d.sample_factors(600, np.random.RandomState(2))
    images = render(shapes3d, factors)
    weights = S3.Shapes3D._weights[tuple(factors[:, [5, 4, 3]].T)]
    np.testing.assert_array_equal(images, blended_reference(weights, factors))
    # Most pixels come from the kept layers; the blended ones are the edges.
    mixed = [len(S3.Shapes3D._mixed[tuple(c)]) for c in factors[:, [5, 4, 3]].tolist()]
    assert 0 < np.mean(mixed) < 0.1 * 64 * 64


def test_single_material_layers_split_pixels_by_what_they_see():
    weights = np.array([[0.5, 0.0, 0.0], [0.0, 0.0, 1.0], [0.25, 0.5, 0.0]], np.float32)
    layers, mixed = S3.single_material_layers(weights)
    np.testing.assert_array_equal(mixed, [2])
    assert layers.shape == (3, 10, 9)
    red = S3.HUE_RGB[0]  # hue 0: (1, 0, 0)
    np.testing.assert_array_equal(layers[S3.FLOOR, 0, :3], np.floor(0.5 * red * 255 + 0.5))
    np.testing.assert_array_equal(layers[S3.FLOOR, 0, 3:], 0)
    np.testing.assert_array_equal(layers[S3.OBJECT, 0, 3:6], [255, 0, 0])
    assert not layers[S3.WALL].any() and not layers[:, :, 6:].any()
