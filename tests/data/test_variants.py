"""color_sprites, noisy_sprites, scream_sprites over procedural binary datasets."""

import numpy as np
import pytest

from tfdisent import data as datasets
from tfdisent.data.procedural import variants


@pytest.fixture(scope="module")
def masks_and_factors():
    sprites = datasets.get("sprites")
    factors = sprites.sample_factors(16, np.random.RandomState(0))
    return sprites.observations_from_factors_uint8(factors)[..., 0].astype(bool), factors


def observe(name, factors, seed=0, **options):
    data = datasets.get(name, **options)
    return data, data.sample_observations_from_factors(factors, np.random.RandomState(seed))


@pytest.mark.parametrize("name", ["color_sprites", "noisy_sprites", "scream_sprites"])
def test_variant_keeps_factors_and_is_seeded(name, masks_and_factors):
    _, factors = masks_and_factors
    data, images = observe(name, factors)
    assert data.factors_num_values == [3, 6, 40, 32, 32]
    assert data.factor_names == datasets.get("sprites").factor_names
    assert data.observation_shape == (64, 64, 3)
    assert images.shape == (16, 64, 64, 3) and images.dtype == np.float32
    assert images.min() >= 0.0 and images.max() <= 1.0
    np.testing.assert_array_equal(observe(name, factors)[1], images)
    assert not np.array_equal(observe(name, factors, seed=1)[1], images)
    raw = data.observations_from_factors_uint8(factors, np.random.RandomState(0))
    assert raw.dtype == np.uint8
    np.testing.assert_allclose(raw / 255.0, images, atol=0.5 / 255 + 1e-6)


def test_color_sprites(masks_and_factors):
    masks, factors = masks_and_factors
    images = observe("color_sprites", factors)[1]
    assert (images[~masks] == 0).all()
    for image, mask in zip(images, masks):
        colours = np.unique(image[mask], axis=0)
        assert len(colours) == 1  # one colour per image ...
        assert (colours >= 0.5).all()  # ... from U(0.5, 1)^3
    assert len(np.unique(images.max(axis=(1, 2)), axis=0)) == 16


def test_noisy_sprites(masks_and_factors):
    masks, factors = masks_and_factors
    images = observe("noisy_sprites", factors)[1]
    assert (images[masks] == 1.0).all()
    background = images[~masks]
    assert background.mean() == pytest.approx(0.5, abs=0.01)
    assert background.std() == pytest.approx(np.sqrt(1 / 12), abs=0.01)


def test_scream_sprites_follow_the_inversion_rule(masks_and_factors):
    """Off the sprite, 2 * image - crop is one tint per image and channel in
    [0, 1]; on the sprite, image = 1 - (crop + tint) / 2, for a crop of the
    texture found by matching."""
    masks, factors = masks_and_factors
    images = observe("scream_sprites", factors)[1].astype(np.float64)
    texture = variants.swirl_texture(np.random.RandomState(0)) / np.float32(255.0)
    texture = texture.astype(np.float32).astype(np.float64)
    for image, mask in zip(images[:4], masks[:4]):
        # Locate the crop: at the right offset, 2 * image - texture is the same
        # tint at every off-sprite pixel.
        pixels = np.argwhere(~mask)[::97]
        offsets = np.mgrid[0:274 - 64, 0:350 - 64].reshape(2, -1, 1)
        tints = 2 * image[pixels[:, 0], pixels[:, 1]] - texture[
                offsets[0] + pixels[:, 0], offsets[1] + pixels[:, 1]]  # [offsets, pixels, 3]
        top, left = offsets[:, tints.var(axis=1).sum(axis=-1).argmin(), 0]
        crop = texture[top:top + 64, left:left + 64]
        tint = 2 * image[~mask] - crop[~mask]
        np.testing.assert_allclose(tint, np.broadcast_to(tint[0], tint.shape), atol=1e-5)
        assert (tint[0] >= 0).all() and (tint[0] <= 1).all()
        np.testing.assert_allclose(image[mask], 1 - (crop[mask] + tint[0]) / 2, atol=1e-5)


def test_swirl_texture_is_fixed_and_structured():
    texture = variants.swirl_texture(np.random.RandomState(0))
    assert texture.shape == (274, 350, 3) and texture.dtype == np.uint8
    np.testing.assert_array_equal(texture, variants.swirl_texture(np.random.RandomState(0)))
    assert texture.std() > 40  # uses the colour range
    # Smooth: neighbouring pixels are far closer than random pixel pairs.
    neighbour = np.abs(np.diff(texture.astype(int), axis=1)).mean()
    shuffled = np.random.RandomState(0).permutation(texture.reshape(-1, 3)).astype(int)
    assert neighbour < np.abs(np.diff(shuffled, axis=0)).mean() / 5


def test_variant_over_another_binary_dataset():
    data = datasets.get("color_sprites", base="xy_square", num_positions=4)
    assert data.factors_num_values == [4, 4]
    images = data.sample_observations(5, np.random.RandomState(0))
    assert images.shape == (5, 64, 64, 3)
    assert ((images > 0).all(axis=-1).sum(axis=(1, 2)) == 64).all()


def test_variant_rejects_colour_base():
    with pytest.raises(ValueError, match="1-channel"):
        datasets.get("noisy_sprites", base="shapes3d")
