"""Saved codes on disk (what `bin/evaluate --codes=FILE` reads).

Arrays `codes` [N, K] and `factors` [N, F], optionally `codes_test` and
`factors_test`, in one of:

- `.npz`: members of those names (`np.savez(path, codes=..., factors=...)`);
- `.npy`: the codes file; its name contains "codes" and the other arrays sit
  beside it with "codes" (its last occurrence) replaced by "factors",
  "codes_test", "factors_test" (`run/codes.npy`, `run/factors.npy`, ...);
- `.h5` / `.hdf5`: datasets of those names at the root.
"""

import os

import numpy as np

from tfdisent.metrics import inputs

KEYS = ("codes", "factors", "codes_test", "factors_test")
_REQUIRED = ("codes", "factors")


def load(path, factor_bins=None):
    """The saved arrays of `path` as a validated `inputs.Sample`; any problem is
    one ValueError (FileNotFoundError) line that names the file."""
    arrays = read_arrays(path)
    missing = [key for key in _REQUIRED if key not in arrays]
    if missing:
        raise ValueError("%s has no %r array (found: %s); expected codes [N, K] and "
                         "factors [N, F], optionally codes_test and factors_test"
                         % (path, missing[0], ", ".join(sorted(arrays)) or "none"))
    if ("codes_test" in arrays) != ("factors_test" in arrays):
        given, absent = (("codes_test", "factors_test") if "codes_test" in arrays
                         else ("factors_test", "codes_test"))
        raise ValueError("%s has %s but no %s" % (path, given, absent))
    test = ((arrays["codes_test"], arrays["factors_test"])
            if "codes_test" in arrays else None)
    try:
        return inputs.make_sample(arrays["codes"], arrays["factors"], test, factor_bins)
    except ValueError as e:
        raise ValueError("%s: %s" % (path, e)) from None


def read_arrays(path):
    """{key: array} of the KEYS present in the file."""
    if not os.path.isfile(path):
        raise FileNotFoundError("no codes file at %s" % path)
    extension = os.path.splitext(path)[1].lower()
    readers = {".npz": _read_npz, ".npy": _read_npy, ".h5": _read_h5,
               ".hdf5": _read_h5}
    if extension not in readers:
        raise ValueError("a codes file is .npz, .npy or .h5, got %s" % path)
    try:
        return readers[extension](path)
    except (OSError, ValueError, EOFError) as e:
        raise ValueError("cannot read %s: %s" % (path, e)) from None


def _read_npz(path):
    with np.load(path, allow_pickle=False) as archive:
        return {key: archive[key] for key in KEYS if key in archive.files}


def _read_npy(path):
    directory, name = os.path.split(path)
    if "codes" not in name:
        raise ValueError("a .npy codes file must have 'codes' in its name (its "
                         "factors are read from the same name with 'factors')")
    head, _, tail = name.rpartition("codes")
    arrays = {}
    for key in KEYS:
        companion = os.path.join(directory, head + key + tail)
        if os.path.isfile(companion):
            arrays[key] = np.load(companion, allow_pickle=False)
    return arrays


def _read_h5(path):
    import h5py

    with h5py.File(path, "r") as f:
        return {key: f[key][()] for key in KEYS if key in f}
