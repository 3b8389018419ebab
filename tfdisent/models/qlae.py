"""QLAE (Hsu et al. 2023): a deterministic autoencoder whose code is
quantized to per-dimension scalar codebooks, trained with strong weight decay.

A Component of the VAE (``vae.regularizer = @qlae()``) with a deterministic
encoder. loss = BCE (mean over pixels: ``bernoulli_loss.reduction = "mean"``)
+ λ_q·quantization + λ_c·commitment. The optimiser is split in two:
weights of the encoder and decoder -> AdamW (decoupled weight decay,
element-wise gradient clipping), claimed by this component; biases,
normalisation offsets and the codebook -> the compiled optimizer (plain
Adam). The partition helpers are shared with the InfoWGAN-GP models.
"""

import tensorflow as tf

from tfdisent.configurable import configurable
from tfdisent.latents import quantized
from tfdisent.models.base import Term
from tfdisent.models.weight_decay import DecoupledWeightDecay

@configurable("qlae")
class QLAE(DecoupledWeightDecay):
    """Latent quantization with straight-through gradients and weight decay.

    Args:
      quantization_weight: λ_q of mean (sg(z) − q)² (moves the codebook).
      commitment_weight: λ_c of mean (z − sg(q))² (moves the encoder).
      weight_decay: decoupled AdamW decay of the encoder/decoder weights.
      clip_value: element-wise gradient clip of the decayed weights.

    The codebook is ``@quantized_latent`` (gin: ``quantized_latent.num_values``,
    ``quantized_latent.global_codebook``).
    """

    gin_name = "qlae"
    # The representation takes codebook values: recorded in the SavedModel,
    # so InfoMEC uses the discrete (plug-in) estimator, as the official code.
    discrete_representation = True

    def __init__(self, quantization_weight=0.01, commitment_weight=0.01,
                 weight_decay=0.1, clip_value=1.0, **kwargs):
        super().__init__(weight_decay=weight_decay, clip_value=clip_value, **kwargs)
        self.quantization_weight = quantization_weight
        self.commitment_weight = commitment_weight
        self.quantizer = None

    def attach(self, model):
        if model.stochastic:
            raise ValueError("qlae needs a deterministic encoder (no 'logvar'), "
                             "e.g. encoder.encoder_fn = @qlae_encoder")
        super().attach(model)
        self.quantizer = quantized.QuantizedLatent(model.num_latent)

    def prepare(self, ctx):
        ctx.quantized = self.quantizer(ctx.z)
        ctx.z = ctx.quantized["straight_through"]

    def terms(self, ctx):
        z, q = ctx.quantized["continuous"], ctx.quantized["quantized"]
        return {"quantization_loss": Term(quantized.quantization_loss(z, q),
                                          self.quantization_weight),
                "commitment_loss": Term(quantized.commitment_loss(z, q),
                                        self.commitment_weight)}

    def representation(self, model, x):
        """The quantized code (codebook values), what metrics score."""
        return self.quantizer(model.encode(x)["mean"])["quantized"]

    def reconstruct(self, model, x):
        """Images decoded from the quantized code, as in training."""
        return tf.sigmoid(model.decoder(self.representation(model, x), training=False))
