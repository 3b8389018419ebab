"""MPI3D toy / realistic / real from the public .npz files.

Reads ``<root>/<variant>/<variant>.npz``, key ``images`` uint8 [N, 64, 64, 3]
in C order over object color, object shape, object size 2, camera height 3,
background color 3, horizontal axis 40, vertical axis 40. The public release
has 6 colours x 6 shapes (N = 1,036,800) for all three variants; the NeurIPS
2019 challenge files disentanglement_lib's ``mpi3d_toy`` was written for have
4 x 4 (N = 460,800). The grid is inferred from N (or given as `factor_sizes`).

An ``np.savez`` (uncompressed) archive is memory-mapped: the 12.7 GB of
images are paged in as batches use them. A compressed archive cannot be
mapped and is decompressed into memory once (uint8, 12.7 GB for N = 1,036,800).
"""

import os
import zipfile

import numpy as np

from tfdisent.data.files.arrays import load_npz_array, npz_keys
from tfdisent.data.files.common import data_root, malformed, require_file
from tfdisent.data.files.indexed import IndexedImages
from tfdisent.data.ground_truth import StateSpace
from tfdisent.data.registry import register

SOURCE = "github.com/rr-learning/disentanglement_dataset"
FACTOR_NAMES = ("object_color", "object_shape", "object_size", "camera_height",
                "background_color", "horizontal_axis", "vertical_axis")
# Sizes after object color and shape, which are 6 x 6 (public) or 4 x 4 (challenge).
OTHER_SIZES = (2, 3, 3, 40, 40)
OBJECT_CHOICES = (6, 4)


def grid_for(num_images):
    """The factor sizes of an MPI3D file with `num_images` images, or None."""
    for objects in OBJECT_CHOICES:
        sizes = (objects, objects) + OTHER_SIZES
        if int(np.prod(sizes)) == num_images:
            return list(sizes)
    return None


def load_mpi3d(variant, data_dir=None, factor_sizes=None):
    """One MPI3D variant ("mpi3d_toy", "mpi3d_realistic", "mpi3d_real").

    Args:
        variant: directory and file stem under the data root.
        data_dir: data root (default $TFDISENT_DATA, else ./data).
        factor_sizes: the 7 factor sizes; default inferred from the image count.
    """
    dataset = "MPI3D (%s)" % variant
    path = require_file(os.path.join(data_root(data_dir), variant, variant + ".npz"),
                        dataset, SOURCE)
    try:
        keys = npz_keys(path)
    except zipfile.BadZipFile:
        raise malformed(path, dataset, SOURCE, "not an .npz (zip) archive") from None
    if "images" not in keys:
        raise malformed(path, dataset, SOURCE, "key images required, found %s" % sorted(keys))
    images = load_npz_array(path, "images")
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[3] != 3:
        raise malformed(path, dataset, SOURCE, "images must be uint8 [N, H, W, 3], got "
                        "%s %s" % (images.dtype, images.shape))
    sizes = list(factor_sizes) if factor_sizes is not None else grid_for(len(images))
    if sizes is None or len(sizes) != len(FACTOR_NAMES) or int(np.prod(sizes)) != len(images):
        raise malformed(path, dataset, SOURCE, "%d images do not fill the factor grid %s"
                        % (len(images), sizes or "6x6x2x3x3x40x40 or 4x4x2x3x3x40x40"))
    return IndexedImages(variant, images, StateSpace(sizes), FACTOR_NAMES)


@register("mpi3d_toy")
def mpi3d_toy(data_dir=None, factor_sizes=None):
    """MPI3D simple rendered images; 64x64x3, seven factors."""
    return load_mpi3d("mpi3d_toy", data_dir, factor_sizes)


@register("mpi3d_realistic")
def mpi3d_realistic(data_dir=None, factor_sizes=None):
    """MPI3D realistic rendered images; 64x64x3, seven factors."""
    return load_mpi3d("mpi3d_realistic", data_dir, factor_sizes)


@register("mpi3d_real")
def mpi3d_real(data_dir=None, factor_sizes=None):
    """MPI3D photographs of the real robot set-up; 64x64x3, seven factors."""
    return load_mpi3d("mpi3d_real", data_dir, factor_sizes)
