"""`color_sprites`, `noisy_sprites`, `scream_sprites`: disentanglement_lib's
dSprites variants over a procedural binary dataset (default `sprites`).

The recolouring rules are the ones the dSprites file loaders use
(`tfdisent.data.files.sprite_variants`); `scream_sprites` replaces the painting
by a fixed procedural texture, so nothing has to be on disk. All randomness
(colours, noise, crops, tints) comes from the RandomState passed in.
"""

import numpy as np

from tfdisent.data import registry
from tfdisent.data.files import sprite_variants


def _binary_base(name, base, base_options):
    data = registry.get(base, **base_options) if isinstance(base, str) else base
    shape = tuple(data.observation_shape)
    if len(shape) != 3 or shape[-1] != 1:
        raise ValueError("%s needs a binary 1-channel image dataset as base; %r has "
                         "observations of shape %s" % (name, base, shape))
    return data


@registry.register("color_sprites")
def color_sprites(base="sprites", **base_options):
    """The sprite times one RGB colour per image drawn from U(0.5, 1)^3."""
    masks = _binary_base("color_sprites", base, base_options)
    return sprite_variants.RecolouredSprites("color_sprites", masks, sprite_variants.colour)


@registry.register("noisy_sprites")
def noisy_sprites(base="sprites", **base_options):
    """min(sprite + U(0, 1) noise per pixel and channel, 1)."""
    masks = _binary_base("noisy_sprites", base, base_options)
    return sprite_variants.RecolouredSprites("noisy_sprites", masks, sprite_variants.noise)


@registry.register("scream_sprites")
def scream_sprites(base="sprites", texture_seed=0, **base_options):
    """A random 64x64 crop of `swirl_texture`, background = (crop + U(0, 1)^3) / 2,
    sprite pixels set to 1 - background."""
    masks = _binary_base("scream_sprites", base, base_options)
    texture = swirl_texture(np.random.RandomState(texture_seed)).astype(np.float32) / 255.0
    return sprite_variants.RecolouredSprites(
            "scream_sprites", masks, sprite_variants.ScreamBackground(texture))


# Height and width of disentanglement_lib's thumbnail of The Scream.
TEXTURE_SHAPE = (274, 350)
# Cosine palette phases per channel: dark blue through teal to orange.
_PALETTE_PHASES = np.array([0.55, 0.7, 0.85])


def swirl_texture(random_state, shape=TEXTURE_SHAPE, num_waves=8):
    """A smooth, swirling colour texture, uint8 [H, W, 3]: a sum of random plane
    waves bent by a slow warp, mapped through a cosine palette."""
    rows, columns = np.mgrid[0:shape[0], 0:shape[1]].astype(np.float64)
    warp = 25.0 * np.sin(rows / 37.0 + 1.3) * np.cos(columns / 53.0)
    field = np.zeros(shape)
    for _ in range(num_waves):
        angle = random_state.uniform(0.0, np.pi)
        frequency = random_state.uniform(0.04, 0.12)
        phase = random_state.uniform(0.0, 2.0 * np.pi)
        along = rows * np.cos(angle) + (columns + warp) * np.sin(angle)
        field += np.sin(frequency * along + phase)
    field /= num_waves
    colour = 0.5 + 0.5 * np.cos(2.0 * np.pi * (field[..., None] + _PALETTE_PHASES))
    return np.round(255.0 * colour).astype(np.uint8)
