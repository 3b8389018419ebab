"""MPI3D loaders on tiny .npz files with the public key (``images`` uint8 NHWC).

Each image stores its row index in its first pixel.
"""

import os

import numpy as np
import pytest

from tfdisent.data.files import mpi3d
from tfdisent.data.ground_truth import StateSpace

SIZES = [2, 2, 1, 1, 3, 2, 3]


def _write(root, variant, save=np.savez, num=None):
    num = int(np.prod(SIZES)) if num is None else num
    images = np.zeros((num, 64, 64, 3), np.uint8)
    images[:, 0, 0, 0] = np.arange(num)
    images[:, 1:, :, 1] = 77
    os.makedirs(root / variant, exist_ok=True)
    save(str(root / variant / (variant + ".npz")), images=images)


@pytest.mark.parametrize("variant, save, mapped", [
    ("mpi3d_toy", np.savez, True), ("mpi3d_realistic", np.savez_compressed, False),
    ("mpi3d_real", np.savez, True)])
def test_factor_rows_come_back_with_their_images(tmp_path, variant, save, mapped):
    _write(tmp_path, variant, save)
    data = getattr(mpi3d, variant)(data_dir=str(tmp_path), factor_sizes=SIZES)
    assert data.name == variant
    assert data.factors_num_values == SIZES and len(data.factor_names) == 7
    assert data.observation_shape == (64, 64, 3)
    assert isinstance(data.images, np.memmap) == mapped and data.images.dtype == np.uint8
    factors, observations = data.sample(30, np.random.RandomState(0))
    images = data.observations_from_factors_uint8(factors, np.random.RandomState(0))
    assert type(images) is np.ndarray and images.dtype == np.uint8
    np.testing.assert_array_equal(images[:, 0, 0, 0], StateSpace(SIZES).features_to_index(factors))
    assert observations.dtype == np.float32
    np.testing.assert_allclose(observations[:, 3, 3, 1], 77 / 255.0, rtol=1e-6)


def test_grid_is_inferred_from_the_public_image_counts():
    assert mpi3d.grid_for(1036800) == [6, 6, 2, 3, 3, 40, 40]
    assert mpi3d.grid_for(460800) == [4, 4, 2, 3, 3, 40, 40]
    assert mpi3d.grid_for(1000) is None


def test_image_count_that_fits_no_grid_is_malformed(tmp_path):
    _write(tmp_path, "mpi3d_toy", num=10)
    with pytest.raises(ValueError, match="10 images do not fill the factor grid"):
        mpi3d.mpi3d_toy(data_dir=str(tmp_path))
    with pytest.raises(ValueError, match="malformed file .*mpi3d_toy.npz"):
        mpi3d.mpi3d_toy(data_dir=str(tmp_path), factor_sizes=SIZES)


def test_missing_file_is_one_line_with_source(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        mpi3d.mpi3d_real(data_dir=str(tmp_path))
    message = str(error.value)
    assert str(tmp_path / "mpi3d_real" / "mpi3d_real.npz") in message
    assert mpi3d.SOURCE in message and "\n" not in message
