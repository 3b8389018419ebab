"""Small synthetic datasets for tests and sanity checks."""

import numpy as np

from tfdisent.data.ground_truth import GroundTruthData
from tfdisent.data.sampling import checked_factors
from tfdisent.data.registry import register


@register("xy_square")
class XYSquare(GroundTruthData):
    """A white square on black; factors: position x, position y.

    The square's top-left corner sits at round(linspace(0, size - square_size,
    num_positions)) along each axis. Binary uint8 {0, 1} images.
    """

    name = "xy_square"
    observations_determined_by_factors = True
    uint8_scale = 1.0

    def __init__(self, num_positions=16, square_size=8, image_size=64):
        if not 1 <= square_size <= image_size or num_positions < 1:
            raise ValueError("xy_square needs 1 <= square_size <= image_size and "
                             "num_positions >= 1")
        if num_positions > image_size - square_size + 1:
            raise ValueError("xy_square: %d positions do not fit in %d pixels"
                             % (num_positions, image_size - square_size + 1))
        self.num_positions = num_positions
        self.square_size = square_size
        self.image_size = image_size
        self.offsets = np.round(np.linspace(0, image_size - square_size, num_positions)
                                ).astype(np.int64)

    @property
    def factors_num_values(self):
        return [self.num_positions, self.num_positions]

    @property
    def factor_names(self):
        return ["position_x", "position_y"]

    @property
    def observation_shape(self):
        return (self.image_size, self.image_size, 1)

    def observations_from_factors_uint8(self, factors, random_state=None):
        factors = checked_factors(factors, self.factors_num_values)
        pixels = np.arange(self.image_size)
        left, top = self.offsets[factors[:, 0]], self.offsets[factors[:, 1]]
        in_columns = (pixels >= left[:, None]) & (pixels < left[:, None] + self.square_size)
        in_rows = (pixels >= top[:, None]) & (pixels < top[:, None] + self.square_size)
        images = in_rows[:, :, None] & in_columns[:, None, :]
        return images[..., None].astype(np.uint8)


@register("identity")
class IdentityObservations(GroundTruthData):
    """Observations are the factor vectors themselves (float32 [F]).

    disentanglement_lib's IdentityObservationsData, but with factors drawn from
    and declared as `num_values` values each (it declares 1 value per factor
    and draws 1..10). Values are stored as uint8, so num_values <= 256.
    """

    name = "identity"
    observations_determined_by_factors = True
    uint8_scale = 1.0

    def __init__(self, num_factors=10, num_values=10):
        if num_factors < 1 or not 1 <= num_values <= 256:
            raise ValueError("identity needs num_factors >= 1 and 1 <= num_values <= 256")
        self._sizes = [num_values] * num_factors

    @property
    def factors_num_values(self):
        return self._sizes

    @property
    def observation_shape(self):
        return (len(self._sizes),)

    def observations_from_factors_uint8(self, factors, random_state=None):
        return checked_factors(factors, self._sizes).astype(np.uint8)


@register("dummy")
class DummyData(GroundTruthData):
    """disentanglement_lib's dummy_data: 10 factors x 5 values, 64x64x1 images
    of uniform noise that carry no information about the factors."""

    name = "dummy"

    @property
    def factors_num_values(self):
        return [5] * 10

    @property
    def observation_shape(self):
        return (64, 64, 1)

    def observations_from_factors_uint8(self, factors, random_state):
        factors = checked_factors(factors, self.factors_num_values)
        return random_state.randint(0, 256, size=(len(factors),) + self.observation_shape
                                    ).astype(np.uint8)
