"""QLAE training-step throughput next to the plain AE step of the same
architecture.

Both models use the official networks (12-layer instance-norm encoder,
style decoder; latent 10, 64x64x1) and the mean Bernoulli loss, and are
timed in interleaved rounds on the same batch: the AE with one Adam, QLAE
adding the quantizer, its two terms and the AdamW/Adam partition.
`bench/train.py --model=qlae` calls `qlae_step_benchmark()`; run this file
directly for one JSON object.
"""

import functools
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import method_benchmark, ready  # noqa: E402

from tfdisent import losses  # noqa: E402
from tfdisent.models.qlae import QLAE  # noqa: E402
from tfdisent.models.regularizers import NoRegularizer  # noqa: E402
from tfdisent.models.vae import VAE  # noqa: E402
from tfdisent.nets import qlae as nets  # noqa: E402

SHAPE = (64, 64, 1)
NUM_LATENT = 10


def build(regularizer, jit_compile=False):
    model = VAE(SHAPE, regularizer=regularizer,
                encoder=nets.qlae_encoder(SHAPE, NUM_LATENT),
                decoder=nets.qlae_style_decoder(NUM_LATENT, SHAPE),
                reconstruction_loss=functools.partial(losses.bernoulli_loss,
                                                      reduction="mean"))
    return ready(model, SHAPE, jit_compile, learning_rate=1e-3)


def qlae_step_benchmark(batch_size=64, steps=20, warmup=3, rounds=3, jit_compile=False,
                        seed=0):
    """Images/second of the AE step and of the QLAE step (same networks)."""
    return method_benchmark("qlae", "ae", lambda: build(QLAE(), jit_compile),
                            lambda: build(NoRegularizer(), jit_compile), batch_size, steps,
                            warmup, rounds, SHAPE, seed, jit_compile=jit_compile)


if __name__ == "__main__":
    print(json.dumps(qlae_step_benchmark()))
