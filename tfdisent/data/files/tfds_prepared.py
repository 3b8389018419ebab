"""dSprites, 3D Shapes and smallNORB from datasets TFDS has *already prepared*.

Looks for ``<root>/<name>/<version>/dataset_info.json`` or the same under
``<root>/tensorflow_datasets/`` (the newest version found wins) and opens it
with ``tfds.builder_from_directory``, which reads the prepared records and
can never download or prepare anything. The images are decoded once into a
uint8 array; TFDS stores the examples shuffled, so rows are found through a
lookup built from the label features.
"""

import collections
import glob
import os

import numpy as np

from tfdisent.data.files.arrays import resize_images
from tfdisent.data.files.common import data_root, malformed
from tfdisent.data.files.indexed import IndexedImages, full_grid_lookup
from tfdisent.data.registry import register

TFDS_SUBDIR = "tensorflow_datasets"
BATCH = 1024

Spec = collections.namedtuple("Spec", [
    "tfds_name", "dataset", "source", "label_keys", "factor_names", "latent_indices",
    "splits", "resize", "uint8_scale"])

DSPRITES = Spec(
    "dsprites", "dSprites (TFDS)", "github.com/deepmind/dsprites-dataset",
    ("label_shape", "label_scale", "label_orientation", "label_x_position",
     "label_y_position"),
    ("shape", "scale", "orientation", "posX", "posY"), None, ("train",), None,
    1.0)  # TFDS keeps dSprites' {0, 1} pixel values.
SHAPES3D = Spec(
    "shapes3d", "3D Shapes (TFDS)", "github.com/deepmind/3d-shapes",
    ("label_floor_hue", "label_wall_hue", "label_object_hue", "label_scale",
     "label_shape", "label_orientation"),
    ("floor_hue", "wall_hue", "object_hue", "scale", "shape", "orientation"), None,
    ("train",), None, 255.0)
SMALLNORB = Spec(
    "smallnorb", "smallNORB (TFDS)", "cs.nyu.edu/~ylclab/data/norb-v1.0-small/",
    ("label_category", "instance", "label_elevation", "label_azimuth", "label_lighting"),
    ("category", "elevation", "azimuth", "lighting"), (0, 2, 3, 4), ("train", "test"),
    64, 255.0)  # left camera ("image"), resized with LANCZOS as the file loader.


def _version_key(directory):
    try:
        return tuple(int(part) for part in os.path.basename(directory).split("."))
    except ValueError:
        return None


def prepared_dir(tfds_name, root):
    """The newest prepared version directory of `tfds_name` under `root`, or None."""
    for base in (root, os.path.join(root, TFDS_SUBDIR)):
        infos = glob.glob(os.path.join(base, tfds_name, "*", "dataset_info.json"))
        versions = [os.path.dirname(p) for p in infos if _version_key(os.path.dirname(p))]
        if versions:
            return max(versions, key=_version_key)
    return None


def read_examples(dataset, num_examples, label_keys, resize=None):
    """uint8 images and int64 labels [N, len(label_keys)] from a tf.data dataset of
    TFDS feature dicts (``image`` plus the label keys), into preallocated arrays.

    With `resize`, single-channel images are resized to resize x resize (LANCZOS)
    batch by batch and returned as [N, resize, resize].
    """
    import tensorflow as tf  # pylint: disable=g-import-not-at-top

    images, labels, start = None, np.empty((num_examples, len(label_keys)), np.int64), 0
    batches = dataset.map(lambda ex: (ex["image"], tf.stack(
        [tf.cast(ex[key], tf.int64) for key in label_keys], axis=-1))).batch(BATCH)
    for image_batch, label_batch in batches.as_numpy_iterator():
        stop = start + len(image_batch)
        if stop > num_examples:
            raise ValueError("more examples than the %d recorded" % num_examples)
        if images is None:
            shape = (resize, resize) if resize else image_batch.shape[1:]
            images = np.empty((num_examples,) + tuple(shape), dtype=np.uint8)
        if resize:
            resize_images(image_batch[..., 0], resize, out=images[start:stop])
        else:
            images[start:stop] = image_batch
        labels[start:stop] = label_batch
        start = stop
    if start != num_examples:
        raise ValueError("%d examples read, %d recorded" % (start, num_examples))
    return images, labels


def load_prepared(spec, name, data_dir=None):
    """The dataset `spec` from its prepared TFDS directory, registered as `name`."""
    root = data_root(data_dir)
    directory = prepared_dir(spec.tfds_name, root)
    if directory is None:
        raise FileNotFoundError(
            "%s: expected a prepared TFDS dataset %s (with dataset_info.json) under %s or "
            "%s, not found; tfdisent never downloads: prepare it with TFDS elsewhere "
            "(public dataset: %s)" % (
                spec.dataset, os.path.join(spec.tfds_name, "<version>"), root,
                os.path.join(root, TFDS_SUBDIR), spec.source))
    import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top

    try:
        builder = tfds.builder_from_directory(directory)
        missing = [k for k in ("image",) + spec.label_keys if k not in builder.info.features]
        if missing:
            raise ValueError("features %s missing" % missing)
        dataset, total = None, 0
        for split in spec.splits:
            part = builder.as_dataset(split=split, shuffle_files=False)
            dataset = part if dataset is None else dataset.concatenate(part)
            total += builder.info.splits[split].num_examples
        images, labels = read_examples(dataset, total, spec.label_keys, spec.resize)
    except Exception as error:  # pylint: disable=broad-except
        # TFDS reports a broken directory with many types (protobuf ParseError,
        # OpError, KeyError ...): whichever it is, the directory is unusable.
        first_line = (str(error).splitlines() or [""])[0]
        raise malformed(directory, spec.dataset, spec.source, "%s: %s" % (
            type(error).__name__, first_line)) from None
    state_space = full_grid_lookup(labels)
    if state_space is None:
        raise malformed(directory, spec.dataset, spec.source, "labels %s do not cover "
                        "each combination once" % "/".join(spec.label_keys))
    return IndexedImages(name, images, state_space, spec.factor_names,
                         spec.latent_indices, spec.uint8_scale)


@register("dsprites_tfds")
def dsprites_tfds(data_dir=None):
    """dSprites from TFDS's prepared ``dsprites``; as dsprites_full."""
    return load_prepared(DSPRITES, "dsprites_tfds", data_dir)


@register("shapes3d_tfds")
def shapes3d_tfds(data_dir=None):
    """3D Shapes from TFDS's prepared ``shapes3d``; as shapes3d_file."""
    return load_prepared(SHAPES3D, "shapes3d_tfds", data_dir)


@register("smallnorb_tfds")
def smallnorb_tfds(data_dir=None):
    """smallNORB from TFDS's prepared ``smallnorb`` (train + test); as smallnorb."""
    return load_prepared(SMALLNORB, "smallnorb_tfds", data_dir)
