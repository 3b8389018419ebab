"""A ground-truth dataset over stored uint8 images addressed by factor vectors."""

import numpy as np

from tfdisent.data.files.arrays import read_rows
from tfdisent.data.ground_truth import GroundTruthData, LookupStateSpace, StateSpace


class IndexedImages(GroundTruthData):
    """Stored images, one per combination of all factors; nuisance factors hidden.

    As in disentanglement_lib, factors outside `latent_indices` are nuisance
    factors: they are sampled uniformly for every observation and are not
    part of `factors_num_values`.

    Args:
        name: the registered dataset name.
        images: uint8 [N, H, W] or [N, H, W, C]; an array, a read-only memmap or
            an h5py dataset (read lazily, row by row).
        state_space: StateSpace or LookupStateSpace over all factors -> rows.
        factor_names: names of the visible (latent) factors.
        latent_indices: which of all factors are visible; default all.
        uint8_scale: stored value that means 1.0 (1 for {0, 1} masks).
    """

    def __init__(self, name, images, state_space, factor_names, latent_indices=None,
                 uint8_scale=255.0):
        num_all = len(state_space.factor_sizes)
        latent = range(num_all) if latent_indices is None else latent_indices
        self.name = name
        self.images = images
        self.state_space = state_space
        self.latent_indices = [int(i) for i in latent]
        self.nuisance_indices = [i for i in range(num_all) if i not in self.latent_indices]
        self.uint8_scale = float(uint8_scale)
        self._factor_names = list(factor_names)
        if len(self._factor_names) != len(self.latent_indices):
            raise ValueError("%d factor names for %d factors"
                             % (len(self._factor_names), len(self.latent_indices)))

    @property
    def observations_determined_by_factors(self):
        """Only without nuisance factors (they are drawn per observation)."""
        return not self.nuisance_indices

    @property
    def factors_num_values(self):
        return [int(self.state_space.factor_sizes[i]) for i in self.latent_indices]

    @property
    def factor_names(self):
        return list(self._factor_names)

    @property
    def observation_shape(self):
        shape = tuple(int(d) for d in self.images.shape[1:])
        return shape + (1,) if len(shape) == 2 else shape

    def complete_factors(self, factors, random_state):
        """All factors for rows of visible `factors`: nuisance ones drawn uniformly.

        One ``randint`` per nuisance factor, in factor order, as
        disentanglement_lib's ``SplitDiscreteStateSpace.sample_all_factors``.
        """
        factors = np.asarray(factors, dtype=np.int64)
        all_factors = np.zeros((len(factors), len(self.state_space.factor_sizes)), np.int64)
        all_factors[:, self.latent_indices] = factors
        for i in self.nuisance_indices:
            all_factors[:, i] = random_state.randint(self.state_space.factor_sizes[i],
                                                     size=len(factors))
        return all_factors

    def observations_from_factors_uint8(self, factors, random_state):
        rows = self.state_space.features_to_index(self.complete_factors(factors, random_state))
        images = read_rows(self.images, rows)
        return images[..., None] if images.ndim == 3 else images


def grid_in_c_order(labels, factor_sizes):
    """True if row i of integer `labels` is the i-th vector of the C-order grid."""
    labels = np.asarray(labels, dtype=np.int64)
    space = StateSpace(factor_sizes)
    if labels.shape != (space.num_states, len(factor_sizes)):
        return False
    if np.any(labels < 0) or np.any(labels >= space.factor_sizes):
        return False
    return bool(np.array_equal(labels @ space.strides, np.arange(space.num_states)))


def full_grid_lookup(labels):
    """LookupStateSpace for integer `labels` covering a full grid once, else None.

    The factor sizes are ``max + 1`` per column; every combination must occur
    exactly once (rows may come in any order).
    """
    labels = np.asarray(labels, dtype=np.int64)
    if labels.ndim != 2 or len(labels) == 0 or labels.min() < 0:
        return None
    sizes = labels.max(axis=0) + 1
    if int(np.prod(sizes)) != len(labels):
        return None
    if np.unique(labels @ StateSpace(sizes).strides).size != len(labels):
        return None
    return LookupStateSpace(labels, sizes)
