"""The procedural dSprites grid: exact factors, determinism, geometry."""

import concurrent.futures
from unittest import mock

import numpy as np
import pytest

from tfdisent import data as datasets
from tfdisent.data import sampling
from tfdisent.data.ground_truth import StateSpace
from tfdisent.data.procedural import sprites as S

SQUARE, ELLIPSE, HEART = 0, 1, 2


@pytest.fixture(scope="module")
def sprites():
    return datasets.get("sprites")


def render(sprites, rows):
    return sprites.observations_from_factors_uint8(np.array(rows))


def bounding_box(image):
    rows = np.nonzero(image.any(axis=1))[0]
    columns = np.nonzero(image.any(axis=0))[0]
    return rows[0], rows[-1], columns[0], columns[-1]


def test_factor_grid_is_dsprites(sprites):
    assert sprites.factors_num_values == [3, 6, 40, 32, 32]
    assert sprites.factor_names == ["shape", "scale", "orientation", "position_x", "position_y"]
    assert sprites.observation_shape == (64, 64, 1)
    np.testing.assert_allclose(S.SCALES, [0.5, 0.6, 0.7, 0.8, 0.9, 1.0])
    assert S.ORIENTATIONS[0] == 0.0 and S.ORIENTATIONS[-1] == pytest.approx(2 * np.pi)
    np.testing.assert_allclose(np.diff(S.ORIENTATIONS), 2 * np.pi / 39)
    np.testing.assert_allclose(S.POSITIONS, np.arange(32) / 31)
    assert StateSpace(sprites.factors_num_values).num_states == 737280


def test_state_space_round_trip(sprites):
    space = StateSpace(sprites.factors_num_values)
    factors = sprites.sample_factors(500, np.random.RandomState(0))
    np.testing.assert_array_equal(space.index_to_features(space.features_to_index(factors)),
                                  factors)
    # First factor slowest: [0,0,0,0,1] is index 1, [1,0,0,0,0] is 6*40*32*32.
    assert space.features_to_index([[0, 0, 0, 0, 1], [1, 0, 0, 0, 0]]).tolist() == [1, 245760]


def test_binary_uint8_and_float_outputs(sprites):
    random_state = np.random.RandomState(0)
    factors = sprites.sample_factors(50, random_state)
    images = sprites.observations_from_factors_uint8(factors, random_state)
    assert images.dtype == np.uint8 and images.shape == (50, 64, 64, 1)
    assert set(np.unique(images)) == {0, 1}
    floats = sprites.sample_observations_from_factors(factors, random_state)
    assert floats.dtype == np.float32
    np.testing.assert_array_equal(floats, images.astype(np.float32))
    assert (images.reshape(50, -1).sum(axis=1) > 0).all()


def test_deterministic_bit_for_bit_whatever_the_batch(sprites):
    factors = sprites.sample_factors(64, np.random.RandomState(1))
    batch = render(sprites, factors)
    again = datasets.get("sprites").observations_from_factors_uint8(factors[::-1])[::-1]
    one_by_one = np.concatenate([render(sprites, row[None]) for row in factors[:8]])
    np.testing.assert_array_equal(batch, again)
    np.testing.assert_array_equal(batch[:8], one_by_one)


def test_axis_aligned_square_matches_pixel_centre_rule(sprites):
    """At orientation 0 a square covers exactly the pixels whose centre lies
    within half its side of the sprite centre, for every scale and position."""
    grid = np.stack(np.meshgrid(np.arange(6), np.arange(32), np.arange(32), indexing="ij"),
                    -1).reshape(-1, 3)
    factors = np.column_stack([np.zeros(len(grid), int), grid[:, 0], np.zeros(len(grid), int),
                               grid[:, 1], grid[:, 2]])
    half = S.SQUARE_HALF_SIDE * S.SCALES[grid[:, 0]]
    centre_x = S.MARGIN + S.POSITIONS[grid[:, 1]] * (64 - 2 * S.MARGIN)
    centre_y = S.MARGIN + S.POSITIONS[grid[:, 2]] * (64 - 2 * S.MARGIN)
    pixel_centres = np.arange(64) + 0.5
    in_columns = np.abs(pixel_centres - centre_x[:, None]) <= half[:, None]
    in_rows = np.abs(pixel_centres - centre_y[:, None]) <= half[:, None]
    expected = in_rows[:, :, None] & in_columns[:, None, :]
    np.testing.assert_array_equal(render(sprites, factors)[..., 0], expected)


def test_sprite_inside_canvas_at_extreme_positions(sprites):
    """Every shape x scale x orientation at the corners and edge midpoints keeps
    an empty border and the same area as at the centre (not clipped)."""
    combos = np.stack(np.meshgrid(np.arange(3), np.arange(6), np.arange(40), indexing="ij"),
                      -1).reshape(-1, 3)
    positions = [(0, 0), (0, 31), (31, 0), (31, 31), (0, 15), (31, 15), (15, 0), (15, 31)]
    centre = render(sprites, np.column_stack([combos, np.full((len(combos), 2), 15)]))
    centre_area = centre.reshape(len(combos), -1).sum(axis=1).astype(float)
    for x, y in positions:
        images = render(sprites, np.column_stack([combos, np.tile([x, y], (len(combos), 1))]))
        images = images[..., 0]
        border = np.concatenate([images[:, 0], images[:, -1], images[:, :, 0], images[:, :, -1]],
                                axis=1)
        assert not border.any(), "sprite touches the border at position %s" % ((x, y),)
        area = images.reshape(len(combos), -1).sum(axis=1)
        np.testing.assert_allclose(area, centre_area, rtol=0.2)


def test_shape_extents_within_sprite_radius():
    """SPRITE_RADIUS bounds every shape at scale 1 (and is tight for one of them)."""
    grid = np.arange(-14.0, 14.0, 0.02)
    u, v = np.meshgrid(grid, grid)
    radius = np.hypot(u, v)
    extents = [radius[inside(u, v)].max() for inside in S.INSIDE_SHAPE]
    assert max(extents) <= S.SPRITE_RADIUS
    assert max(extents) > S.SPRITE_RADIUS - 0.1
    assert S.WINDOW // 2 - 1 >= S.SPRITE_RADIUS


def test_heart_size_and_form(sprites):
    heart = render(sprites, [[HEART, 5, 0, 15, 15]])[0, ..., 0]
    top, bottom, left, right = bounding_box(heart)
    width, height = right - left + 1, bottom - top + 1
    assert 16 <= width <= 22 and 15 <= height <= 22  # a quarter to a third of 64
    # Two lobes: the top row of the heart has two separate runs of pixels.
    assert np.count_nonzero(np.diff(heart[top].astype(int)) == 1) == 2
    # The point is at the bottom: the lowest row is narrower than the widest.
    assert heart[bottom].sum() < heart.sum(axis=1).max() / 4
    small = render(sprites, [[HEART, 0, 0, 15, 15]])[0, ..., 0]
    small_width = np.ptp(np.nonzero(small.any(axis=0))[0]) + 1
    assert small_width == pytest.approx(width / 2, abs=1.5)


def test_orientation_is_counter_clockwise(sprites):
    """The heart's point (below its centre of mass at 0) moves right after a
    quarter turn counter-clockwise (index 10 = 92.3 degrees)."""
    upright, turned = render(sprites, [[HEART, 5, 0, 15, 15], [HEART, 5, 10, 15, 15]])[..., 0]
    rows, columns = np.nonzero(upright)
    assert rows.mean() < (rows.min() + rows.max()) / 2  # mass in the lobes, on top
    rows, columns = np.nonzero(turned)
    assert columns.mean() < (columns.min() + columns.max()) / 2  # point on the right
    ellipse = render(sprites, [[ELLIPSE, 5, 0, 15, 15], [ELLIPSE, 5, 10, 15, 15]])[..., 0]
    wide, tall = bounding_box(ellipse[0]), bounding_box(ellipse[1])
    assert wide[3] - wide[2] > 1.8 * (wide[1] - wide[0])
    assert tall[1] - tall[0] > 1.8 * (tall[3] - tall[2])


def test_positions_move_right_and_down(sprites):
    rows = [[ELLIPSE, 2, 7, x, y] for x, y in [(0, 0), (31, 0), (0, 31)]]
    images = render(sprites, rows)[..., 0]
    centres = [np.argwhere(image).mean(axis=0) for image in images]  # (row, column)
    assert centres[1][1] - centres[0][1] > 35 and abs(centres[1][0] - centres[0][0]) < 1
    assert centres[2][0] - centres[0][0] > 35 and abs(centres[2][1] - centres[0][1]) < 1


def _equal_pairs(images):
    flat = images.reshape(len(images), -1)
    equal = (flat[:, None] == flat[None]).all(axis=-1)
    np.fill_diagonal(equal, False)
    return np.argwhere(np.triu(equal))


def test_changing_any_factor_changes_the_image(sprites):
    """Along every factor sweep from 60 anchors, all images differ, except
    where binary rasterisation cannot resolve the change:
    - orientation 0 and 39 are the same angle (0 and 2*pi, as in dSprites), and
      the square (ellipse) repeats every 90 (180) degrees: orientations differ
      whenever the effective rotation moves the sprite's outermost point by
      at least 2.5 pixels;
    - an axis-aligned square's consecutive scales can cover the same pixel
      centres (see test_axis_aligned_square_matches_pixel_centre_rule)."""
    symmetry = np.array([np.pi / 2, np.pi, 2 * np.pi])
    radius = np.array([S.SQUARE_HALF_SIDE * np.sqrt(2), S.ELLIPSE_SEMI_AXES[0], S.SPRITE_RADIUS])
    anchors = sprites.sample_factors(60, np.random.RandomState(3))
    for anchor in anchors:
        for factor in range(5):
            images = render(sprites, sampling.single_factor_sweep(sprites, factor, anchor))
            for i, j in _equal_pairs(images):
                shape, scale = anchor[0], S.SCALES[anchor[1]]
                if factor == 2:
                    turn = abs(S.ORIENTATIONS[i] - S.ORIENTATIONS[j]) % symmetry[shape]
                    turn = min(turn, symmetry[shape] - turn)
                    assert turn * radius[shape] * scale < 2.5, (anchor, i, j)
                else:
                    assert factor == 1 and shape == SQUARE and anchor[2] in (0, 39), (
                            anchor, factor, i, j)
    same_angle = render(sprites, [[HEART, 3, 0, 7, 9], [HEART, 3, 39, 7, 9]])
    np.testing.assert_array_equal(same_angle[0], same_angle[1])


def test_bad_factors_raise(sprites):
    with pytest.raises(ValueError, match="out of range"):
        render(sprites, [[3, 0, 0, 0, 0]])
    with pytest.raises(ValueError, match="out of range"):
        render(sprites, [[0, -1, 0, 0, 0]])
    with pytest.raises(ValueError, match="shape"):
        render(sprites, [[0, 0, 0, 0]])


def rendered(factors):
    return S.render_sprites(**S.grid_parameters(factors))


def test_heart_cubes_as_products_keep_the_bits_of_powers(sprites):
    """The heart once cubed with numpy powers; random grid images, hearts
    only, keep every bit (the whole grid: bench/sprites_render.py --all)."""
    def heart_with_powers(u, v):
        unit = S.HEART_WIDTH / (2.0 * S._HEART_UNIT_HALF_WIDTH)
        x = u / unit
        y = v / unit + S._HEART_UNIT_CENTRE_Y
        return (x * x + y * y - 1.0) ** 3 <= x * x * y ** 3
    factors = sprites.sample_factors(3000, np.random.RandomState(7))
    factors[:, 0] = 2
    images = sprites.observations_from_factors_uint8(factors)
    rng = np.random.RandomState(8)
    u, v = rng.uniform(-12, 12, size=(2, 200000))
    np.testing.assert_array_equal(S._inside_heart(u, v), heart_with_powers(u, v))
    shapes = (S._inside_square, S._inside_ellipse, heart_with_powers)
    with mock.patch.object(S, "INSIDE_SHAPE", shapes):  # rendered, not from the cache
        expected = rendered(factors)
    np.testing.assert_array_equal(images, expected)


@pytest.fixture
def empty_cache(monkeypatch):
    """The process's window cache, emptied for one test (and put back)."""
    for name in ("_windows", "_ready"):
        kept = getattr(S.Sprites, name)
        monkeypatch.setattr(S.Sprites, name, np.zeros(kept.shape, kept.dtype))


def test_cached_windows_are_the_rendered_sprites(sprites, empty_cache):
    """Cold, then warm, then from four threads at once: every image is the
    one render_sprites draws."""
    batches = [sprites.sample_factors(64, np.random.RandomState(seed)) for seed in range(12)]
    for factors in batches[:4]:
        np.testing.assert_array_equal(render(sprites, factors), rendered(factors))  # cold
        np.testing.assert_array_equal(render(sprites, factors), rendered(factors))  # warm
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        images = list(pool.map(lambda f: render(sprites, f), batches[4:]))
    for factors, got in zip(batches[4:], images):
        np.testing.assert_array_equal(got, rendered(factors))


def test_a_strip_is_rendered_once(sprites, empty_cache):
    """After one image, its 31 neighbours along y come from the cache, and
    an image of another strip is rendered."""
    render(sprites, [[2, 3, 7, 5, 9]])
    assert S.Sprites._ready.sum() == 1 and S.Sprites._ready[2, 3, 7, 5]
    strip = np.column_stack([np.tile([2, 3, 7, 5], (32, 1)), np.arange(32)])
    expected = rendered(strip)
    with mock.patch.object(S, "sprite_windows", side_effect=AssertionError("rendered")):
        np.testing.assert_array_equal(render(sprites, strip), expected)
        with pytest.raises(AssertionError, match="rendered"):
            render(sprites, [[2, 3, 7, 6, 9]])


def test_precompute_fills_the_whole_cache_once(sprites, empty_cache):
    """With blank windows standing in for the rendering: 64 strips per
    render, nothing rendered twice, and later batches gather the cache."""
    def blank(shape, **_):
        return np.zeros((len(shape), S.WINDOW, S.WINDOW), bool)
    with mock.patch.object(S, "sprite_windows", side_effect=blank) as windows:
        sprites.precompute()
        calls = windows.call_count
        sprites.precompute()
        images = render(sprites, sprites.sample_factors(256, np.random.RandomState(3)))
    assert S.Sprites._ready.all() and windows.call_count == calls == 23040 // 64
    assert not images.any()
