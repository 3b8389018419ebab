"""Where the public dataset files live, and one-line errors when they are not there.

The data root is, in order: an explicit ``data_dir`` option, the environment
variable ``TFDISENT_DATA``, else ``./data``. Each dataset keeps the directory
layout disentanglement_lib uses under its root (``dsprites/``, ``3dshapes/``,
``small_norb/``, ``cars/``, ``mpi3d_toy/`` ...).
"""

import os

DATA_ENV = "TFDISENT_DATA"
DEFAULT_ROOT = "data"


def data_root(data_dir=None):
    """The data root directory: `data_dir`, else $TFDISENT_DATA, else ./data."""
    root = data_dir or os.environ.get(DATA_ENV) or DEFAULT_ROOT
    return os.path.abspath(os.path.expanduser(root))


def find_file(candidates, dataset, source):
    """The first existing path among `candidates`, else a one-line FileNotFoundError.

    Args:
        candidates: full paths accepted for the same data, in order of preference.
        dataset: the public dataset's name, as the message shows it.
        source: where the public dataset is published.
    """
    for path in candidates:
        if os.path.isfile(path):
            return path
    raise FileNotFoundError("%s: expected file %s not found (public dataset: %s)"
                            % (dataset, " or ".join(candidates), source))


def require_file(path, dataset, source):
    """`path` if it is a file, else a one-line FileNotFoundError naming it and its source."""
    return find_file([path], dataset, source)


def malformed(path, dataset, source, problem):
    """A one-line ValueError for a file that exists but is not in the public format."""
    return ValueError("%s: malformed file %s: %s (expected the public file from %s)"
                      % (dataset, path, problem, source))
