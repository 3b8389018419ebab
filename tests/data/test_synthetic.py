"""xy_square, identity and dummy: the small synthetic datasets."""

import numpy as np
import pytest

from tfdisent import data as datasets
from tfdisent.data.ground_truth import all_factor_rows


def test_xy_square_draws_the_square_where_the_factors_say():
    data = datasets.get("xy_square")
    assert data.factors_num_values == [16, 16]
    assert data.factor_names == ["position_x", "position_y"]
    assert data.observation_shape == (64, 64, 1)
    factors = all_factor_rows(data.factors_num_values)
    images = data.observations_from_factors_uint8(factors)[..., 0]
    assert images.dtype == np.uint8 and set(np.unique(images)) == {0, 1}
    assert (images.sum(axis=(1, 2)) == 64).all()
    # Top-left corners on round(linspace(0, 56, 16)), x along columns.
    corners = np.array([np.argwhere(image)[0] for image in images])  # (row, column)
    expected = np.round(np.linspace(0, 56, 16)).astype(int)
    np.testing.assert_array_equal(corners[:, 1], expected[factors[:, 0]])
    np.testing.assert_array_equal(corners[:, 0], expected[factors[:, 1]])
    assert len(np.unique(images.reshape(256, -1), axis=0)) == 256


def test_xy_square_options_and_limits():
    data = datasets.get("xy_square", num_positions=5, square_size=4, image_size=16)
    assert data.factors_num_values == [5, 5] and data.observation_shape == (16, 16, 1)
    image = data.sample_observations_from_factors([[4, 0]], np.random.RandomState(0))[0, ..., 0]
    np.testing.assert_array_equal(np.argwhere(image.any(axis=0)).ravel(), [12, 13, 14, 15])
    with pytest.raises(ValueError, match="do not fit"):
        datasets.get("xy_square", num_positions=20, square_size=50)


def test_identity_observations_are_the_factors():
    data = datasets.get("identity")
    assert data.factors_num_values == [10] * 10 and data.observation_shape == (10,)
    factors, observations = data.sample(100, np.random.RandomState(0))
    assert observations.dtype == np.float32 and observations.shape == (100, 10)
    np.testing.assert_array_equal(observations, factors)
    assert set(np.unique(factors)) == set(range(10))
    small = datasets.get("identity", num_factors=3, num_values=4)
    assert small.factors_num_values == [4, 4, 4] and small.observation_shape == (3,)
    with pytest.raises(ValueError):
        datasets.get("identity", num_values=300)


def test_dummy_is_seeded_noise():
    data = datasets.get("dummy")
    assert data.factors_num_values == [5] * 10 and data.observation_shape == (64, 64, 1)
    factors = data.sample_factors(8, np.random.RandomState(0))
    first = data.sample_observations_from_factors(factors, np.random.RandomState(1))
    again = data.sample_observations_from_factors(factors, np.random.RandomState(1))
    np.testing.assert_array_equal(first, again)
    assert first.min() >= 0 and first.max() <= 1
    assert first.mean() == pytest.approx(0.5, abs=0.02)
    # Noise, not a function of the factors: the same factors give other images.
    assert not np.array_equal(first, data.sample_observations_from_factors(
            factors, np.random.RandomState(2)))
