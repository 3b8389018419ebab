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

import weakref

import keras
import tensorflow as tf

from tfdisent.configurable import configurable
from tfdisent.latents import quantized
from tfdisent.models.base import Component, OptimizerGroup, Term

# Variables never decayed: Dense/Conv biases and normalisation offsets.
UNDECAYED_NAMES = ("bias", "beta")


def _short_name(variable):
    return variable.name.split("/")[-1].split(":")[0]


def weight_decay_partition(variables):
    """Splits `variables` into (decayed, undecayed): everything is decayed
    (kernels, normalisation scales, the decoder's constant input) except
    biases and normalisation offsets (variables named "bias" / "beta")."""
    decayed = [v for v in variables if _short_name(v) not in UNDECAYED_NAMES]
    undecayed = [v for v in variables if _short_name(v) in UNDECAYED_NAMES]
    return decayed, undecayed


def adam_like(optimizer, weight_decay=None, clip_value=None):
    """A fresh Adam with `optimizer`'s learning rate and moment settings;
    AdamW with decoupled `weight_decay` when given, and element-wise
    gradient clipping to [-clip_value, clip_value] when given (optax's
    ``chain(clip(c), adamw(lr, wd))``)."""
    config = dict(optimizer.get_config(), weight_decay=weight_decay,
                  clipvalue=clip_value, clipnorm=None, global_clipnorm=None)
    config.pop("name", None)
    kind = keras.optimizers.AdamW if weight_decay else keras.optimizers.Adam
    return kind.from_config(config)


@configurable("qlae")
class QLAE(Component):
    """Latent quantization with straight-through gradients and weight decay.

    Args:
      quantization_weight: λ_q of mean (sg(z) − q)² (moves the codebook).
      commitment_weight: λ_c of mean (z − sg(q))² (moves the encoder).
      weight_decay: decoupled AdamW decay of the encoder/decoder weights.
      clip_value: element-wise gradient clip of the decayed weights.

    The codebook is ``@quantized_latent`` (gin: ``quantized_latent.num_values``,
    ``quantized_latent.global_codebook``).
    """

    def __init__(self, quantization_weight=0.01, commitment_weight=0.01,
                 weight_decay=0.1, clip_value=1.0, **kwargs):
        super().__init__(**kwargs)
        self.quantization_weight = quantization_weight
        self.commitment_weight = commitment_weight
        self.weight_decay, self.clip_value = weight_decay, clip_value
        self.quantizer = None
        self._model = None  # weak: the model already tracks this component
        self._optimizer = None

    def attach(self, model):
        if model.stochastic:
            raise ValueError("qlae needs a deterministic encoder (no 'logvar'), "
                             "e.g. encoder.encoder_fn = @qlae_encoder")
        self.quantizer = quantized.QuantizedLatent(model.num_latent)
        self._model = weakref.ref(model)

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

    def partition(self):
        """(decayed, undecayed) over all trainable variables of the model."""
        model = self._model()
        decayed, _ = weight_decay_partition(model.encoder.trainable_variables
                                            + model.decoder.trainable_variables)
        taken = {id(v) for v in decayed}
        return decayed, [v for v in model.trainable_variables if id(v) not in taken]

    def optimizer_groups(self):
        model = self._model()
        if self._optimizer is None:
            if model.optimizer.get_config().get("weight_decay"):
                raise ValueError(
                    "qlae: the compiled optimizer trains the biases and the "
                    "codebook, which are not decayed; leave optimizer.weight_decay "
                    "unset and use qlae.weight_decay")
            self._optimizer = adam_like(model.optimizer, self.weight_decay,
                                        self.clip_value)
        return [OptimizerGroup("weight_decay", self.partition()[0], self._optimizer)]
