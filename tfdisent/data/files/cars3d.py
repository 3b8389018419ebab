"""Cars3D from the public MATLAB files (Reed et al. 2015, ``data/cars``).

Reads every ``*.mat`` in ``<root>/cars/`` (MATLAB v5, key ``im``: uint8
[H, W, 3, 24 azimuths, 4 elevations] per car), resizes each view to 64x64
with LANCZOS, and indexes them by elevation 4, azimuth 24, object type (one
per file: 183 in the public data). Object type = position of the file in
*sorted* file-name order, so it is the same on every machine
(disentanglement_lib uses the unsorted directory listing order).
"""

import glob
import os

import numpy as np
import scipy.io

from tfdisent.data.files.arrays import resize_images
from tfdisent.data.files.common import data_root, malformed
from tfdisent.data.files.indexed import IndexedImages
from tfdisent.data.ground_truth import StateSpace
from tfdisent.data.registry import register

DATASET = "Cars3D"
SOURCE = ("Reed et al. 2015 'Deep Visual Analogy-Making' data, "
          "www.scottreed.info/files/nips2015-analogy-data.tar.gz (data/cars)")
DIRECTORY = "cars"
FACTOR_NAMES = ("elevation", "azimuth", "object_type")
IMAGE_SIZE = 64


def read_views(path):
    """A car's views as uint8 [azimuth, elevation, H, W, 3] (``im`` axes abcde -> deabc)."""
    try:
        views = scipy.io.loadmat(path)["im"]
    except (scipy.io.matlab.MatReadError, ValueError, NotImplementedError, OSError,
            LookupError) as error:
        raise malformed(path, DATASET, SOURCE, "cannot read key 'im' from a MATLAB "
                        "v5 file (%s)" % type(error).__name__) from None
    if views.dtype != np.uint8 or views.ndim != 5 or views.shape[2] != 3:
        raise malformed(path, DATASET, SOURCE, "im must be uint8 [H, W, 3, azimuths, "
                        "elevations], got %s %s" % (views.dtype, views.shape))
    return views.transpose(3, 4, 0, 1, 2)


@register("cars3d")
def cars3d(data_dir=None):
    """Cars3D, 64x64x3: elevation 4, azimuth 24, object type 183."""
    directory = os.path.join(data_root(data_dir), DIRECTORY)
    paths = sorted(glob.glob(os.path.join(directory, "*.mat")))
    if not paths:
        raise FileNotFoundError("%s: expected files %s (one per car) not found (public "
                                "dataset: %s)" % (DATASET, os.path.join(directory, "*.mat"),
                                                  SOURCE))
    images = None
    for obj, path in enumerate(paths):
        views = read_views(path)
        num_azimuths, num_elevations = views.shape[:2]
        if images is None:
            images = np.empty((num_elevations, num_azimuths, len(paths), IMAGE_SIZE,
                               IMAGE_SIZE, 3), dtype=np.uint8)
        elif images.shape[:2] != (num_elevations, num_azimuths):
            raise malformed(path, DATASET, SOURCE, "%d azimuths x %d elevations, other "
                            "files have %d x %d" % (num_azimuths, num_elevations,
                                                   images.shape[1], images.shape[0]))
        small = resize_images(views.reshape((-1,) + views.shape[2:]), IMAGE_SIZE)
        images[:, :, obj] = small.reshape(views.shape[:2] + small.shape[1:]).swapaxes(0, 1)
    sizes = images.shape[:3]
    return IndexedImages("cars3d", images.reshape((-1,) + images.shape[3:]),
                         StateSpace(sizes), FACTOR_NAMES)
