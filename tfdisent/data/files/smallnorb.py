"""smallNORB from the public NORB binary matrix files.

Reads the training and testing chunks under ``<root>/small_norb/``
(``smallnorb-5x46789x9x18x6x2x96x96-training-{dat,cat,info}.mat`` and
``smallnorb-5x01235x9x18x6x2x96x96-testing-{dat,cat,info}.mat``; the
published ``.mat.gz`` files are read as they are), concatenates them, keeps
the left camera and resizes it to 64x64 with LANCZOS, as disentanglement_lib.
Factors: category 5, elevation 9, azimuth 18 (stored 0, 2, ..., 34 and
halved), lighting 6; the instance (10) is a nuisance factor.
"""

import gzip
import os

import numpy as np

from tfdisent.data.files.arrays import resize_images
from tfdisent.data.files.common import data_root, find_file, malformed
from tfdisent.data.files.indexed import IndexedImages, full_grid_lookup
from tfdisent.data.registry import register

DATASET = "smallNORB"
SOURCE = "cs.nyu.edu/~ylclab/data/norb-v1.0-small/"
DIRECTORY = "small_norb"
CHUNKS = ("smallnorb-5x46789x9x18x6x2x96x96-training",
          "smallnorb-5x01235x9x18x6x2x96x96-testing")
# NORB binary matrix magic numbers -> element type (little-endian).
MAGIC_DTYPES = {
    507333713: np.dtype("<f4"),  # 0x1E3D4C51 single precision
    507333715: np.dtype("<f8"),  # 0x1E3D4C53 double precision
    507333716: np.dtype("<i4"),  # 0x1E3D4C54 integer
    507333717: np.dtype("u1"),   # 0x1E3D4C55 byte (pixels 0..255)
    507333718: np.dtype("<i2"),  # 0x1E3D4C56 short
}
ALL_FACTOR_NAMES = ("category", "instance", "elevation", "azimuth", "lighting")
LATENTS = (0, 2, 3, 4)
AZIMUTH = 3
IMAGE_SIZE = 64


def read_binary_matrix(path):
    """The array in a NORB binary matrix file (.mat, or .mat.gz).

    Layout: int32 magic (element type), int32 ndim, max(3, ndim) int32 dims,
    then the data in C order, all little-endian. A plain file is
    memory-mapped read-only; a gzipped one is decompressed into memory.
    """
    compressed = path.endswith(".gz")
    try:
        with (gzip.open if compressed else open)(path, "rb") as f:
            magic, ndim = _int32s(f.read(8), 2, path)
            dtype = MAGIC_DTYPES.get(magic)
            if dtype is None:
                raise malformed(path, DATASET, SOURCE, "unknown magic number %d" % magic)
            if not 1 <= ndim <= 8:
                raise malformed(path, DATASET, SOURCE, "bad number of dimensions %d" % ndim)
            dims = _int32s(f.read(4 * max(3, ndim)), max(3, ndim), path)[:ndim]
            offset = 8 + 4 * max(3, ndim)
            payload = f.read() if compressed else None
    except OSError as error:  # includes gzip.BadGzipFile
        raise malformed(path, DATASET, SOURCE, str(error)) from None
    count = int(np.prod(dims))
    size = len(payload) if compressed else os.path.getsize(path) - offset
    if min(dims) < 0 or size != count * dtype.itemsize:
        raise malformed(path, DATASET, SOURCE, "%d data bytes for dims %s of %s"
                        % (size, dims, dtype.name))
    if compressed:
        return np.frombuffer(payload, dtype=dtype).reshape(dims)
    return np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=tuple(dims))


def _int32s(raw, count, path):
    if len(raw) != 4 * count:
        raise malformed(path, DATASET, SOURCE, "truncated header")
    return [int(v) for v in np.frombuffer(raw, dtype="<i4")]


def _chunk_files(root, chunk):
    """Paths of a chunk's dat, cat and info files (.mat preferred over .mat.gz)."""
    paths = []
    for kind in ("dat", "cat", "info"):
        base = os.path.join(root, DIRECTORY, "%s-%s.mat" % (chunk, kind))
        paths.append(find_file([base, base + ".gz"], DATASET, SOURCE))
    return paths


def _read_chunk(dat_path, cat_path, info_path):
    """(left-camera images [n, H, W] uint8, labels [n, 5] int64) of one chunk."""
    dat = read_binary_matrix(dat_path)
    if dat.dtype != np.uint8 or dat.ndim != 4 or dat.shape[1] != 2:
        raise malformed(dat_path, DATASET, SOURCE, "expected a byte matrix [n, 2, H, W]")
    cat, info = read_binary_matrix(cat_path), read_binary_matrix(info_path)
    if cat.shape != (len(dat),):
        raise malformed(cat_path, DATASET, SOURCE, "expected %d categories" % len(dat))
    if info.shape != (len(dat), 4):
        raise malformed(info_path, DATASET, SOURCE, "expected info [%d, 4]" % len(dat))
    labels = np.column_stack([cat, info]).astype(np.int64)
    labels[:, AZIMUTH] //= 2  # stored azimuths are 0, 2, ..., 34
    return dat[:, 0], labels


@register("smallnorb")
def smallnorb(data_dir=None):
    """smallNORB, 64x64x1: category, elevation, azimuth, lighting (instance hidden)."""
    root = data_root(data_dir)
    chunk_files = [_chunk_files(root, chunk) for chunk in CHUNKS]
    chunks = [_read_chunk(*files) for files in chunk_files]
    labels = np.concatenate([chunk_labels for _, chunk_labels in chunks])
    state_space = full_grid_lookup(labels)
    if state_space is None:
        raise malformed(os.path.join(root, DIRECTORY), DATASET, SOURCE,
                        "category + info labels of both chunks do not cover each "
                        "category/instance/elevation/azimuth/lighting combination once")
    images = np.empty((len(labels), IMAGE_SIZE, IMAGE_SIZE), dtype=np.uint8)
    start = 0
    for left_images, _ in chunks:
        resize_images(left_images, IMAGE_SIZE, out=images[start:start + len(left_images)])
        start += len(left_images)
    names = [ALL_FACTOR_NAMES[i] for i in LATENTS]
    return IndexedImages("smallnorb", images, state_space, names, LATENTS)
