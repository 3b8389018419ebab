"""disentanglement_lib's dSprites variants (colour, noisy, scream) over any mask dataset.

Each variant wraps a dataset whose observations are binary masks [N, H, W, 1]
in {0, 1} and turns them into RGB images with the rule disentanglement_lib
uses; the factors are the mask dataset's. The variants' colours are continuous,
so the exact observations are float32 (``sample_observations_from_factors``);
``observations_from_factors_uint8`` rounds them to 1/255 steps.
"""

import numpy as np
from PIL import Image

from tfdisent.data.ground_truth import GroundTruthData

# disentanglement_lib shrinks the painting with thumbnail((350, 274)).
SCREAM_THUMBNAIL = (350, 274)


class RecolouredSprites(GroundTruthData):
    """A mask dataset recoloured by `recolour(masks [N,H,W,1] float32, random_state)`."""

    uint8_scale = 255.0

    def __init__(self, name, masks, recolour):
        self.name = name
        self.masks = masks
        self.recolour = recolour

    @property
    def factors_num_values(self):
        return self.masks.factors_num_values

    @property
    def factor_names(self):
        return self.masks.factor_names

    @property
    def observation_shape(self):
        return tuple(self.masks.observation_shape[:2]) + (3,)

    def sample_observations_from_factors(self, factors, random_state):
        masks = self.masks.sample_observations_from_factors(factors, random_state)
        return self.recolour(masks, random_state)

    def observations_from_factors_uint8(self, factors, random_state):
        images = self.sample_observations_from_factors(factors, random_state)
        return np.round(images * 255.0).astype(np.uint8)


def colour(masks, random_state):
    """color_dsprites: the sprite times one RGB colour per image drawn from U(0.5, 1)^3."""
    colours = random_state.uniform(0.5, 1.0, size=(len(masks), 1, 1, 3))
    return (masks * colours).astype(np.float32)


def noise(masks, random_state):
    """noisy_dsprites: ``min(sprite + U(0, 1) per pixel and channel, 1)``."""
    height, width = masks.shape[1:3]
    noise_values = random_state.uniform(0.0, 1.0, size=(len(masks), height, width, 3))
    return np.minimum(masks + noise_values, 1.0).astype(np.float32)


class ScreamBackground:
    """scream_dsprites: a random crop of the painting, tinted by ``(crop + U(0,1)^3) / 2``,
    with the sprite's pixels (mask == 1) inverted to ``1 - background``.

    Args:
        painting: float32 [H, W, 3] in [0, 1], larger than the observations.
    """

    def __init__(self, painting):
        self.painting = np.asarray(painting, dtype=np.float32)

    def __call__(self, masks, random_state):
        num, height, width = masks.shape[:3]
        # Same offsets range as disentanglement_lib: randint(0, size - crop).
        top = random_state.randint(0, self.painting.shape[0] - height, size=num)
        left = random_state.randint(0, self.painting.shape[1] - width, size=num)
        tint = random_state.uniform(0.0, 1.0, size=(num, 1, 1, 3))
        rows = (top[:, None] + np.arange(height))[:, :, None]
        cols = (left[:, None] + np.arange(width))[:, None, :]
        background = (self.painting[rows, cols] + tint) / 2.0
        return np.where(masks == 1, 1.0 - background, background).astype(np.float32)


def load_painting(path):
    """The scream painting as disentanglement_lib prepares it: RGB, thumbnail
    (350, 274) keeping the aspect ratio, float32 in [0, 1]."""
    with Image.open(path) as image:
        image = image.convert("RGB")
        image.thumbnail(SCREAM_THUMBNAIL)
        return np.asarray(image, dtype=np.float32) / 255.0
