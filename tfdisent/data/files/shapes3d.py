"""3D Shapes from the public ``3dshapes.h5`` (the procedural renderer owns ``shapes3d``).

Reads ``<root>/3dshapes/3dshapes.h5``: ``images`` uint8 [480000, 64, 64, 3]
and ``labels`` float [480000, 6] holding the factor *values*. Each label
column is discretised to the rank of its value among the column's distinct
values; the rows must then be the C-order grid over floor hue 10, wall hue 10,
object hue 10, scale 8, shape 4, orientation 15 (or a smaller grid).
"""

import os

import h5py
import numpy as np

from tfdisent.data.files.arrays import read_all
from tfdisent.data.files.common import data_root, malformed, require_file
from tfdisent.data.files.indexed import IndexedImages, grid_in_c_order
from tfdisent.data.ground_truth import StateSpace
from tfdisent.data.registry import register

DATASET = "3D Shapes"
SOURCE = "github.com/deepmind/3d-shapes (storage.googleapis.com/3d-shapes/3dshapes.h5)"
FILE = os.path.join("3dshapes", "3dshapes.h5")
FACTOR_NAMES = ("floor_hue", "wall_hue", "object_hue", "scale", "shape", "orientation")
# Label values closer than this are the same factor value.
_DECIMALS = 6


def discretize(values):
    """Float factor values [N, F] -> int64 class indices: rank among distinct values."""
    values = np.round(np.asarray(values, dtype=np.float64), _DECIMALS)
    classes = np.empty(values.shape, dtype=np.int64)
    for column in range(values.shape[1]):
        classes[:, column] = np.unique(values[:, column], return_inverse=True)[1]
    return classes


@register("shapes3d_file")
def shapes3d_file(data_dir=None, in_memory=False):
    """3D Shapes from the public file; 64x64x3, six factors.

    Args:
        data_dir: data root (default $TFDISENT_DATA, else ./data).
        in_memory: read all images into memory as uint8 (5.9 GB) instead of
            reading the rows each batch needs from the file.
    """
    path = require_file(os.path.join(data_root(data_dir), FILE), DATASET, SOURCE)
    try:
        h5 = h5py.File(path, "r")
    except OSError:
        raise malformed(path, DATASET, SOURCE, "not an HDF5 file") from None
    if "images" not in h5 or "labels" not in h5:
        raise malformed(path, DATASET, SOURCE, "datasets images and labels required")
    images, labels = h5["images"], h5["labels"][()]
    if (images.dtype != np.uint8 or images.ndim != 4 or len(images) == 0
            or labels.shape != (len(images), len(FACTOR_NAMES))):
        raise malformed(path, DATASET, SOURCE, "images must be uint8 [N, H, W, 3] and "
                        "labels [N, %d]" % len(FACTOR_NAMES))
    classes = discretize(labels)
    sizes = classes.max(axis=0) + 1
    if not grid_in_c_order(classes, sizes):
        raise malformed(path, DATASET, SOURCE, "labels are not the C-order grid over "
                        "%s" % "/".join(FACTOR_NAMES))
    if in_memory:
        images = read_all(images)
    return IndexedImages("shapes3d_file", images, StateSpace(sizes), FACTOR_NAMES)
