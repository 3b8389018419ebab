"""shapes3d_file on a tiny 3dshapes.h5 with the public keys, dtypes and label values.

Each image stores its row index in its first pixel (low byte red, high byte green).
"""

import os

import h5py
import numpy as np
import pytest

from tfdisent.data.files import shapes3d
from tfdisent.data.ground_truth import StateSpace, all_factor_rows

SIZES = [2, 3, 2, 2, 2, 3]
# The public file's label values per factor (the tiny grid uses the first few).
VALUES = [np.linspace(0, 0.9, 10), np.linspace(0, 0.9, 10), np.linspace(0, 0.9, 10),
          np.linspace(0.75, 1.25, 8), np.arange(4.0), np.linspace(-30, 30, 15)]


def _write(root, labels=None):
    os.makedirs(root / "3dshapes", exist_ok=True)
    classes = all_factor_rows(SIZES)
    num = len(classes)
    images = np.zeros((num, 64, 64, 3), np.uint8)
    images[:, 0, 0, 0] = np.arange(num) % 256
    images[:, 0, 0, 1] = np.arange(num) // 256
    images[:, 1:, :, 2] = 200
    if labels is None:
        labels = np.column_stack([VALUES[f][classes[:, f]] for f in range(6)])
    with h5py.File(root / shapes3d.FILE, "w") as f:
        f.create_dataset("images", data=images, chunks=(8, 64, 64, 3), compression="gzip")
        f.create_dataset("labels", data=labels)


def _rows(observations_uint8):
    return (observations_uint8[:, 0, 0, 0].astype(np.int64)
            + 256 * observations_uint8[:, 0, 0, 1].astype(np.int64))


@pytest.mark.parametrize("in_memory", [False, True])
def test_factor_rows_come_back_with_their_images(tmp_path, in_memory):
    _write(tmp_path)
    data = shapes3d.shapes3d_file(data_dir=str(tmp_path), in_memory=in_memory)
    assert data.factors_num_values == SIZES
    assert data.factor_names == list(shapes3d.FACTOR_NAMES)
    assert data.observation_shape == (64, 64, 3)
    assert isinstance(data.images, h5py.Dataset) != in_memory
    assert data.images.dtype == np.uint8
    # Unsorted, with duplicates: h5py needs sorted unique rows, the loader un-sorts.
    factors = np.array([[1, 2, 1, 0, 1, 2], [0, 0, 0, 0, 0, 0], [1, 2, 1, 0, 1, 2],
                        [0, 1, 0, 1, 0, 1]])
    images = data.observations_from_factors_uint8(factors, np.random.RandomState(0))
    assert images.dtype == np.uint8
    np.testing.assert_array_equal(_rows(images), StateSpace(SIZES).features_to_index(factors))
    floats = data.sample_observations_from_factors(factors, np.random.RandomState(0))
    assert floats.dtype == np.float32
    np.testing.assert_allclose(floats[:, 5, 5, 2], 200 / 255.0, rtol=1e-6)


def test_discretize_ranks_label_values():
    values = np.array([[0.5, -30.0], [0.1, 30.0], [0.5, 0.0], [0.1, -30.0]])
    np.testing.assert_array_equal(shapes3d.discretize(values), [[1, 0], [0, 2], [1, 1], [0, 0]])


def test_missing_file_is_one_line_with_source(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        shapes3d.shapes3d_file(data_dir=str(tmp_path))
    message = str(error.value)
    assert str(tmp_path / "3dshapes" / "3dshapes.h5") in message
    assert "github.com/deepmind/3d-shapes" in message and "\n" not in message


def test_labels_out_of_grid_order_are_malformed(tmp_path):
    classes = all_factor_rows(SIZES)[::-1]
    _write(tmp_path, labels=np.column_stack([VALUES[f][classes[:, f]] for f in range(6)]))
    with pytest.raises(ValueError, match="malformed file .*3dshapes.h5"):
        shapes3d.shapes3d_file(data_dir=str(tmp_path))
    (tmp_path / shapes3d.FILE).write_bytes(b"not hdf5")
    with pytest.raises(ValueError, match="not an HDF5 file"):
        shapes3d.shapes3d_file(data_dir=str(tmp_path))
