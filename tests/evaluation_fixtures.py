"""A tiny dataset and SavedModel for the evaluation tests.

`factor_pixels`: one pixel per factor, value = factor / (size - 1), images
[1, F, 1]. The SavedModel reads the factors back exactly (a fixed linear map),
so its representation is the identity code. Importing this module registers
the dataset (gin: `import evaluation_fixtures`).
"""

import os

import numpy as np

from tfdisent import results
from tfdisent.data import GroundTruthData, register

FACTOR_SIZES = (3, 4, 5)
ALL_SIGNATURES = ("representation", "gaussian_encoder", "decoder", "reconstructions")


@register("factor_pixels")
class FactorPixels(GroundTruthData):
    name = "factor_pixels"

    def __init__(self, factor_sizes=FACTOR_SIZES):
        self._sizes = tuple(int(s) for s in factor_sizes)

    @property
    def factors_num_values(self):
        return list(self._sizes)

    @property
    def observation_shape(self):
        return (1, len(self._sizes), 1)

    def sample_observations_from_factors(self, factors, random_state):
        scaled = np.asarray(factors, np.float32) / (np.array(self._sizes, np.float32) - 1)
        return scaled.reshape(len(factors), 1, len(self._sizes), 1)


def build_saved_model(path, factor_sizes=FACTOR_SIZES, signatures=ALL_SIGNATURES,
                      logvar=-2.0):
    """Exports a SavedModel whose codes are the factor values; returns `path`."""
    import tensorflow as tf

    num = len(factor_sizes)
    scale = tf.constant(np.array(factor_sizes, np.float32) - 1)

    class FactorReader(tf.Module):
        images = tf.TensorSpec([None, 1, num, 1], tf.float32, name="images")

        @tf.function(input_signature=[images])
        def representation(self, images):
            return {"default": tf.reshape(images, [-1, num]) * scale}

        @tf.function(input_signature=[images])
        def gaussian_encoder(self, images):
            mean = tf.reshape(images, [-1, num]) * scale
            return {"mean": mean, "logvar": tf.fill(tf.shape(mean), logvar)}

        @tf.function(input_signature=[tf.TensorSpec([None, num], tf.float32,
                                                    name="latent_vectors")])
        def decoder(self, latent_vectors):
            return {"images": tf.reshape(latent_vectors / scale, [-1, 1, num, 1])}

        @tf.function(input_signature=[images])
        def reconstructions(self, images):
            return {"images": images}

    module = FactorReader()
    tf.saved_model.save(module, path, signatures={
            name: getattr(module, name).get_concrete_function() for name in signatures})
    return path


def make_model_dir(root, saved_model, dataset_name="factor_pixels", options=None):
    """A model directory: saved_model/ (a copy of `saved_model`) and the
    train step's results recording the dataset."""
    import shutil

    model_dir = os.path.join(root, "model")
    shutil.copytree(saved_model, os.path.join(model_dir, "saved_model"))
    train_gin = "dataset.name = %r\nmodel.random_seed = 3\n" % dataset_name
    if options is not None:
        train_gin += "dataset.options = %r\n" % (options,)
    results.update_result_directory(os.path.join(model_dir, "results"), "train",
                                    {"loss": 1.5, "elapsed_time": 2.0},
                                    operative_gin=train_gin)
    return model_dir
