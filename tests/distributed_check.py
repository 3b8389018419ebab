"""Run as a script: trains the same tiny β-VAE on one device and on a
MirroredStrategy over two logical CPUs; prints both loss trajectories."""

import json
import sys

import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

from tfdisent.data import pipelines, registry  # noqa: E402
from tfdisent.models import regularizers  # noqa: E402
from tests.models.helpers import small_vae  # noqa: E402


def losses(strategy, steps=8):
    data = registry.get("xy_square", num_positions=8, image_size=16, square_size=4)
    with strategy.scope():
        model = small_vae(regularizers.BetaVAE(4.0), seed=1)
        model.set_weights(reference_weights)
    batches = pipelines.image_batches(data, 16, seed=0)
    history = model.fit(batches, epochs=steps, steps_per_epoch=1, verbose=0).history
    return history["loss"]


reference_weights = small_vae(regularizers.BetaVAE(4.0), seed=1).get_weights()
print(json.dumps({"single": losses(tf.distribute.get_strategy()),
                  "mirrored": losses(tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]))}))
sys.stdout.flush()
