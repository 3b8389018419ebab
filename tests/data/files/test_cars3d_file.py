"""cars3d on tiny MATLAB v5 files with the public key and axis layout.

Each ``im`` is uint8 [128, 128, 3, azimuths, elevations]; every view is a
constant colour (red = car code, green = azimuth code, blue = elevation code),
and the files are written in non-sorted order to check the sorted object ids.
"""

import os

import numpy as np
import pytest
import scipy.io

from tfdisent.data.files import cars3d

AZIMUTHS, ELEVATIONS = 3, 2
CARS = {"car_c_mesh.mat": 30, "car_a_mesh.mat": 10, "car_b_mesh.mat": 20}


def _views(car_code):
    im = np.zeros((128, 128, 3, AZIMUTHS, ELEVATIONS), np.uint8)
    im[:, :, 0] = car_code
    im[:, :, 1] = (np.arange(AZIMUTHS)[:, None] * 40 + 1)
    im[:, :, 2] = (np.arange(ELEVATIONS)[None, :] * 90 + 2)
    return im


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    path = tmp_path_factory.mktemp("data")
    os.makedirs(path / "cars")
    for name, code in CARS.items():
        scipy.io.savemat(str(path / "cars" / name), {"im": _views(code)})
    (path / "cars" / "README.txt").write_text("not a car")
    return path


def test_views_indexed_by_elevation_azimuth_and_sorted_file(root):
    data = cars3d.cars3d(data_dir=str(root))
    assert data.factors_num_values == [ELEVATIONS, AZIMUTHS, 3]
    assert data.factor_names == ["elevation", "azimuth", "object_type"]
    assert data.observation_shape == (64, 64, 3)
    assert data.images.dtype == np.uint8
    factors, observations = data.sample(40, np.random.RandomState(0))
    assert observations.dtype == np.float32 and observations.shape == (40, 64, 64, 3)
    images = data.observations_from_factors_uint8(factors, np.random.RandomState(0))
    assert np.all(images == images[:, :1, :1])  # constant views stay constant
    elevation, azimuth, car = factors.T
    np.testing.assert_array_equal(images[:, 0, 0, 0], 10 * (car + 1))  # car_a, car_b, car_c
    np.testing.assert_array_equal(images[:, 0, 0, 1], azimuth * 40 + 1)
    np.testing.assert_array_equal(images[:, 0, 0, 2], elevation * 90 + 2)
    np.testing.assert_allclose(observations, images / 255.0, rtol=1e-6)


def test_missing_directory_names_pattern_and_source(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        cars3d.cars3d(data_dir=str(tmp_path))
    message = str(error.value)
    assert os.path.join(str(tmp_path), "cars", "*.mat") in message
    assert "nips2015-analogy-data" in message and "\n" not in message


def test_wrong_key_or_layout_is_malformed(tmp_path):
    os.makedirs(tmp_path / "cars")
    scipy.io.savemat(str(tmp_path / "cars" / "a.mat"), {"images": _views(1)})
    with pytest.raises(ValueError, match="malformed file .*a.mat"):
        cars3d.cars3d(data_dir=str(tmp_path))
    scipy.io.savemat(str(tmp_path / "cars" / "a.mat"), {"im": _views(1)[..., 0]})
    with pytest.raises(ValueError, match="im must be uint8"):
        cars3d.cars3d(data_dir=str(tmp_path))
