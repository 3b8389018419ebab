"""`correlation`: the synthetic dataset of DEFT's correlated-factor experiment
(erow/disentanglement_lib, data/ground_truth/correlation.py), rendered here.

Factors: orientation 32 (angle 360·o/32 − 90 degrees), position x 32, position
y 32. A 64x64x1 image holds an 11x11 triangle with corners (0, 2), (10, 5),
(0, 8) (column, row), rotated about its window's centre (5, 5) and placed at
rows 10 + x .. 20 + x, columns 10 + y .. 20 + y; grey levels are the pixel's
area inside the triangle (4x4 subsamples), as a smoothed stand-in for the
reference's bilinear OpenCV warp.

Training draws the reference's correlated factors (`sample_training_factors`):
x, y uniform, the orientation the angle of the position about the centre,
atan2(y − 16, x − 16) + 180°, plus N(0, 45°) noise, binned to the 32
orientations. Metrics draw all three factors uniformly (`sample_factors`),
so the evaluation data are independent. Deviations from the reference: its
noise and positions come from numpy's global generator (here: the random state
passed in) and its orientation index runs 1..32 (here 0..31, the same angles).
"""

import numpy as np

from tfdisent.data.ground_truth import GroundTruthData
from tfdisent.data.registry import register
from tfdisent.data.sampling import checked_factors

SIZE = 32
WINDOW = 11
OFFSET = 10
TRIANGLE = np.array([[0.0, 2.0], [10.0, 5.0], [0.0, 8.0]])  # (column, row) corners
NOISE_DEGREES = 45.0
SUBSAMPLES = 4


@register("correlation")
class Correlation(GroundTruthData):
    name = "correlation"
    observations_determined_by_factors = True
    training_factors_description = {
        "orientation": "atan2(y - 16, x - 16) + 180 degrees + N(0, 45 degrees)"}

    def __init__(self):
        self._sprites = rotated_triangles()

    @property
    def factors_num_values(self):
        return [SIZE, SIZE, SIZE]

    @property
    def factor_names(self):
        return ["orientation", "position_x", "position_y"]

    @property
    def observation_shape(self):
        return (64, 64, 1)

    def sample_training_factors(self, num, random_state):
        position = random_state.randint(SIZE, size=(num, 2))
        offset = position - SIZE // 2
        angle = np.degrees(np.arctan2(offset[:, 1], offset[:, 0])) + 180
        angle = (angle + random_state.standard_normal(num) * NOISE_DEGREES + 360) % 360
        orientation = np.minimum((angle / (360 / SIZE)).astype(np.int64), SIZE - 1)
        return np.concatenate([orientation[:, None], position], axis=1).astype(np.int64)

    def observations_from_factors_uint8(self, factors, random_state=None):
        factors = checked_factors(factors, self.factors_num_values)
        images = np.zeros((len(factors), 64, 64, 1), np.uint8)
        rows = OFFSET + factors[:, 1, None] + np.arange(WINDOW)  # [N, 11]
        cols = OFFSET + factors[:, 2, None] + np.arange(WINDOW)
        index = np.arange(len(factors))[:, None, None]
        images[index, rows[:, :, None], cols[:, None, :], 0] = self._sprites[factors[:, 0]]
        return images


def rotated_triangles():
    """uint8 [32, 11, 11]: the triangle at each orientation, pixel coverage × 255."""
    offsets = (np.arange(SUBSAMPLES) + 0.5) / SUBSAMPLES - 0.5
    pixel = np.arange(WINDOW)
    # Sample points (column u, row v) of every pixel, [11 * 4, 11 * 4].
    v = (pixel[:, None] + offsets[None, :]).ravel()
    u = v.copy()
    uu, vv = np.meshgrid(u, v)
    sprites = []
    for o in range(SIZE):
        theta = np.radians(360.0 * o / SIZE - 90.0)
        # The sample point rotated back by θ about (5, 5) (OpenCV's positive
        # angle turns the image counter-clockwise on screen).
        du, dv = uu - 5.0, vv - 5.0
        su = 5.0 + np.cos(theta) * du - np.sin(theta) * dv
        sv = 5.0 + np.sin(theta) * du + np.cos(theta) * dv
        inside = _inside_triangle(su, sv)
        coverage = inside.reshape(WINDOW, SUBSAMPLES, WINDOW, SUBSAMPLES).mean(axis=(1, 3))
        sprites.append(np.round(coverage * 255).astype(np.uint8))
    return np.stack(sprites)


def _inside_triangle(u, v):
    """Points on the same side of all three edges (either winding)."""
    crosses = np.stack([(u1 - u0) * (v - v0) - (v1 - v0) * (u - u0)
                        for (u0, v0), (u1, v1) in zip(TRIANGLE, np.roll(TRIANGLE, -1, 0))])
    return np.all(crosses >= 0, axis=0) | np.all(crosses <= 0, axis=0)
