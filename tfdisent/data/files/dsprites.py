"""dSprites from the public file, and disentanglement_lib's variants of it.

Reads ``<root>/dsprites/dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz``
(keys ``imgs`` uint8 [N, 64, 64] in {0, 1}, ``latents_classes`` [N, 6]) or,
if that is absent, the ``.hdf5`` form (datasets ``imgs``, ``latents/classes``).
The factor grid is read from ``latents_classes`` (the public file's is
color 1, shape 3, scale 6, orientation 40, posX 32, posY 32, C order); the
pickled ``metadata`` entry is never unpickled.
"""

import os
import zipfile

import h5py

from tfdisent.data.files import sprite_variants
from tfdisent.data.files.arrays import load_npz_array, npz_keys, read_all
from tfdisent.data.files.common import data_root, find_file, malformed, require_file
from tfdisent.data.files.indexed import IndexedImages, grid_in_c_order
from tfdisent.data.ground_truth import StateSpace
from tfdisent.data.registry import register

DATASET = "dSprites"
SOURCE = "github.com/deepmind/dsprites-dataset"
BASENAME = os.path.join("dsprites", "dsprites_ndarray_co1sh3sc6or40x32y32_64x64")
SCREAM_FILE = os.path.join("scream", "scream.jpg")
SCREAM_SOURCE = ("Edvard Munch's The Scream, the image disentanglement_lib downloads: "
                 "upload.wikimedia.org/wikipedia/commons/f/f4/The_Scream.jpg")
# Columns of latents_classes; color (a single value) is always a nuisance.
ALL_FACTOR_NAMES = ("color", "shape", "scale", "orientation", "posX", "posY")
FULL_LATENTS = (1, 2, 3, 4, 5)
NOSHAPE_LATENTS = (2, 3, 4, 5)


def load_sprites(name, latent_indices=FULL_LATENTS, data_dir=None, in_memory=False):
    """The dSprites masks as an IndexedImages dataset (observations 64x64x1).

    Args:
        name: the registered name the dataset reports.
        latent_indices: visible columns of ``latents_classes``; the others are
            sampled as nuisance factors.
        data_dir: data root (default $TFDISENT_DATA, else ./data).
        in_memory: for the .hdf5 form, read all images into memory (uint8,
            3.0 GB for the full file) instead of reading rows lazily. The .npz
            form is always in memory (or memory-mapped if stored uncompressed).
    """
    base = os.path.join(data_root(data_dir), BASENAME)
    path = find_file([base + ".npz", base + ".hdf5"], DATASET, SOURCE)
    if path.endswith(".npz"):
        images, classes = _read_npz(path)
    else:
        images, classes = _read_hdf5(path, in_memory)
    if (images.dtype != "uint8" or images.ndim != 3 or len(images) == 0
            or classes.shape != (len(images), len(ALL_FACTOR_NAMES))):
        raise malformed(path, DATASET, SOURCE, "imgs must be uint8 [N, H, W] and latent "
                        "classes [N, %d]" % len(ALL_FACTOR_NAMES))
    sizes = classes.max(axis=0) + 1
    if not grid_in_c_order(classes, sizes):
        raise malformed(path, DATASET, SOURCE, "latent classes are not the C-order grid "
                        "over %s with one image per row" % "/".join(ALL_FACTOR_NAMES))
    names = [ALL_FACTOR_NAMES[i] for i in latent_indices]
    return IndexedImages(name, images, StateSpace(sizes), names, latent_indices,
                         uint8_scale=1.0)


def _read_npz(path):
    """imgs (decompressed once, or memory-mapped if stored) and latents_classes."""
    try:
        keys = npz_keys(path)
    except zipfile.BadZipFile:
        raise malformed(path, DATASET, SOURCE, "not an .npz (zip) archive") from None
    if "imgs" not in keys or "latents_classes" not in keys:
        raise malformed(path, DATASET, SOURCE, "keys imgs and latents_classes required, "
                        "found %s" % sorted(keys))
    return load_npz_array(path, "imgs"), load_npz_array(path, "latents_classes", mmap=False)


def _read_hdf5(path, in_memory):
    """imgs (a lazy h5py dataset, or read into memory) and latents/classes."""
    try:
        h5 = h5py.File(path, "r")
    except OSError:
        raise malformed(path, DATASET, SOURCE, "not an HDF5 file") from None
    if "imgs" not in h5 or "latents/classes" not in h5:
        raise malformed(path, DATASET, SOURCE, "datasets imgs and latents/classes required")
    images = h5["imgs"]
    return (read_all(images) if in_memory else images), h5["latents/classes"][()]


def load_scream_painting(data_dir=None):
    """The scream_dsprites background painting from <root>/scream/scream.jpg."""
    path = require_file(os.path.join(data_root(data_dir), SCREAM_FILE),
                        "scream_dsprites background", SCREAM_SOURCE)
    try:
        painting = sprite_variants.load_painting(path)
    except OSError:
        raise malformed(path, "scream_dsprites background", SCREAM_SOURCE,
                        "not an image PIL can read") from None
    if painting.shape[0] <= 64 or painting.shape[1] <= 64:
        raise malformed(path, "scream_dsprites background", SCREAM_SOURCE,
                        "image smaller than 65x65 after the (350, 274) thumbnail")
    return painting


@register("dsprites_full")
def dsprites_full(data_dir=None, in_memory=False):
    """dSprites: shape 3, scale 6, orientation 40, posX 32, posY 32; 64x64x1."""
    return load_sprites("dsprites_full", FULL_LATENTS, data_dir, in_memory)


@register("dsprites_noshape")
def dsprites_noshape(data_dir=None, in_memory=False):
    """dSprites with shape as a hidden nuisance: scale, orientation, posX, posY."""
    return load_sprites("dsprites_noshape", NOSHAPE_LATENTS, data_dir, in_memory)


@register("color_dsprites")
def color_dsprites(data_dir=None, in_memory=False):
    """dSprites with one random RGB colour U(0.5, 1)^3 per image; 64x64x3."""
    masks = load_sprites("dsprites_full", FULL_LATENTS, data_dir, in_memory)
    return sprite_variants.RecolouredSprites("color_dsprites", masks, sprite_variants.colour)


@register("noisy_dsprites")
def noisy_dsprites(data_dir=None, in_memory=False):
    """dSprites on uniform per-pixel noise; 64x64x3."""
    masks = load_sprites("dsprites_full", FULL_LATENTS, data_dir, in_memory)
    return sprite_variants.RecolouredSprites("noisy_dsprites", masks, sprite_variants.noise)


@register("scream_dsprites")
def scream_dsprites(data_dir=None, in_memory=False):
    """dSprites inverted over random crops of The Scream; 64x64x3."""
    scream = sprite_variants.ScreamBackground(load_scream_painting(data_dir))
    masks = load_sprites("dsprites_full", FULL_LATENTS, data_dir, in_memory)
    return sprite_variants.RecolouredSprites("scream_dsprites", masks, scream)
