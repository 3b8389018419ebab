"""A numpy stand-in for the few PyTorch calls of docs/metrics_api.md, so the
page's PyTorch example runs in the tests without PyTorch installed. Only on
the PYTHONPATH of the docs test's subprocess."""

import contextlib

import numpy as np

_generator = [np.random.RandomState(0)]


def manual_seed(seed):
    _generator[0] = np.random.RandomState(seed)


def no_grad():
    return contextlib.nullcontext()


class Tensor:
    def __init__(self, array):
        self._array = np.asarray(array, dtype=np.float32)

    @property
    def shape(self):
        return self._array.shape

    def permute(self, *dims):
        return Tensor(np.transpose(self._array, dims))

    def numpy(self):
        return self._array


def from_numpy(array):
    return Tensor(array)


from torch import nn  # noqa: E402,F401  (torch.nn, as in PyTorch)
