"""SavedModel export with the signatures every tfdisent binary relies on.

gaussian_encoder(images) -> {mean[, logvar]}, representation(images) ->
{default} (also serving_default), decoder(latent_vectors) -> {images},
reconstructions(images) -> {images}; images float32 in [0, 1], any batch size.
Written with keras.export.ExportArchive, so TF-Serving and TF1-style loaders
(`saved_model_cli run`) read it as well as `tf.saved_model.load`.
"""

import json
import os

import keras
import tensorflow as tf

from tfdisent.representation import LATENTS_FILE


class Signatures:
    """The served functions of one trained model."""

    def __init__(self, model):
        self.model = model
        self.shape = tuple(model.observation_shape)

    def checked(self, images):
        """Fails with a readable message (not deep in a kernel) on a wrong shape."""
        message = "images must be float32 [batch, %s] in [0, 1]" % ", ".join(
            str(s) for s in self.shape)
        check = tf.debugging.assert_equal(tf.shape(images)[1:], tf.constant(
            self.shape, tf.int32), message=message)
        with tf.control_dependencies([check]):
            return tf.identity(images)

    def gaussian_encoder(self, images):
        encoded = self.model.encode(self.checked(images))
        outputs = {"mean": encoded["mean"]}
        if "logvar" in encoded:
            outputs["logvar"] = encoded["logvar"]
        return outputs

    def representation(self, images):
        return {"default": self.model.representation(self.checked(images))}

    def decoder(self, latent_vectors):
        return {"images": self.model.decode_images(latent_vectors)}

    def reconstructions(self, images):
        return {"images": self.model.reconstruct(self.checked(images))}


def export(model, path):
    """Writes the SavedModel for `model` to `path` (a directory)."""
    served = Signatures(model)
    images = tf.TensorSpec([None, *served.shape], tf.float32, name="images")
    codes = tf.TensorSpec([None, model.num_latent], tf.float32, name="latent_vectors")
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("representation", served.representation, [images])
    archive.add_endpoint("serving_default", served.representation, [images])
    archive.add_endpoint("gaussian_encoder", served.gaussian_encoder, [images])
    archive.add_endpoint("decoder", served.decoder, [codes])
    archive.add_endpoint("reconstructions", served.reconstructions, [images])
    archive.write_out(path, verbose=False)
    # Whether the representation takes codebook values (QLAE): InfoMEC reads it.
    extra = os.path.join(path, "assets.extra")
    os.makedirs(extra, exist_ok=True)
    with open(os.path.join(extra, LATENTS_FILE), "w") as f:
        json.dump({"discrete_representation": bool(
            getattr(model, "discrete_representation", False))}, f)
    return path
