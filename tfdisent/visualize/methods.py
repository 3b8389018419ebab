"""Pictures that only some methods have, each written when the model has the
part it shows: CFASL's codebook sections, QLAE's codebook values."""

import os

import numpy as np
import tensorflow as tf

from tfdisent.models.cfasl import CFASL
from tfdisent.visualize import cfasl, codes, plots


def has_component(model, kind):
    return any(isinstance(c, kind) for c in getattr(model, "components", ()))


def codebook_usage(quantizer, latent):
    """[K, n]: share of the codes [N, K] that take each codebook value."""
    indices = quantizer(tf.constant(latent, tf.float32))["indices"].numpy()
    width = max(quantizer.sizes)
    counts = np.stack([np.bincount(indices[:, j], minlength=width)
                       for j in range(indices.shape[1])])
    return counts / len(latent)


def write_qlae_codebook(quantizer, encoded, usage, path):
    values = quantizer.values().numpy()[usage.order]
    sizes = np.asarray(quantizer.sizes)[usage.order]
    shares = codebook_usage(quantizer, encoded.latent)[usage.order]
    return plots.codebook_values(values, sizes, shares,
                                 ["z%d" % j for j in usage.order], path)


def write_method_pictures(model, images, encoded, usage, output_dir):
    """Writes methods/cfasl_codebook.png and methods/qlae_codebook.png when the
    model has those parts; returns the paths written."""
    paths = []
    if has_component(model, CFASL) and len(images) >= 2:
        paths.append(cfasl.codebook_figure(
                model, images, os.path.join(output_dir, "methods", "cfasl_codebook.png")))
    quantizer = codes.find_quantizer(model)
    if quantizer is not None:
        paths.append(write_qlae_codebook(
                quantizer, encoded, usage,
                os.path.join(output_dir, "methods", "qlae_codebook.png")))
    return paths
