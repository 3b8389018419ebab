"""MIPE training-step throughput next to the β-TCVAE step it extends.

Both models are built as in bench/cfasl.py (cnn4 nets, latent 10, 64x64x1,
β-TCVAE with the stratified estimator, clip 1.0; the MIPE model adds m IPE
units + EF-conversions and decodes m·B codes) and timed in the same process
on the same batch, in interleaved rounds. `bench/train.py --model=mipe` calls
`mipe_step_benchmark()`; run this file directly for one JSON object.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cfasl import build  # noqa: E402  (the shared β-TCVAE builder)
from common import method_benchmark  # noqa: E402

from tfdisent.models.mipe import MIPE  # noqa: E402


def mipe_step_benchmark(batch_size=64, steps=20, warmup=3, rounds=3, num_units=3,
                        jit_compile=False, seed=0):
    """Images/second of the β-TCVAE step and of the same step with MIPE."""
    return method_benchmark(
        "mipe", "beta_tc_vae",
        lambda: build([MIPE(num_units=num_units, ef_kl_in_loss=False)], jit_compile),
        lambda: build([], jit_compile), batch_size, steps, warmup, rounds, seed=seed,
        num_units=num_units, jit_compile=jit_compile)


if __name__ == "__main__":
    print(json.dumps(mipe_step_benchmark()))
