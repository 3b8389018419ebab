"""CFASL training-step throughput next to the β-TCVAE step it extends.

Both models are built the same way (cnn4 nets, latent 10, 64x64x1, β-TCVAE
with the stratified estimator, clip 1.0) and timed in the same process on the
same batch, in interleaved rounds. `bench/train.py --model=cfasl` calls
`cfasl_step_benchmark()`; run this file directly for one JSON object.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import method_benchmark, ready  # noqa: E402

from tfdisent.models.cfasl import CFASL  # noqa: E402
from tfdisent.models.regularizers import BetaTCVAE  # noqa: E402
from tfdisent.models.vae import VAE  # noqa: E402
from tfdisent.nets import cnn4  # noqa: E402

SHAPE = (64, 64, 1)
NUM_LATENT = 10
DSPRITES_SIZE = 737280


def build(extensions, jit_compile=False):
    """The β-TCVAE (stratified) model with `extensions`, ready to time."""
    model = VAE(SHAPE, regularizer=BetaTCVAE(6.0, estimator="mss",
                                             dataset_size=DSPRITES_SIZE),
                extensions=extensions,
                encoder=cnn4.cnn4_encoder(SHAPE, NUM_LATENT),
                decoder=cnn4.cnn4_decoder(NUM_LATENT, SHAPE),
                clip_global_norm=1.0)
    return ready(model, SHAPE, jit_compile)


def cfasl_step_benchmark(batch_size=64, steps=20, warmup=3, rounds=3,
                         jit_compile=False, seed=0):
    """Images/second of the β-TCVAE step and of the same step with CFASL."""
    return method_benchmark("cfasl", "beta_tc_vae", lambda: build([CFASL()], jit_compile),
                            lambda: build([], jit_compile), batch_size, steps, warmup,
                            rounds, SHAPE, seed, jit_compile=jit_compile)


if __name__ == "__main__":
    print(json.dumps(cfasl_step_benchmark()))
