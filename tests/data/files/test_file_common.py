"""Data root resolution, one-line file errors and the uint8 array helpers."""


import h5py
import numpy as np
import pytest

from tfdisent.data import registry
from tfdisent.data.files import arrays, common
from tfdisent.data.files.indexed import IndexedImages, full_grid_lookup, grid_in_c_order
from tfdisent.data.ground_truth import StateSpace, all_factor_rows


def test_data_root_prefers_option_then_env_then_local_data(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(common.DATA_ENV, raising=False)
    assert common.data_root() == str(tmp_path / "data")
    monkeypatch.setenv(common.DATA_ENV, str(tmp_path / "env"))
    assert common.data_root() == str(tmp_path / "env")
    assert common.data_root(str(tmp_path / "opt")) == str(tmp_path / "opt")


def test_find_file_returns_first_existing_and_fails_in_one_line(tmp_path):
    present = tmp_path / "b.h5"
    present.write_bytes(b"x")
    absent = str(tmp_path / "a.npz")
    assert common.find_file([absent, str(present)], "Thing", "example.org") == str(present)
    with pytest.raises(FileNotFoundError) as error:
        common.require_file(absent, "Thing", "example.org/thing")
    message = str(error.value)
    assert "\n" not in message and absent in message and "example.org/thing" in message


def test_malformed_is_one_line_value_error_naming_file():
    error = common.malformed("/x/y.npz", "Thing", "example.org", "bad keys")
    assert isinstance(error, ValueError)
    assert "/x/y.npz" in str(error) and "bad keys" in str(error) and "\n" not in str(error)


@pytest.mark.parametrize("save, mapped", [(np.savez, True), (np.savez_compressed, False)])
def test_npz_member_is_memory_mapped_only_when_stored(tmp_path, save, mapped):
    path = str(tmp_path / "a.npz")
    images = np.arange(5 * 4 * 3, dtype=np.uint8).reshape(5, 4, 3)
    save(path, labels=np.arange(5), images=images)
    loaded = arrays.load_npz_array(path, "images")
    assert isinstance(loaded, np.memmap) == mapped
    assert loaded.dtype == np.uint8
    np.testing.assert_array_equal(loaded, images)
    assert sorted(arrays.npz_keys(path)) == ["images", "labels"]


def test_read_rows_from_hdf5_keeps_order_and_duplicates(tmp_path):
    data = np.arange(10 * 3, dtype=np.uint8).reshape(10, 3)
    with h5py.File(tmp_path / "a.h5", "w") as f:
        f.create_dataset("x", data=data, chunks=(2, 3), compression="gzip")
    rows = np.array([7, 2, 7, 0, 9, 3, 8, 1, 5])  # runs 0-3 and 7-9 read as slices
    with h5py.File(tmp_path / "a.h5", "r") as f:
        np.testing.assert_array_equal(arrays.read_rows(f["x"], rows), data[rows])
        assert arrays.read_rows(f["x"], []).shape == (0, 3)
        full = arrays.read_all(f["x"])
    assert full.dtype == np.uint8
    np.testing.assert_array_equal(full, data)


def test_resize_images_keeps_constant_images_and_uint8():
    images = np.stack([np.full((96, 96), v, np.uint8) for v in (0, 17, 255)])
    small = arrays.resize_images(images, 64)
    assert small.shape == (3, 64, 64) and small.dtype == np.uint8
    np.testing.assert_array_equal(small[:, 5, 7], [0, 17, 255])


def test_grid_checks():
    rows = all_factor_rows([2, 3])
    assert grid_in_c_order(rows, [2, 3])
    assert not grid_in_c_order(rows[::-1], [2, 3])
    lookup = full_grid_lookup(rows[::-1])
    np.testing.assert_array_equal(lookup.features_to_index([[0, 0], [1, 2]]), [5, 0])
    assert full_grid_lookup(rows[1:]) is None  # a hole
    assert full_grid_lookup(np.concatenate([rows[:1], rows[:-1]])) is None  # a duplicate


def test_indexed_images_hides_nuisance_factors_and_scales():
    sizes = [2, 3, 2]
    images = np.arange(12, dtype=np.uint8)[:, None, None] * np.ones((1, 2, 2), np.uint8)
    data = IndexedImages("t", images, StateSpace(sizes), ["a", "c"], [0, 2], uint8_scale=11)
    assert data.factors_num_values == [2, 2] and data.observation_shape == (2, 2, 1)
    factors = np.array([[1, 0]] * 200)
    obs = data.observations_from_factors_uint8(factors, np.random.RandomState(0))
    # Row = a*6 + b*2 + c with a=1, c=0: b, the nuisance, is sampled over 0..2.
    assert set(obs[:, 0, 0, 0].tolist()) == {6, 8, 10}
    floats = data.sample_observations_from_factors(factors[:3], np.random.RandomState(0))
    assert floats.dtype == np.float32 and floats.max() <= 1.0
    np.testing.assert_allclose(floats[..., 0], obs[:3, ..., 0] / 11.0, rtol=1e-6)


def test_file_datasets_are_registered_and_take_data_dir(tmp_path):
    file_datasets = ["dsprites_full", "dsprites_noshape", "color_dsprites", "noisy_dsprites",
                     "scream_dsprites", "shapes3d_file", "smallnorb", "cars3d", "mpi3d_toy",
                     "mpi3d_realistic", "mpi3d_real", "dsprites_tfds", "shapes3d_tfds",
                     "smallnorb_tfds"]
    assert set(file_datasets) <= set(registry.names())
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        registry.get("shapes3d_file", data_dir=str(tmp_path))
