"""Ground-truth datasets: procedural renderers, real-file loaders, tf.data pipelines."""

from tfdisent.data.ground_truth import GroundTruthData, StateSpace, LookupStateSpace
from tfdisent.data.registry import get, names, register, UnknownDatasetError
