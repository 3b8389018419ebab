"""gin entry points that build the networks from the dataset's shape.

``encoder.encoder_fn = @conv_encoder``, ``encoder.num_latent = 10``,
``decoder.decoder_fn = @deconv_decoder`` as in disentanglement_lib.
"""

import gin

from tfdisent.nets import cnn4, dlib, qlae  # noqa: F401  (registers the gin names)


@gin.configurable("encoder")
def make_encoder(input_shape, num_latent=10, encoder_fn=dlib.conv_encoder):
    return encoder_fn(tuple(input_shape), num_latent)


@gin.configurable("decoder")
def make_decoder(num_latent, output_shape, decoder_fn=dlib.deconv_decoder):
    return decoder_fn(num_latent, tuple(output_shape))


@gin.configurable("discriminator")
def make_discriminator(num_latent, discriminator_fn=dlib.fc_discriminator):
    return discriminator_fn(num_latent)
