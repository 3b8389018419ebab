"""Decoupled weight decay on the encoder/decoder weights (AdamW), the rest
with the compiled optimizer — the optimiser split of the QLAE code, usable
by any model (``vae.extensions = [@weight_decay()]``)."""

import weakref

import keras

from tfdisent.configurable import configurable
from tfdisent.models.base import Component, OptimizerGroup

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


@configurable("weight_decay")
class DecoupledWeightDecay(Component):
    """Claims the encoder/decoder weights (not biases or normalisation
    offsets) for an AdamW copy of the compiled optimizer with decoupled
    `weight_decay` and element-wise gradient clipping to `clip_value`."""

    gin_name = "weight_decay"  # how errors name the setting

    def __init__(self, weight_decay=0.1, clip_value=1.0, **kwargs):
        super().__init__(**kwargs)
        self.weight_decay, self.clip_value = weight_decay, clip_value
        self._model = None  # weak: the model already tracks this component
        self._optimizer = None

    def attach(self, model):
        self._model = weakref.ref(model)

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
                    "the compiled optimizer trains the undecayed variables (biases, "
                    "codebook); leave optimizer.weight_decay unset and use "
                    "%s.weight_decay" % self.gin_name)
            self._optimizer = adam_like(model.optimizer, self.weight_decay,
                                        self.clip_value)
        return [OptimizerGroup("weight_decay", self.partition()[0], self._optimizer)]
