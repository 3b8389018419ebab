"""smallnorb on tiny NORB binary matrix files (same names, magic numbers, layout).

A reduced grid (2 categories, 2 instances, 2 elevations, 3 azimuths, 2
lightings) split by instance into a training chunk (.mat) and a testing chunk
(.mat.gz, as published), rows shuffled. The left image of each pair is a
constant code naming its row; the right image is different, to catch the
wrong camera.
"""

import gzip
import os

import numpy as np
import pytest

from tfdisent.data.files import smallnorb
from tfdisent.data.ground_truth import StateSpace, all_factor_rows

SIZES = [2, 2, 2, 3, 2]  # category, instance, elevation, azimuth (halved), lighting
BYTE, INT = 507333717, 507333716


def _matrix_bytes(magic, array):
    dims = list(array.shape) + [1] * max(0, 3 - array.ndim)
    header = np.array([magic, array.ndim] + dims, dtype="<i4").tobytes()
    return header + np.ascontiguousarray(array).tobytes()


def _code(labels):
    return (StateSpace(SIZES).features_to_index(labels) * 5 + 3).astype(np.uint8)


def _write(root):
    os.makedirs(root / smallnorb.DIRECTORY, exist_ok=True)
    labels = all_factor_rows(SIZES)
    rng = np.random.RandomState(0)
    for chunk, instance, compress in zip(smallnorb.CHUNKS, (1, 0), (False, True)):
        rows = rng.permutation(labels[labels[:, 1] == instance])
        left = np.broadcast_to(_code(rows)[:, None, None], (len(rows), 96, 96))
        dat = np.stack([left, 255 - left], axis=1).astype(np.uint8)
        info = rows[:, 1:].astype("<i4")
        info[:, 2] *= 2  # stored azimuths are 0, 2, 4
        files = {"dat": _matrix_bytes(BYTE, dat),
                 "cat": _matrix_bytes(INT, rows[:, 0].astype("<i4")),
                 "info": _matrix_bytes(INT, info)}
        for kind, payload in files.items():
            path = root / smallnorb.DIRECTORY / ("%s-%s.mat" % (chunk, kind))
            if compress:
                with gzip.open(str(path) + ".gz", "wb") as f:
                    f.write(payload)
            else:
                path.write_bytes(payload)


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    path = tmp_path_factory.mktemp("data")
    _write(path)
    return path


def test_left_images_resized_and_indexed_by_factors(root):
    data = smallnorb.smallnorb(data_dir=str(root))
    assert data.factors_num_values == [2, 2, 3, 2]
    assert data.factor_names == ["category", "elevation", "azimuth", "lighting"]
    assert data.observation_shape == (64, 64, 1)
    assert data.images.dtype == np.uint8 and data.images.shape == (48, 64, 64)
    factors = np.tile([[1, 0, 2, 1]], (30, 1))
    images = data.observations_from_factors_uint8(factors, np.random.RandomState(0))
    assert images.shape == (30, 64, 64, 1) and images.dtype == np.uint8
    assert np.all(images == images[:, :1, :1])  # constant images stay constant (LANCZOS)
    codes = images[:, 0, 0, 0]
    rows = (codes.astype(np.int64) - 3) // 5
    all_factors = StateSpace(SIZES).index_to_features(rows)
    np.testing.assert_array_equal(all_factors[:, [0, 2, 3, 4]], factors)
    assert set(all_factors[:, 1].tolist()) == {0, 1}  # instance: a sampled nuisance
    floats = data.sample_observations_from_factors(factors[:2], np.random.RandomState(0))
    assert floats.dtype == np.float32 and floats.max() <= 1.0
    np.testing.assert_allclose(floats[:, 0, 0, 0] * 255.0, codes[:2], rtol=1e-5)


def test_binary_matrix_reader_parses_header_and_dtypes(tmp_path):
    values = np.arange(6, dtype="<f8").reshape(2, 3)
    path = tmp_path / "m.mat"
    path.write_bytes(_matrix_bytes(507333715, values))
    np.testing.assert_array_equal(smallnorb.read_binary_matrix(str(path)), values)
    vector = np.array([4, 1, 2], dtype="<i4")
    path.write_bytes(_matrix_bytes(INT, vector))  # ndim 1 still has 3 dims
    np.testing.assert_array_equal(smallnorb.read_binary_matrix(str(path)), vector)


def test_bad_magic_and_truncated_data_are_malformed(tmp_path):
    path = tmp_path / "m.mat"
    path.write_bytes(_matrix_bytes(123, np.zeros(3, "<i4")))
    with pytest.raises(ValueError, match="magic number 123"):
        smallnorb.read_binary_matrix(str(path))
    path.write_bytes(_matrix_bytes(INT, np.zeros(3, "<i4"))[:-4])
    with pytest.raises(ValueError, match="malformed file .*m.mat"):
        smallnorb.read_binary_matrix(str(path))


def test_missing_chunk_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        smallnorb.smallnorb(data_dir=str(tmp_path))
    message = str(error.value)
    assert "smallnorb-5x46789x9x18x6x2x96x96-training-dat.mat" in message
    assert smallnorb.SOURCE in message and "\n" not in message
