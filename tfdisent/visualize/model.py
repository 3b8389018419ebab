"""Every picture of a trained model directory (what bin/visualize writes).

OUTPUT_DIR (default MODEL_DIR/visualizations)::

    reconstructions/reconstructions.png   inputs above their reconstructions
    sampled/samples.png                   decodings of prior draws
    traversals/<interval>_<i>.png         one row per latent (see traversals.py)
    animated_traversals/<interval>_cycle<i>.gif
    factors/nmi_heatmap.png               latent x factor NMI
    factors/violins_z<j>.png              code j by factor value
    metrics/scores.png                    evaluation results (when found)
    methods/cfasl_codebook.png            CFASL models
    methods/qlae_codebook.png             quantized models (QLAE, QLInfoWGAN-GP)
    summary.json                          latent order, KL/variance, intervals, NMI

Codes come from `num_points` images of the training dataset drawn with
`np.random.RandomState(seed)`; the first images are the ones shown.
"""

import ast
import itertools
import os
import shutil

import gin
import numpy as np

from tfdisent import evaluate, results
from tfdisent.data import registry
from tfdisent.visualize import (codes, evaluations, factors as factor_tools, grids,
                                methods, plots, traversals)

OUTPUT_NAME = "visualizations"
RECONSTRUCTION_COLUMNS = 8
CFASL_IMAGES = 16


def visualize(model_dir, output_dir=None, overwrite=False, num_samples=16,
              num_traversals=3, num_values=10, num_frames=20, num_points=5000,
              seed=0, evaluation_dirs=(), num_bins=20):
    """Writes the pictures of the model in `model_dir`; returns their paths.

    Args:
      model_dir: a bin/train model directory.
      output_dir: default MODEL_DIR/visualizations; an existing one is
        replaced only with `overwrite`.
      num_samples: images in the reconstructions and in the prior samples.
      num_traversals: base images with traversals (PNG and GIF per interval).
      num_values: values per traversal row; num_frames: frames per GIF.
      num_points: images encoded for the latent statistics and factor plots.
      seed: seeds the images drawn and the prior samples.
      evaluation_dirs: bin/evaluate output directories; default: those
        found below `model_dir`.
      num_bins: histogram bins of the codes for the NMI.
    """
    _check_counts(num_samples=num_samples, num_traversals=num_traversals,
                  num_values=num_values, num_frames=num_frames, num_bins=num_bins)
    if num_points < max(num_samples, num_traversals, 2):
        raise ValueError("num_points (%d) must be at least num_samples, num_traversals "
                         "and 2" % num_points)
    check_model_dir(model_dir)
    output_dir = output_dir or default_output_dir(model_dir)
    result_files = evaluations.find_results(model_dir, evaluation_dirs)
    data = training_dataset(model_dir)
    if len(data.observation_shape) != 3:
        raise ValueError("%s has non-image observations of shape %s; nothing to draw"
                         % (data.name, tuple(data.observation_shape)))
    prepare_output_dir(output_dir, overwrite, model_dir)
    model = load_model(model_dir)
    random_state = np.random.RandomState(seed)
    num_shown = max(num_samples, num_traversals, CFASL_IMAGES)
    factor_values, images, encoded = sample_and_encode(model, data, num_points,
                                                       num_shown, random_state)
    usage = codes.latent_usage(encoded)
    paths = [
        write_reconstructions(model, images[:num_samples], output_dir),
        write_samples(model, codes.prior_codes(model, encoded, num_samples, random_state),
                      output_dir),
    ]
    paths += traversals.write_traversals(model, encoded, usage,
                                         encoded.latent[:num_traversals], output_dir,
                                         num_values, num_frames)
    nmi, factor_paths = write_factor_pictures(data, factor_values, encoded, usage,
                                              output_dir, num_bins)
    paths += factor_paths
    scores = evaluations.metric_scores(result_files, model_dir)
    if scores:
        paths.append(plots.metric_bars(scores, os.path.join(output_dir, "metrics",
                                                            "scores.png")))
    paths += methods.write_method_pictures(model, images[:CFASL_IMAGES], encoded, usage,
                                           output_dir)
    summary = dict(dataset=data.name, num_points=num_points, seed=seed,
                   score_name=usage.score_name, scores=usage.scores, order=usage.order,
                   intervals=traversals.intervals(encoded),
                   factor_names=list(data.factor_names), nmi=nmi,
                   evaluation_results=result_files)
    path = os.path.join(output_dir, "summary.json")
    results.save_json(summary, path)
    return paths + [path]


def _check_counts(**counts):
    for name, value in counts.items():
        if value < 1:
            raise ValueError("%s must be at least 1, got %d" % (name, value))


# -- the model and its data ----------------------------------------------------

def default_output_dir(model_dir):
    return os.path.join(model_dir, OUTPUT_NAME)


def check_model_dir(model_dir):
    if not os.path.isdir(model_dir):
        raise FileNotFoundError("no model directory at %s" % model_dir)
    if not os.path.isfile(os.path.join(model_dir, "checkpoints", "config.gin")):
        raise ValueError("%s is not a tfdisent model directory (no checkpoints/"
                         "config.gin; train one with bin/train)" % model_dir)


def prepare_output_dir(output_dir, overwrite, model_dir):
    """Refuses an existing output without `overwrite` (then removes it), and
    any output directory that is or contains the model directory."""
    evaluate.check_output_dir(output_dir, overwrite, protected=(model_dir,))
    if os.path.exists(output_dir):
        shutil.rmtree(output_dir)


def load_model(model_dir):
    """The trained model (tfdisent.train.load_model) without leaving its gin
    config behind."""
    from tfdisent import train
    gin.clear_config()
    try:
        return train.load_model(model_dir)
    finally:
        gin.clear_config()


def training_dataset(model_dir):
    """The dataset the model trained on, as recorded in
    results/json/train_config.json (or, for an unfinished run, in
    checkpoints/config.gin; unbound: the registry's default)."""
    recorded = os.path.join(model_dir, "results", "json", "train_config.json")
    if os.path.isfile(recorded):
        config = results.load_json(recorded)
    else:
        with open(os.path.join(model_dir, "checkpoints", "config.gin")) as f:
            config = results.gin_config_to_dict(f.read())
    if "dataset.name" not in config:
        return registry.get_configured()
    options = ast.literal_eval(config.get("dataset.options", "None")) or {}
    return registry.get(ast.literal_eval(config["dataset.name"]), **options)


def sample_and_encode(model, data, num_points, num_shown, random_state):
    """Draws `num_points` factor rows, renders and encodes them in batches.
    Returns (factors [N, F], the first `num_shown` images, EncodedData)."""
    factor_values = data.sample_factors(num_points, random_state)
    first = max(codes.BATCH_SIZE, num_shown)
    shown = data.sample_observations_from_factors(factor_values[:first], random_state)
    rest = (data.sample_observations_from_factors(factor_values[i:i + codes.BATCH_SIZE],
                                                  random_state)
            for i in range(first, num_points, codes.BATCH_SIZE))
    encoded = codes.encode(model, itertools.chain([shown], rest))
    return factor_values, shown[:num_shown], encoded


# -- pictures --------------------------------------------------------------------

def reconstruction_rows(images, reconstructions, columns=RECONSTRUCTION_COLUMNS):
    """uint8 [2R, columns, H, W, C]: rows of inputs, each above its
    reconstructions; the last rows are filled with white tiles."""
    pairs = np.stack([grids.to_uint8(images), grids.to_uint8(reconstructions)])
    columns = min(columns, pairs.shape[1])
    num_rows = -(-pairs.shape[1] // columns)
    filler = np.full((2, num_rows * columns - pairs.shape[1]) + pairs.shape[2:], 255,
                     np.uint8)
    pairs = np.concatenate([pairs, filler], axis=1)
    pairs = pairs.reshape((2, num_rows, columns) + pairs.shape[2:])
    return pairs.transpose(1, 0, 2, 3, 4, 5).reshape((2 * num_rows, columns)
                                                     + pairs.shape[3:])


def write_reconstructions(model, images, output_dir):
    reconstructions = np.concatenate([model.reconstruct(images[i:i + codes.BATCH_SIZE]).numpy()
                                      for i in range(0, len(images), codes.BATCH_SIZE)])
    return grids.save_image_grid(
            reconstruction_rows(images, reconstructions),
            os.path.join(output_dir, "reconstructions", "reconstructions.png"))


def write_samples(model, prior, output_dir):
    return grids.save_image_grid(
            codes.decode(model, prior), os.path.join(output_dir, "sampled", "samples.png"),
            num_columns=min(RECONSTRUCTION_COLUMNS, len(prior)))


def write_factor_pictures(data, factor_values, encoded, usage, output_dir, num_bins):
    """The NMI heatmap and per-latent violins of the representation against
    the factors that vary; returns (NMI [R, F] or None, paths)."""
    varying = [j for j, n in enumerate(data.factors_num_values) if n > 1]
    if not varying:
        return None, []
    representation = encoded.representation
    nmi = factor_tools.nmi_matrix(representation, factor_values, num_bins)
    rows = (usage.order if representation.shape[1] == len(usage.order)
            else np.arange(representation.shape[1]))
    names = [data.factor_names[j] for j in varying]
    sizes = [data.factors_num_values[j] for j in varying]
    directory = os.path.join(output_dir, "factors")
    paths = [plots.nmi_heatmap(nmi[rows][:, varying], ["z%d" % i for i in rows], names,
                               os.path.join(directory, "nmi_heatmap.png"))]
    for i in rows:
        paths.append(plots.factor_violins(
                representation[:, i], factor_values[:, varying], names, sizes, "z%d" % i,
                os.path.join(directory, "violins_z%d.png" % i)))
    return nmi, paths
