"""QLAE training-step throughput next to the plain AE step of the same
architecture.

Both models use the official networks (12-layer instance-norm encoder,
style decoder; latent 10, 64x64x1) and the mean Bernoulli loss, and are
timed in the same process on the same batches: the AE with one Adam, QLAE
adding the quantizer, its two terms and the AdamW/Adam partition.
`bench/train.py --model=qlae` calls `qlae_step_benchmark()`; run this file
directly for one JSON object.
"""

import functools
import json
import time

import numpy as np
import tensorflow as tf

from tfdisent import losses, optimizers
from tfdisent.models.qlae import QLAE
from tfdisent.models.regularizers import NoRegularizer
from tfdisent.models.vae import VAE
from tfdisent.nets import qlae as nets

SHAPE = (64, 64, 1)
NUM_LATENT = 10


def build(regularizer, jit_compile=False):
    model = VAE(SHAPE, regularizer=regularizer,
                encoder=nets.qlae_encoder(SHAPE, NUM_LATENT),
                decoder=nets.qlae_style_decoder(NUM_LATENT, SHAPE),
                reconstruction_loss=functools.partial(losses.bernoulli_loss,
                                                      reduction="mean"))
    model.forward(tf.zeros([2, *SHAPE]), training=False)
    model.compile(optimizer=optimizers.make_optimizer(learning_rate=1e-3),
                  jit_compile=jit_compile)
    model.build_optimizers()
    return model


def images_per_second(model, batches, steps, warmup):
    """Training images per second over `steps` steps after `warmup` steps
    (the warm-up includes tracing)."""
    model.fit(batches, epochs=1, steps_per_epoch=warmup, verbose=0)
    start = time.perf_counter()
    model.fit(batches, epochs=1, steps_per_epoch=steps, verbose=0)
    return steps * int(batches.element_spec.shape[0]) / (time.perf_counter() - start)


def qlae_step_benchmark(batch_size=64, steps=20, warmup=3, jit_compile=False,
                        seed=0):
    """Images/second of the AE step and of the QLAE step (same networks)."""
    rs = np.random.RandomState(seed)
    images = (rs.uniform(size=(batch_size, *SHAPE)) > 0.9).astype(np.float32)
    batches = tf.data.Dataset.from_tensors(images).repeat()
    base = images_per_second(build(NoRegularizer(), jit_compile), batches, steps, warmup)
    qlae = images_per_second(build(QLAE(), jit_compile), batches, steps, warmup)
    return {"model": "qlae", "baseline": "ae", "batch_size": batch_size,
            "steps": steps, "jit_compile": jit_compile,
            "device": "GPU" if tf.config.list_logical_devices("GPU") else "CPU",
            "ae_images_per_second": base,
            "qlae_images_per_second": qlae,
            "qlae_relative_throughput": qlae / base}


if __name__ == "__main__":
    print(json.dumps(qlae_step_benchmark()))
