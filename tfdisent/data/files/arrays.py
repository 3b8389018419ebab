"""uint8 array plumbing for the file loaders: npz members, lazy HDF5 rows, resizing.

Nothing here ever makes a float copy of a dataset: images stay uint8 and are
scaled per batch by the dataset protocol.
"""

import struct
import zipfile

import numpy as np
from PIL import Image

# Byte offsets inside a zip local file header (APPNOTE 4.3.7).
_LOCAL_HEADER = struct.Struct("<4s22xHH")
_LOCAL_HEADER_SIGNATURE = b"PK\x03\x04"
_NPY_HEADER_READERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}


def npz_keys(path):
    """The array names stored in an .npz file (no data is read)."""
    with zipfile.ZipFile(path) as archive:
        return [name[:-len(".npy")] for name in archive.namelist()
                if name.endswith(".npy")]


def load_npz_array(path, key, mmap=True):
    """Array `key` of the .npz at `path`, memory-mapped when the archive allows it.

    A member stored without compression (``np.savez``) is memory-mapped
    read-only, so nothing is read until rows are used. A compressed member
    (``np.savez_compressed``) cannot be mapped and is decompressed once into
    memory; the peak stays near the array's own size.
    """
    if mmap:
        mapped = _memmap_stored_member(path, key + ".npy")
        if mapped is not None:
            return mapped
    with np.load(path, allow_pickle=False) as archive:
        return archive[key]


def _memmap_stored_member(path, member):
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    if info.compress_type != zipfile.ZIP_STORED:
        return None
    with open(path, "rb") as f:
        f.seek(info.header_offset)
        signature, name_len, extra_len = _LOCAL_HEADER.unpack(f.read(_LOCAL_HEADER.size))
        if signature != _LOCAL_HEADER_SIGNATURE:
            return None
        f.seek(info.header_offset + _LOCAL_HEADER.size + name_len + extra_len)
        reader = _NPY_HEADER_READERS.get(np.lib.format.read_magic(f))
        if reader is None:
            return None
        shape, fortran_order, dtype = reader(f)
        data_offset = f.tell()
    if dtype.hasobject:
        return None
    return np.memmap(path, dtype=dtype, mode="r", shape=shape, offset=data_offset,
                     order="F" if fortran_order else "C")


def read_rows(source, rows):
    """``source[rows]`` as an in-memory array, for arrays, memmaps and h5py datasets.

    From HDF5 each distinct row is read once, consecutive rows as one slice,
    in increasing order, and the result is put back in the requested order
    (duplicates allowed). Plain slices are ~100x faster than h5py's
    fancy-index selection for scattered rows.
    """
    rows = np.asarray(rows, dtype=np.int64)
    if isinstance(source, np.ndarray):
        return np.asarray(source[rows])
    unique, inverse = np.unique(rows, return_inverse=True)
    out = np.empty((len(unique),) + tuple(source.shape[1:]), dtype=source.dtype)
    run_starts = np.flatnonzero(np.diff(unique, prepend=-2) != 1)
    run_stops = np.append(run_starts[1:], len(unique))
    for start, stop in zip(run_starts, run_stops):
        out[start:stop] = source[unique[start]:unique[stop - 1] + 1]
    return out[inverse.reshape(rows.shape)]


def read_all(dataset):
    """The whole h5py `dataset` in memory with its own dtype (no intermediate copy)."""
    array = np.empty(dataset.shape, dtype=dataset.dtype)
    if array.size:
        dataset.read_direct(array)
    return array


def resize_images(images, size=64, out=None):
    """Resizes uint8 images [N, H, W(, C)] to [N, size, size(, C)] with PIL LANCZOS.

    LANCZOS is the filter Pillow's removed ``ANTIALIAS`` alias stood for, so the
    result matches disentanglement_lib's resizing. `out`, if given, receives
    the result (so chunks can fill one preallocated array).
    """
    if out is None:
        out = np.empty((len(images), size, size) + tuple(images.shape[3:]), dtype=np.uint8)
    for i, image in enumerate(images):
        out[i] = np.asarray(Image.fromarray(np.asarray(image))
                            .resize((size, size), Image.Resampling.LANCZOS))
    return out
