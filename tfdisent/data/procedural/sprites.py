"""`sprites`: an offline renderer of the dSprites factor grid.

Factors (in order, as disentanglement_lib's `dsprites_full`): shape 3 (square,
ellipse, heart), scale 6 (linspace(0.5, 1, 6)), orientation 40
(linspace(0, 2*pi, 40), so values 0 and 39 are the same angle, as in dSprites),
position x 32 and position y 32 (linspace(0, 1, 32)).

Images are 64x64x1 binary masks stored as uint8 {0, 1} (`uint8_scale` 1). A
pixel is on when its centre lies inside the shape: the pixel grid is
inverse-rotated and inverse-scaled into the shape's frame and tested with an
analytic implicit function, for the whole batch at once (`render_sprites`).
The dataset keeps every sprite's window once rendered, as packed bits, so a
batch of sprites already drawn is gathered, not rendered again.
"""

import threading

import numpy as np

from tfdisent.data.ground_truth import GroundTruthData
from tfdisent.data.sampling import checked_factors
from tfdisent.data.registry import register

CANVAS = 64
SHAPE_NAMES = ("square", "ellipse", "heart")
SCALES = np.linspace(0.5, 1.0, 6)
ORIENTATIONS = np.linspace(0.0, 2.0 * np.pi, 40)
POSITIONS = np.linspace(0.0, 1.0, 32)

# Shape sizes at scale 1, in pixels.
SQUARE_HALF_SIDE = 7.0
ELLIPSE_SEMI_AXES = (10.0, 5.0)
HEART_WIDTH = 18.0
# The implicit heart (x^2 + y^2 - 1)^3 <= x^2 y^3 spans x in [-1.139, 1.139]
# and y in [-1, 1.236]; it is centred on its bounding box and scaled so that
# its width is HEART_WIDTH.
_HEART_UNIT_HALF_WIDTH = 1.139
_HEART_UNIT_CENTRE_Y = 0.118
# Largest distance from the rotation centre to any shape point at scale 1
# (the heart's; the square's is 9.9, the ellipse's 10). Tested.
SPRITE_RADIUS = 10.6
# Sprite centres range over [MARGIN, CANVAS - MARGIN] pixels, so every sprite
# keeps at least one empty pixel row/column to the border at any orientation.
MARGIN = SPRITE_RADIUS + 1.0
# Each sprite is rasterised in a WINDOW x WINDOW patch around its centre.
WINDOW = 2 * int(np.ceil(SPRITE_RADIUS)) + 4


def _inside_square(u, v):
    return np.maximum(np.abs(u), np.abs(v)) <= SQUARE_HALF_SIDE


def _inside_ellipse(u, v):
    a, b = ELLIPSE_SEMI_AXES
    return (u / a) ** 2 + (v / b) ** 2 <= 1.0


def _inside_heart(u, v):
    # Cubes as products: numpy's `** 3` is a general pow, ~70x slower. The
    # products round differently, yet every image of the grid keeps its bits
    # (bench/sprites_render.py --all).
    unit = HEART_WIDTH / (2.0 * _HEART_UNIT_HALF_WIDTH)
    x = u / unit
    y = v / unit + _HEART_UNIT_CENTRE_Y
    left = x * x + y * y - 1.0
    return left * left * left <= x * x * (y * y * y)


INSIDE_SHAPE = (_inside_square, _inside_ellipse, _inside_heart)


def window_origin(centre):
    """The first pixel row (column) of the window around sprite centres at
    `centre` pixels down (right), clipped to the canvas: int [N]."""
    return np.clip(np.floor(centre).astype(np.int64) - WINDOW // 2, 0, CANVAS - WINDOW)


def sprite_windows(shape, scale, angle, centre_x, centre_y):
    """Each sprite's WINDOW x WINDOW patch, bool [N, W, W]; its top-left pixel
    is (window_origin(centre_y), window_origin(centre_x)). Arguments as
    `render_sprites`'."""
    shape = np.asarray(shape)
    num = len(shape)
    offsets = np.arange(WINDOW)
    columns = window_origin(centre_x)[:, None] + offsets  # [N, W]
    rows = window_origin(centre_y)[:, None] + offsets
    dx = (columns + 0.5 - np.asarray(centre_x)[:, None])[:, None, :]  # [N, 1, W]
    dy_up = (np.asarray(centre_y)[:, None] - rows - 0.5)[:, :, None]  # [N, W, 1]
    cos = (np.cos(angle) / scale)[:, None, None]
    sin = (np.sin(angle) / scale)[:, None, None]
    # Inverse rotation and scaling into the shape's frame (v points up).
    u = cos * dx + sin * dy_up
    v = cos * dy_up - sin * dx
    inside = np.zeros((num, WINDOW, WINDOW), dtype=bool)
    for index, inside_shape in enumerate(INSIDE_SHAPE):
        selected = shape == index
        if selected.any():
            inside[selected] = inside_shape(u[selected], v[selected])
    return inside


def place_windows(windows, top, left):
    """uint8 [N, CANVAS, CANVAS, 1] images, zero but for window i at row
    top[i], column left[i]."""
    num = len(windows)
    images = np.zeros((num, CANVAS, CANVAS, 1), dtype=np.uint8)
    image, row, column = images.strides[:3]
    # Every window position of every image as a view; one assignment fills
    # one (non-overlapping) window per image.
    slots = np.lib.stride_tricks.as_strided(
            images, shape=(num, CANVAS - WINDOW + 1, CANVAS - WINDOW + 1, WINDOW, WINDOW),
            strides=(image, row, column, row, column), writeable=True)
    slots[np.arange(num), top, left] = windows
    return images


def render_sprites(shape, scale, angle, centre_x, centre_y):
    """Binary sprites for per-image parameters (arrays of length N).

    Args:
        shape: int [N], index into SHAPE_NAMES.
        scale: float [N], size multiplier.
        angle: float [N], counter-clockwise rotation on screen, radians.
        centre_x, centre_y: float [N], sprite centre in pixels (x right, y down).

    Returns:
        uint8 [N, CANVAS, CANVAS, 1] with values {0, 1}.
    """
    return place_windows(sprite_windows(shape, scale, angle, centre_x, centre_y),
                         window_origin(centre_y), window_origin(centre_x))


def grid_parameters(factors):
    """`render_sprites`' keyword arguments for int factor rows [N, 5]."""
    return dict(shape=factors[:, 0], scale=SCALES[factors[:, 1]],
                angle=ORIENTATIONS[factors[:, 2]],
                centre_x=position_to_pixels(POSITIONS[factors[:, 3]]),
                centre_y=position_to_pixels(POSITIONS[factors[:, 4]]))


def position_to_pixels(position):
    """Position in [0, 1] -> sprite centre in pixels."""
    return MARGIN + np.asarray(position) * (CANVAS - 2.0 * MARGIN)


_GRID_WINDOW_ORIGINS = window_origin(position_to_pixels(POSITIONS))


@register("sprites")
class Sprites(GroundTruthData):
    """The dSprites grid rendered procedurally: 3 x 6 x 40 x 32 x 32 images."""

    name = "sprites"
    uint8_scale = 1.0
    observations_determined_by_factors = True

    # Rendered windows are the same for every instance: one cache per process
    # (62.7 MB when full, allocated as it fills). It fills by strips: one
    # (shape, scale, orientation, position x) and its 32 y positions.
    _strips = (len(SHAPE_NAMES), len(SCALES), len(ORIENTATIONS), len(POSITIONS))
    _windows = np.zeros(_strips + (len(POSITIONS), (WINDOW * WINDOW + 7) // 8), np.uint8)
    _ready = np.zeros(_strips, dtype=bool)
    _lock = threading.Lock()
    _STRIPS_PER_RENDER = 64  # bounds a fill's temporaries (2048 images)

    @property
    def factors_num_values(self):
        return [len(SHAPE_NAMES), len(SCALES), len(ORIENTATIONS),
                len(POSITIONS), len(POSITIONS)]

    @property
    def factor_names(self):
        return ["shape", "scale", "orientation", "position_x", "position_y"]

    @property
    def observation_shape(self):
        return (CANVAS, CANVAS, 1)

    def precompute(self):
        """Renders every strip (737,280 windows); later batches only gather."""
        self._ensure_ready(np.argwhere(~self._ready))

    def _ensure_ready(self, strips):
        if self._ready[tuple(strips.T)].all():
            return
        with self._lock:
            strips = np.unique(strips, axis=0)
            missing = strips[~self._ready[tuple(strips.T)]]
            ys = np.arange(len(POSITIONS))
            for start in range(0, len(missing), self._STRIPS_PER_RENDER):
                chunk = missing[start:start + self._STRIPS_PER_RENDER]
                factors = np.concatenate([np.repeat(chunk, len(ys), axis=0),
                                          np.tile(ys, len(chunk))[:, None]], 1)
                windows = sprite_windows(**grid_parameters(factors))
                packed = np.packbits(windows.reshape(len(chunk), len(ys), -1), axis=-1)
                self._windows[tuple(chunk.T)] = packed
                self._ready[tuple(chunk.T)] = True

    def observations_from_factors_uint8(self, factors, random_state=None):
        factors = checked_factors(factors, self.factors_num_values)
        self._ensure_ready(factors[:, :4])
        packed = self._windows[tuple(factors.T)]
        windows = np.unpackbits(packed, axis=-1, count=WINDOW * WINDOW)
        origins = _GRID_WINDOW_ORIGINS
        return place_windows(windows.reshape(-1, WINDOW, WINDOW),
                             origins[factors[:, 4]], origins[factors[:, 3]])
