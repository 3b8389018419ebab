"""CFASL training-step throughput next to the β-TCVAE step it extends.

Both models are built the same way (cnn4 nets, latent 10, 64x64x1, β-TCVAE
with the stratified estimator, clip 1.0) and timed in the same process on the
same batches. `bench/train.py --model=cfasl` calls `cfasl_step_benchmark()`;
run this file directly for one JSON object.
"""

import json
import time

import numpy as np
import tensorflow as tf

from tfdisent import optimizers
from tfdisent.models.cfasl import CFASL
from tfdisent.models.regularizers import BetaTCVAE
from tfdisent.models.vae import VAE
from tfdisent.nets import cnn4

SHAPE = (64, 64, 1)
NUM_LATENT = 10
DSPRITES_SIZE = 737280


def build(extensions, jit_compile=False):
    model = VAE(SHAPE, regularizer=BetaTCVAE(6.0, estimator="mss",
                                             dataset_size=DSPRITES_SIZE),
                extensions=extensions,
                encoder=cnn4.cnn4_encoder(SHAPE, NUM_LATENT),
                decoder=cnn4.cnn4_decoder(NUM_LATENT, SHAPE),
                clip_global_norm=1.0)
    model.forward(tf.zeros([2, *SHAPE]), training=False)
    model.compile(optimizer=optimizers.make_optimizer(), jit_compile=jit_compile)
    model.build_optimizers()
    return model


def images_per_second(model, batches, steps, warmup):
    """Training images per second over `steps` steps after `warmup` steps
    (the warm-up includes tracing)."""
    model.fit(batches, epochs=1, steps_per_epoch=warmup, verbose=0)
    start = time.perf_counter()
    model.fit(batches, epochs=1, steps_per_epoch=steps, verbose=0)
    return steps * int(batches.element_spec.shape[0]) / (time.perf_counter() - start)


def cfasl_step_benchmark(batch_size=64, steps=20, warmup=3, jit_compile=False,
                         seed=0):
    """Images/second of the β-TCVAE step and of the same step with CFASL."""
    rs = np.random.RandomState(seed)
    images = (rs.uniform(size=(batch_size, *SHAPE)) > 0.9).astype(np.float32)
    batches = tf.data.Dataset.from_tensors(images).repeat()
    base = images_per_second(build([], jit_compile), batches, steps, warmup)
    cfasl = images_per_second(build([CFASL()], jit_compile), batches, steps, warmup)
    return {"model": "cfasl", "baseline": "beta_tc_vae", "batch_size": batch_size,
            "steps": steps, "jit_compile": jit_compile,
            "device": "GPU" if tf.config.list_logical_devices("GPU") else "CPU",
            "beta_tc_vae_images_per_second": base,
            "cfasl_images_per_second": cfasl,
            "cfasl_relative_throughput": cfasl / base}


if __name__ == "__main__":
    print(json.dumps(cfasl_step_benchmark()))
