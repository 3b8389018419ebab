"""`shapes3d`: an offline ray-cast version of the 3D Shapes factor grid.

Factors (in order, as the public `3dshapes.h5`): floor hue 10, wall hue 10,
object hue 10 (hues linspace(0, 1, 10, endpoint=False), full saturation and
value), scale 8 (linspace(0.75, 1.25, 8)), shape 4 (cube, cylinder, sphere,
capsule), orientation 15 (camera azimuth linspace(-30, 30, 15) degrees).

The scene is a room corner: a floor and two walls meeting behind the object,
one object standing on the floor at the origin, a camera orbiting the object
at the orientation's azimuth, one directional light with shadows and ambient
light, 2x2 supersampling. Images are 64x64x3 uint8.

Geometry and shading do not depend on the hues, so each (orientation, shape,
scale) is ray cast once, lazily, into per-pixel weights of the three materials
(floor, wall, object; coverage times shading); an image is their weighted sum
of its three colours, rounded to uint8 (`blend`). Most pixels see one material
only; their values depend on that material's hue alone and are kept per hue
(`single_material_layers`), so a batch is three uint8 gathers, and only the pixels that
mix materials are blended per image (the same arithmetic, so the same bits).
"""

import colorsys
import threading

import numpy as np

from tfdisent.data.ground_truth import GroundTruthData
from tfdisent.data.sampling import checked_factors
from tfdisent.data.registry import register

IMAGE_SIZE = 64
HUES = np.linspace(0.0, 1.0, 10, endpoint=False)
SCALES = np.linspace(0.75, 1.25, 8)
SHAPE_NAMES = ("cube", "cylinder", "sphere", "capsule")
AZIMUTHS_DEGREES = np.linspace(-30.0, 30.0, 15)
HUE_RGB = np.array([colorsys.hsv_to_rgb(h, 1.0, 1.0) for h in HUES], dtype=np.float32)

FLOOR, WALL, OBJECT = 0, 1, 2
NUM_MATERIALS = 3
SUPERSAMPLING = 2

# Scene (world units, y up). The room corner is behind the object.
CORNER_DISTANCE = 3.0
CAMERA_DISTANCE = 3.6
CAMERA_HEIGHT = 1.8
LOOK_AT_HEIGHT = 0.55
FIELD_OF_VIEW_DEGREES = 50.0
LIGHT_DIRECTION = np.array([-0.45, 1.0, 0.65]) / np.linalg.norm([-0.45, 1.0, 0.65])
AMBIENT = 0.35
_WALL_NORMALS = np.array([[1.0, 0.0, 1.0], [-1.0, 0.0, 1.0]]) / np.sqrt(2.0)
_CORNER = np.array([0.0, 0.0, -CORNER_DISTANCE])

# Object dimensions at scale 1: cube edge 1, cylinder radius 0.5 height 1,
# sphere radius 0.55, capsule radius 0.35 height 1.2.
CUBE_HALF_EDGE = 0.5
CYLINDER_RADIUS, CYLINDER_HEIGHT = 0.5, 1.0
SPHERE_RADIUS = 0.55
CAPSULE_RADIUS, CAPSULE_HEIGHT = 0.35, 1.2
_EPSILON = 1e-4


def _dot(a, b):
    return np.sum(a * b, axis=-1)


def _normalize(v):
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def _finite(t):
    """Hit distances with misses (inf, NaN) replaced by 0, for computing points."""
    return np.where(np.isfinite(t), t, 0.0)


def camera_rays(azimuth_degrees):
    """Origin [3] and unit directions [H*W*s*s, 3] (pixel-major) of the camera."""
    azimuth = np.deg2rad(azimuth_degrees)
    origin = np.array([CAMERA_DISTANCE * np.sin(azimuth), CAMERA_HEIGHT,
                       CAMERA_DISTANCE * np.cos(azimuth)])
    forward = _normalize(np.array([0.0, LOOK_AT_HEIGHT, 0.0]) - origin)
    right = _normalize(np.cross(forward, [0.0, 1.0, 0.0]))
    up = np.cross(right, forward)
    samples = IMAGE_SIZE * SUPERSAMPLING
    # Sample centres in [-1, 1], ordered (row, col, sub-row, sub-col).
    centres = (np.arange(samples) + 0.5) / samples * 2.0 - 1.0
    grid = centres.reshape(IMAGE_SIZE, SUPERSAMPLING)
    half_width = np.tan(np.deg2rad(FIELD_OF_VIEW_DEGREES) / 2.0)
    y = -grid[:, None, :, None] * half_width  # [H, 1, s, 1], up is positive
    x = grid[None, :, None, :] * half_width   # [1, W, 1, s]
    y, x = np.broadcast_arrays(y, x)
    directions = (forward + x[..., None] * right + y[..., None] * up).reshape(-1, 3)
    return origin, _normalize(directions)


def _background_hits(origin, directions):
    """First floor/wall hit of each ray: distance, material, normal."""
    plane_normals = np.concatenate([[[0.0, 1.0, 0.0]], _WALL_NORMALS])  # [3, 3]
    plane_points = np.stack([np.zeros(3), _CORNER, _CORNER])
    facing = directions @ plane_normals.T  # [M, 3]
    with np.errstate(divide="ignore"):
        distance = _dot(plane_points - origin, plane_normals) / facing
    distance = np.where((facing < 0) & (distance > 0), distance, np.inf)
    plane = np.argmin(distance, axis=1)
    material = np.where(plane == 0, FLOOR, WALL)
    return distance[np.arange(len(plane)), plane], material, plane_normals[plane]


def _quadratic_entry(a, half_b, c):
    """Smaller root of a t^2 + 2 half_b t + c = 0, NaN where there is none."""
    discriminant = half_b * half_b - a * c
    with np.errstate(invalid="ignore", divide="ignore"):
        return (-half_b - np.sqrt(discriminant)) / a


def _sphere(origins, directions, centre_height, radius):
    offset = origins - np.array([0.0, centre_height, 0.0])
    t = _quadratic_entry(1.0, _dot(offset, directions), _dot(offset, offset) - radius ** 2)
    t = np.where(t > _EPSILON, t, np.inf)
    return t, _normalize(offset + _finite(t)[:, None] * directions)


def _vertical_side(origins, directions, radius, low, high):
    """Entry into the side of a vertical cylinder between heights low and high."""
    ox, oz, dx, dz = origins[:, 0], origins[:, 2], directions[:, 0], directions[:, 2]
    t = _quadratic_entry(dx * dx + dz * dz, ox * dx + oz * dz, ox * ox + oz * oz - radius ** 2)
    height = origins[:, 1] + t * directions[:, 1]
    t = np.where((t > _EPSILON) & (height >= low) & (height <= high), t, np.inf)
    hit = _finite(t)
    return t, _normalize(np.stack([ox + hit * dx, np.zeros_like(t), oz + hit * dz], axis=1))


def _top_disc(origins, directions, radius, height):
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (height - origins[:, 1]) / directions[:, 1]
    hit = origins + _finite(t)[:, None] * directions
    inside = hit[:, 0] ** 2 + hit[:, 2] ** 2 <= radius ** 2
    t = np.where(inside & (t > _EPSILON), t, np.inf)
    return t, np.broadcast_to([0.0, 1.0, 0.0], origins.shape)


def _cube(origins, directions, scale):
    half = CUBE_HALF_EDGE * scale
    low = np.array([-half, 0.0, -half])
    high = np.array([half, 2.0 * half, half])
    with np.errstate(divide="ignore", invalid="ignore"):
        t_low = (low - origins) / directions
        t_high = (high - origins) / directions
    t_near = np.nan_to_num(np.minimum(t_low, t_high), nan=-np.inf)
    t_far = np.nan_to_num(np.maximum(t_low, t_high), nan=np.inf)
    entry, exit_ = t_near.max(axis=1), t_far.min(axis=1)
    t = np.where((entry <= exit_) & (entry > _EPSILON), entry, np.inf)
    axis = np.argmax(t_near, axis=1)
    normals = np.zeros_like(origins)
    normals[np.arange(len(axis)), axis] = -np.sign(directions[np.arange(len(axis)), axis])
    return t, normals


def _nearest(*hits):
    distances = np.stack([t for t, _ in hits])
    first = np.argmin(distances, axis=0)
    rows = np.arange(distances.shape[1])
    normals = np.stack([n for _, n in hits])[first, rows]
    return distances[first, rows], normals


def _cylinder(origins, directions, scale):
    radius, height = CYLINDER_RADIUS * scale, CYLINDER_HEIGHT * scale
    return _nearest(_vertical_side(origins, directions, radius, 0.0, height),
                    _top_disc(origins, directions, radius, height))


def _ball(origins, directions, scale):
    radius = SPHERE_RADIUS * scale
    return _sphere(origins, directions, radius, radius)


def _capsule(origins, directions, scale):
    radius, height = CAPSULE_RADIUS * scale, CAPSULE_HEIGHT * scale
    return _nearest(_vertical_side(origins, directions, radius, radius, height - radius),
                    _sphere(origins, directions, radius, radius),
                    _sphere(origins, directions, height - radius, radius))


INTERSECT_SHAPE = (_cube, _cylinder, _ball, _capsule)


def blend(weights, colours):
    """uint8 [..., 3] pixels from material weights [..., 3 materials] and
    colours [..., 3 materials, 3 channels] (float32)."""
    pixels = sum(weights[..., m, None] * colours[..., m, :] for m in range(NUM_MATERIALS))
    return np.minimum(pixels * 255.0 + 0.5, 255.0).astype(np.uint8)


def single_material_layers(weights):
    """The pixels of one view that see a single material, per material and hue.

    Args:
      weights: float32 [H*W, 3 materials] of one view.

    Returns:
      layers uint8 [3 materials, hues, H*W*3]: a pixel's `blend` value for
        each hue of its material where it sees only that material, else 0;
      mixed int [M]: the other pixels, to blend per image.
    """
    seen = weights > 0
    single = seen.sum(axis=1) == 1
    layers = np.zeros((NUM_MATERIALS, len(HUES), weights.size), np.uint8)
    for hue, rgb in enumerate(HUE_RGB):
        # Every material in this hue: a single-material pixel's weighted sum
        # adds exact zeros for the others, so it is its value in any image.
        values = blend(weights, np.broadcast_to(rgb, (NUM_MATERIALS, 3)))
        for material in range(NUM_MATERIALS):
            mask = (single & seen[:, material])[:, None]
            layers[material, hue] = np.where(mask, values, 0).ravel()
    return layers, np.flatnonzero(~single)


def _lambert(normals):
    return AMBIENT + (1.0 - AMBIENT) * np.maximum(_dot(normals, LIGHT_DIRECTION), 0.0)


class _View:
    """Background hits of one camera azimuth, shared by all shapes and scales."""

    def __init__(self, azimuth_degrees):
        self.origin, self.directions = camera_rays(azimuth_degrees)
        self.origins = np.broadcast_to(self.origin, self.directions.shape)
        self.distance, self.material, normals = _background_hits(self.origin, self.directions)
        self.points = self.origin + self.distance[:, None] * self.directions
        self.shade = _lambert(normals)

    def material_weights(self, intersect, scale):
        """float32 [H*W, 3]: per pixel, coverage x shading of floor, wall, object."""
        t_object, object_normals = intersect(self.origins, self.directions, scale)
        on_object = t_object < self.distance
        light = np.broadcast_to(LIGHT_DIRECTION, self.points.shape)
        in_shadow = np.isfinite(intersect(self.points, light, scale)[0])
        background_shade = np.where(in_shadow, AMBIENT, self.shade)
        material = np.where(on_object, OBJECT, self.material)
        shade = np.where(on_object, _lambert(object_normals), background_shade)
        weights = np.zeros((len(material), NUM_MATERIALS))
        weights[np.arange(len(material)), material] = shade
        weights = weights.reshape(IMAGE_SIZE * IMAGE_SIZE, SUPERSAMPLING ** 2, NUM_MATERIALS)
        return weights.mean(axis=1).astype(np.float32)


@register("shapes3d")
class Shapes3D(GroundTruthData):
    """3D Shapes' 10 x 10 x 10 x 8 x 4 x 15 grid, ray cast procedurally."""

    name = "shapes3d"
    uint8_scale = 255.0
    observations_determined_by_factors = True

    # The ray-cast views are the same for every instance: one cache per
    # process (24 MB of weights and 177 MB of layers when full, allocated as
    # views are cast), so a second run in a process casts nothing.
    _sizes = (len(AZIMUTHS_DEGREES), len(SHAPE_NAMES), len(SCALES))
    _weights = np.zeros(_sizes + (IMAGE_SIZE * IMAGE_SIZE, NUM_MATERIALS), np.float32)
    _layers = np.zeros(_sizes + (NUM_MATERIALS, len(HUES), IMAGE_SIZE * IMAGE_SIZE * 3),
                       np.uint8)
    _mixed = {}  # (orientation, shape, scale) -> pixels that mix materials
    _mixed_weights = {}  # (orientation, shape, scale) -> their weights [M, 3]
    _ready = np.zeros(_sizes, dtype=bool)
    _lock = threading.Lock()

    @property
    def factors_num_values(self):
        return [len(HUES), len(HUES), len(HUES), len(SCALES), len(SHAPE_NAMES),
                len(AZIMUTHS_DEGREES)]

    @property
    def factor_names(self):
        return ["floor_hue", "wall_hue", "object_hue", "scale", "shape", "orientation"]

    @property
    def observation_shape(self):
        return (IMAGE_SIZE, IMAGE_SIZE, 3)

    def precompute(self):
        """Ray casts every (orientation, shape, scale); later batches only gather."""
        self._ensure_ready(np.argwhere(~self._ready))

    def _ensure_ready(self, combos):
        if self._ready[tuple(combos.T)].all():
            return
        combos = np.unique(combos, axis=0)
        missing = combos[~self._ready[tuple(combos.T)]]
        if not len(missing):
            return
        with self._lock:
            for orientation in np.unique(missing[:, 0]):
                view = _View(AZIMUTHS_DEGREES[orientation])
                for _, shape, scale in missing[missing[:, 0] == orientation]:
                    combo = (orientation, shape, scale)
                    if not self._ready[combo]:
                        weights = view.material_weights(INTERSECT_SHAPE[shape], SCALES[scale])
                        self._weights[combo] = weights
                        self._layers[combo], mixed = single_material_layers(weights)
                        self._mixed[combo], self._mixed_weights[combo] = mixed, weights[mixed]
                        self._ready[combo] = True

    def observations_from_factors_uint8(self, factors, random_state=None):
        factors = checked_factors(factors, self.factors_num_values)
        combos = factors[:, [5, 4, 3]]  # orientation, shape, scale
        self._ensure_ready(combos)
        views = tuple(combos.T)
        images = self._layers[views + (FLOOR, factors[:, 0])]
        images |= self._layers[views + (WALL, factors[:, 1])]
        images |= self._layers[views + (OBJECT, factors[:, 2])]
        images = images.reshape(len(factors), IMAGE_SIZE * IMAGE_SIZE, 3)
        keys = [tuple(combo) for combo in combos.tolist()]
        mixed = [self._mixed[key] for key in keys]
        rows = np.repeat(np.arange(len(factors)), [len(m) for m in mixed])
        if mixed:
            weights = np.concatenate([self._mixed_weights[key] for key in keys])
            images[rows, np.concatenate(mixed)] = blend(weights, HUE_RGB[factors[:, :3]][rows])
        return images.reshape((-1,) + self.observation_shape)
