"""CFASL training-step throughput next to the β-TCVAE step it extends.

Both models are built the same way (cnn4 nets, latent 10, 64x64x1, β-TCVAE
with the stratified estimator, clip 1.0) and timed in the same process on the
same batch, in interleaved rounds. `bench/train.py --model=cfasl` calls
`cfasl_step_benchmark()`; run this file directly for one JSON object; `--breakdown` times where
CFASL's extra time goes (`cfasl_breakdown()`).
"""

import argparse
import contextlib
import json
import os
import sys

import tensorflow as tf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (binary_batches, fit_timer, interleaved_rates, method_benchmark,  # noqa: E402
                    ready, use_clock)

from tfdisent.latents import symmetry  # noqa: E402
from tfdisent.models.base import Component, Term  # noqa: E402
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


class SecondDecoderPass(Component):
    """CFASL's decoder work alone: the batch's codes decoded twice in one
    call (2B codes), the second half scored with weight 0.1, as CFASL's
    decoder-equivariance term."""

    def prepare(self, ctx):
        logits = ctx.model.decoder(tf.concat([ctx.z, 0.5 * ctx.z], 0), training=ctx.training)
        batch = tf.shape(ctx.z)[0]
        ctx.reconstruction_logits, ctx.second_logits = logits[:batch], logits[batch:]

    def terms(self, ctx):
        return {"second_pass": Term(tf.reduce_mean(ctx.model.reconstruction_loss(
            ctx.x, ctx.second_logits)), 0.1)}


def _zero(*args):
    del args
    return tf.constant(0.0)


CODEBOOK_LOSSES = ("parallel_loss", "perpendicular_loss", "sparsity_loss",
                   "commutativity_loss")


@contextlib.contextmanager
def _losses(replacements):
    """symmetry's loss functions replaced while a model traces its step."""
    saved = {name: getattr(symmetry, name) for name in replacements}
    for name, function in replacements.items():
        setattr(symmetry, name, function)
    try:
        yield
    finally:
        for name, function in saved.items():
            setattr(symmetry, name, function)


def _patched(timer, replacements):
    def seconds(n):
        with _losses(replacements):
            return timer(n)
    return seconds


def cfasl_breakdown(batch_size=64, steps=10, warmup=3, rounds=3, seed=0):
    """Images/second, in interleaved rounds, of: the β-TCVAE step; it plus a
    second decoder pass (CFASL's floor); CFASL without the codebook losses
    (parallel, perpendicular, sparsity, commutativity: constant 0); CFASL
    with the previous, plain formulation of the parallel and commutativity
    losses (tests/latents/test_symmetry_formulations.py); CFASL."""
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from tests.latents import test_symmetry_formulations as plain  # noqa: E402
    batches = binary_batches(batch_size, SHAPE, seed)
    variants = {
        "beta_tc_vae": ([], {}),
        "second_decoder_pass": ([SecondDecoderPass()], {}),
        "cfasl_without_codebook_losses": ([CFASL()], dict.fromkeys(CODEBOOK_LOSSES, _zero)),
        "cfasl_plain_losses": ([CFASL()], {
            "parallel_loss": plain.plain_parallel_loss,
            "commutativity_loss": plain.plain_commutativity_loss}),
        "cfasl": ([CFASL()], {}),
    }
    timers = {name: _patched(fit_timer(build(extensions), batches), replacements)
              for name, (extensions, replacements) in variants.items()}
    rates = interleaved_rates(timers, batch_size, steps, warmup, rounds)
    base = rates["beta_tc_vae"]
    return {"batch_size": batch_size, "steps": steps, "rounds": rounds,
            "images_per_second": rates,
            "ratio": {name: rate / base for name, rate in rates.items()}}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--breakdown", action="store_true")
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clock", default="wall", choices=["wall", "process"])
    args = parser.parse_args()
    use_clock(args.clock)
    run = cfasl_breakdown if args.breakdown else cfasl_step_benchmark
    result = run(batch_size=args.batch_size, steps=args.steps, rounds=args.rounds)
    result["clock"] = args.clock
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
