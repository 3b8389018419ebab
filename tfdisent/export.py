"""SavedModel export with the signatures every tfdisent binary relies on.

gaussian_encoder(images) -> {mean[, logvar]}, representation(images) ->
{default} (also serving_default), decoder(latent_vectors) -> {images},
reconstructions(images) -> {images}; images float32 in [0, 1], any batch size.
"""

import tensorflow as tf


class ServingModule(tf.Module):
    """Wraps a trained model's encoder/decoder in fixed signatures."""

    def __init__(self, model):
        super().__init__(name="tfdisent")
        self.model = model
        image_spec = tf.TensorSpec([None, *model.observation_shape], tf.float32,
                                   name="images")
        latent_spec = tf.TensorSpec([None, model.num_latent], tf.float32,
                                    name="latent_vectors")
        self.gaussian_encoder = tf.function(self._gaussian_encoder,
                                            input_signature=[image_spec])
        self.representation = tf.function(self._representation,
                                          input_signature=[image_spec])
        self.decoder = tf.function(self._decoder, input_signature=[latent_spec])
        self.reconstructions = tf.function(self._reconstructions,
                                           input_signature=[image_spec])

    def _gaussian_encoder(self, images):
        encoded = self.model.encode(images)
        outputs = {"mean": encoded["mean"]}
        if "logvar" in encoded:
            outputs["logvar"] = encoded["logvar"]
        return outputs

    def _representation(self, images):
        return {"default": self.model.representation(images)}

    def _decoder(self, latent_vectors):
        return {"images": self.model.decode_images(latent_vectors)}

    def _reconstructions(self, images):
        return {"images": self.model.reconstruct(images)}


def export(model, path):
    """Writes the SavedModel for `model` to `path` (a directory)."""
    module = ServingModule(model)
    signatures = {
        "gaussian_encoder": module.gaussian_encoder.get_concrete_function(),
        "representation": module.representation.get_concrete_function(),
        "serving_default": module.representation.get_concrete_function(),
        "decoder": module.decoder.get_concrete_function(),
        "reconstructions": module.reconstructions.get_concrete_function(),
    }
    tf.saved_model.save(module, path, signatures=signatures)
    return path
