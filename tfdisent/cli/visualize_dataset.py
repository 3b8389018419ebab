"""bin/visualize_dataset: PNG grids showing what each factor of a dataset does.

Writes OUTPUT_DIR/factor_<i>_<name>.png (each row a random anchor with factor i
swept through its values, the other factors fixed) and OUTPUT_DIR/samples.png.
"""

import json
import os

from absl import app, flags
import numpy as np

from tfdisent import gin_config
from tfdisent.cli import common

FLAGS = flags.FLAGS
flags.DEFINE_string("dataset", None, "Registered dataset name (default: gin's "
                    "dataset.name, which defaults to sprites).")
flags.DEFINE_string("output_dir", None, "Where the PNGs go.", required=True)
flags.DEFINE_integer("seed", 0, "Seed for the anchors and samples.")
flags.DEFINE_integer("rows", 5, "Anchors (rows) per factor grid.")
flags.DEFINE_integer("max_columns", 64, "A factor with more values shows this "
                     "many evenly spaced values.")
flags.DEFINE_integer("num_samples", 64, "Random samples in samples.png.")
common.define_gin_flags()


def sweep_values(num_values, max_columns):
    """The factor values shown: all, or `max_columns` evenly spaced ones."""
    if num_values <= max_columns:
        return np.arange(num_values)
    return np.unique(np.round(np.linspace(0, num_values - 1, max_columns)).astype(np.int64))


def factor_sweeps(data, anchors, factor, max_columns, random_state):
    """float32 [anchors, values, H, W, C]: each anchor with `factor` swept."""
    from tfdisent.data import sampling
    values = sweep_values(data.factors_num_values[factor], max_columns)
    rows = np.concatenate([sampling.single_factor_sweep(data, factor, anchor)[values]
                           for anchor in anchors])
    images = data.sample_observations_from_factors(rows, random_state)
    return images.reshape((len(anchors), len(values)) + images.shape[1:])


def write_dataset_pictures(data, output_dir, seed=0, rows=5, max_columns=64,
                           num_samples=64):
    """Writes the factor grids and samples.png; returns the paths written."""
    from tfdisent.visualize import grids
    if len(data.observation_shape) != 3:
        raise ValueError("%s has non-image observations of shape %s; nothing to draw"
                         % (data.name, tuple(data.observation_shape)))
    random_state = np.random.RandomState(seed)
    anchors = data.sample_factors(rows, random_state)
    paths = []
    for factor, name in enumerate(data.factor_names):
        images = factor_sweeps(data, anchors, factor, max_columns, random_state)
        path = os.path.join(output_dir, "factor_%d_%s.png" % (factor, name))
        paths.append(grids.save_image_grid(images, path))
    samples = data.sample_observations(num_samples, random_state)
    paths.append(grids.save_image_grid(
            samples, os.path.join(output_dir, "samples.png"), num_columns=8))
    return paths


def main(argv):
    if len(argv) > 1:
        raise ValueError("unexpected arguments: %s" % " ".join(argv[1:]))
    common.quiet_tensorflow()
    from tfdisent.data import registry
    bindings = list(FLAGS.gin_bindings)
    if FLAGS.dataset:
        bindings.append("dataset.name = %s" % json.dumps(FLAGS.dataset))
    gin_config.parse(FLAGS.gin_config, bindings)
    data = registry.get_configured()
    for path in write_dataset_pictures(data, FLAGS.output_dir, FLAGS.seed, FLAGS.rows,
                                       FLAGS.max_columns, FLAGS.num_samples):
        print(path)


def run():
    app.run(common.run_main(main))
