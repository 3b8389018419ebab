"""dSprites loaders on tiny files in the public .npz and .hdf5 formats.

Each mask carries its own row index in binary on its first pixel row, so a
test can tell exactly which stored image came back.
"""

import os

import h5py
import numpy as np
import pytest
from PIL import Image

from tfdisent.data.files import dsprites, sprite_variants
from tfdisent.data.ground_truth import StateSpace, all_factor_rows

SIZES = [1, 2, 3, 4, 2, 2]  # color, shape, scale, orientation, posX, posY
BITS = 8


def _masks():
    num = int(np.prod(SIZES))
    imgs = np.zeros((num, 64, 64), np.uint8)
    imgs[:, 0, :BITS] = (np.arange(num)[:, None] >> np.arange(BITS)) & 1
    imgs[:, 20:40, 20:40] = 1  # the "sprite"
    return imgs


def _decode_rows(observations):
    bits = np.round(observations[:, 0, :BITS, 0]).astype(np.int64)
    return bits @ (1 << np.arange(BITS))


def _write(root, form):
    os.makedirs(root / "dsprites", exist_ok=True)
    classes = all_factor_rows(SIZES)
    path = str(root / dsprites.BASENAME) + "." + form
    if form == "npz":
        metadata = {"latents_sizes": np.array(SIZES),
                    "latents_names": dsprites.ALL_FACTOR_NAMES}
        np.savez_compressed(path, imgs=_masks(), latents_classes=classes,
                            latents_values=classes.astype(np.float64),
                            metadata=np.array(metadata, dtype=object))
    else:
        with h5py.File(path, "w") as f:
            f.create_dataset("imgs", data=_masks(), chunks=(4, 64, 64), compression="gzip")
            f.create_dataset("latents/classes", data=classes)
            f.create_dataset("latents/values", data=classes.astype(np.float64))
    return path


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    path = tmp_path_factory.mktemp("data")
    _write(path, "npz")
    return path


@pytest.mark.parametrize("form, in_memory", [("npz", False), ("hdf5", False), ("hdf5", True)])
def test_full_returns_the_image_of_each_factor_row(tmp_path, form, in_memory):
    _write(tmp_path, form)
    data = dsprites.dsprites_full(data_dir=str(tmp_path), in_memory=in_memory)
    assert data.factors_num_values == SIZES[1:]
    assert data.factor_names == ["shape", "scale", "orientation", "posX", "posY"]
    assert data.observation_shape == (64, 64, 1)
    assert isinstance(data.images, h5py.Dataset) == (form == "hdf5" and not in_memory)
    assert data.images.dtype == np.uint8
    factors, observations = data.sample(50, np.random.RandomState(1))
    rows = StateSpace(SIZES).features_to_index(np.column_stack([np.zeros(50, int), factors]))
    np.testing.assert_array_equal(_decode_rows(observations), rows)
    assert observations.dtype == np.float32
    assert set(np.unique(observations).tolist()) == {0.0, 1.0}  # uint8_scale 1


def test_noshape_samples_the_hidden_shape(root):
    data = dsprites.dsprites_noshape(data_dir=str(root))
    assert data.factors_num_values == SIZES[2:]
    factors = np.tile([[2, 3, 1, 0]], (40, 1))
    rows = _decode_rows(data.sample_observations_from_factors(factors, np.random.RandomState(0)))
    all_factors = StateSpace(SIZES).index_to_features(rows)
    np.testing.assert_array_equal(all_factors[:, 2:], factors)
    assert set(all_factors[:, 1].tolist()) == {0, 1}


def test_missing_file_names_both_forms_and_source(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        dsprites.dsprites_full(data_dir=str(tmp_path))
    message = str(error.value)
    assert "\n" not in message and dsprites.SOURCE in message
    assert str(tmp_path / dsprites.BASENAME) + ".npz" in message and ".hdf5" in message


def test_shuffled_or_foreign_file_is_malformed(tmp_path):
    path = _write(tmp_path, "npz")
    classes = all_factor_rows(SIZES)[::-1]
    np.savez_compressed(path, imgs=_masks(), latents_classes=classes)
    with pytest.raises(ValueError, match="C-order grid"):
        dsprites.dsprites_full(data_dir=str(tmp_path))
    with open(path, "wb") as f:
        f.write(b"not a zip")
    with pytest.raises(ValueError, match="malformed file .*npz"):
        dsprites.dsprites_full(data_dir=str(tmp_path))


def test_color_dsprites_colours_the_sprite_only(root):
    data = dsprites.color_dsprites(data_dir=str(root))
    assert data.observation_shape == (64, 64, 3)
    assert data.factors_num_values == SIZES[1:]
    factors = data.sample_factors(30, np.random.RandomState(0))
    observations = data.sample_observations_from_factors(factors, np.random.RandomState(1))
    assert observations.dtype == np.float32 and observations.shape == (30, 64, 64, 3)
    np.testing.assert_array_equal(observations[:, 50:, 50:], 0.0)  # background stays black
    sprite = observations[:, 20:40, 20:40]
    assert np.all(sprite >= 0.5) and np.all(sprite <= 1.0)
    np.testing.assert_array_equal(sprite, np.broadcast_to(sprite[:, :1, :1], sprite.shape))
    as_uint8 = data.observations_from_factors_uint8(factors, np.random.RandomState(1))
    assert as_uint8.dtype == np.uint8
    np.testing.assert_allclose(as_uint8 / 255.0, observations, atol=0.5 / 255 + 1e-6)


def test_noisy_dsprites_keeps_sprite_white_on_noise(root):
    observations = dsprites.noisy_dsprites(data_dir=str(root)).sample_observations(
        20, np.random.RandomState(0))
    np.testing.assert_array_equal(observations[:, 20:40, 20:40], 1.0)
    background = observations[:, 45:, 45:]
    assert 0.0 <= background.min() and background.max() < 1.0 and background.std() > 0.2


def test_scream_needs_the_painting(root):
    with pytest.raises(FileNotFoundError) as error:
        dsprites.scream_dsprites(data_dir=str(root))
    assert os.path.join("scream", "scream.jpg") in str(error.value)
    assert "\n" not in str(error.value)


def test_scream_dsprites_loads_thumbnail_of_painting(tmp_path):
    _write(tmp_path, "npz")
    os.makedirs(tmp_path / "scream")
    rng = np.random.RandomState(0)
    Image.fromarray(rng.randint(0, 256, (300, 400, 3)).astype(np.uint8)).save(
        tmp_path / "scream" / "scream.jpg")
    data = dsprites.scream_dsprites(data_dir=str(tmp_path))
    # thumbnail((350, 274)) of a 400x300 image: scale 0.875, height round(262.5).
    assert data.recolour.painting.shape == (263, 350, 3)
    observations = data.sample_observations(4, rng)
    assert observations.shape == (4, 64, 64, 3) and observations.dtype == np.float32
    assert 0.0 <= observations.min() and observations.max() <= 1.0


def test_scream_background_is_tinted_crop_with_inverted_sprite():
    rng = np.random.RandomState(3)
    painting = rng.uniform(size=(67, 70, 3)).astype(np.float32)
    masks = np.zeros((6, 64, 64, 1), np.float32)
    masks[:, 10:30, 5:25] = 1.0
    out = sprite_variants.ScreamBackground(painting)(masks, rng)
    sprite = masks[..., 0] == 1
    for image in out:
        # Some offset (top < 3, left < 6, as randint(0, size - 64)) and tint explain it.
        found = False
        for top in range(3):
            for left in range(6):
                crop = painting[top:top + 64, left:left + 64]
                background = np.where(sprite[0][..., None], 1.0 - image, image)
                tint = 2.0 * background - crop
                if np.allclose(tint, tint[:1, :1], atol=1e-5):
                    assert np.all((tint[0, 0] >= 0) & (tint[0, 0] <= 1))
                    found = True
        assert found
