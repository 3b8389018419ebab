"""What the pictures need from a trained model: its codes on data, how much
each latent is used, and codes drawn from its prior.

Two codes per image:
- the *latent* code, in the space the decoder reads (`decode_images`): the
  posterior mean of a Gaussian model, the representation of a deterministic
  one (QLAE: the quantized code), what traversals sweep;
- the *representation*, what the metrics score (`model.representation`),
  what the factor plots show.
"""

from typing import NamedTuple

import numpy as np
import tensorflow as tf

# Images per encoder/decoder call.
BATCH_SIZE = 256


class EncodedData(NamedTuple):
    """Codes of N images: latent [N, K], logvar [N, K] (None for a
    deterministic code) and representation [N, R]."""
    latent: np.ndarray
    logvar: object
    representation: np.ndarray

    @property
    def gaussian(self):
        return self.logvar is not None


class LatentUsage(NamedTuple):
    """How much each latent is used: `scores` [K] (mean KL to N(0, 1) for a
    Gaussian code, variance for a deterministic one), named `score_name`;
    `order` [K] the latents sorted by decreasing score."""
    score_name: str
    scores: np.ndarray
    order: np.ndarray


def encode(model, batches):
    """EncodedData of an iterable of float image batches [B, H, W, C] in
    [0, 1] (e.g. `[images]`; each batch is encoded BATCH_SIZE at a time)."""
    parts = []
    for images in batches:
        for start in range(0, len(images), BATCH_SIZE):
            parts.append(_encode_batch(model, tf.constant(images[start:start + BATCH_SIZE],
                                                          tf.float32)))
    latent, logvar, representation = zip(*parts)
    return EncodedData(np.concatenate(latent),
                       None if logvar[0] is None else np.concatenate(logvar),
                       np.concatenate(representation))


def _encode_batch(model, images):
    encoded = model.encode(images)
    representation = model.representation(images).numpy()
    logvar = encoded.get("logvar")
    if logvar is None:
        return representation, None, representation
    return encoded["mean"].numpy(), logvar.numpy(), representation


def decode(model, codes):
    """Images decoded from latent codes [..., K]: float [..., H, W, C]."""
    codes = np.asarray(codes, np.float32)
    flat = codes.reshape(-1, codes.shape[-1])
    images = np.concatenate([model.decode_images(tf.constant(flat[i:i + BATCH_SIZE])).numpy()
                             for i in range(0, len(flat), BATCH_SIZE)])
    return images.reshape(codes.shape[:-1] + images.shape[1:])


def kl_per_latent(mean, logvar):
    """Mean over examples of KL(N(mean, exp(logvar)) || N(0, 1)) per latent [K]."""
    return np.mean(0.5 * (np.square(mean) + np.exp(logvar) - logvar - 1.0), axis=0)


def latent_usage(encoded):
    """LatentUsage: by KL for a Gaussian code, by variance (activity) otherwise."""
    if encoded.gaussian:
        name, scores = "KL", kl_per_latent(encoded.latent, encoded.logvar)
    else:
        name, scores = "var", np.var(encoded.latent, axis=0)
    return LatentUsage(name, scores, np.argsort(-scores, kind="stable"))


def find_quantizer(model):
    """The model's per-latent codebooks (a QuantizedLatent: QLAE's component
    or QLInfoWGAN-GP's own), or None."""
    for owner in [model, *getattr(model, "components", ())]:
        quantizer = getattr(owner, "quantizer", None)
        if quantizer is not None and hasattr(quantizer, "values"):
            return quantizer
    return None


def prior_codes(model, encoded, num, random_state):
    """`num` latent codes drawn from the model's prior [num, K]: N(0, 1) for a
    Gaussian code; for a deterministic one each latent independently uniform
    over its codebook values (quantized models) or over its empirical codes."""
    num_latent = encoded.latent.shape[1]
    if encoded.gaussian:
        return random_state.standard_normal((num, num_latent)).astype(np.float32)
    quantizer = find_quantizer(model)
    if quantizer is not None:
        noise = random_state.uniform(size=(num, num_latent)).astype(np.float32)
        return quantizer.sample(tf.constant(noise)).numpy()
    rows = random_state.randint(len(encoded.latent), size=(num, num_latent))
    return encoded.latent[rows, np.arange(num_latent)]
