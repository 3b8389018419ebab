"""A tiny bin/train configuration (16x16 xy_square, fc nets) for tests of the
training loop, and `nan_at_step`, a loss term that is NaN at one step."""

import gin
import tensorflow as tf

from tfdisent.configurable import configurable
from tfdisent.models.base import Component, Term

BINDINGS = [
    'dataset.name = "xy_square"',
    'dataset.options = {"image_size": 16, "num_positions": 4, "square_size": 4}',
    "encoder.encoder_fn = @fc_encoder",
    "decoder.decoder_fn = @fc_decoder",
    "encoder.num_latent = 4",
    "model.batch_size = 8",
    "model.image_every = 0",
]
CONFIG = "gin_configs/beta_vae.gin"


def flags(*bindings):
    """bin/train flags for the tiny run plus `bindings`."""
    return ["--gin_config=%s" % CONFIG] + ["--gin_bindings=%s" % b
                                          for b in BINDINGS + list(bindings)]


@configurable("nan_at_step")
class NanAtStep(Component):
    """A zero loss term that is NaN at global step `step` (1-based: the step
    after which global_step == step)."""

    def __init__(self, step=gin.REQUIRED, **kwargs):
        super().__init__(**kwargs)
        self.step = step

    def terms(self, ctx):
        bad = tf.equal(ctx.step, self.step - 1)
        return {"probe": Term(tf.where(bad, float("nan"), 0.0))}
