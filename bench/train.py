"""Training throughput; prints one JSON object (`ratio`: tfdisent over the plain
step, or the method over its base).

--model=beta_vae (default): the tfdisent step (keras fit on the composed VAE,
dlib conv nets, β 4, batch 64, 64x64x1) next to a plain hand-written
tf.function step of the same networks and loss on one fixed batch.

--end_to_end: the real bin/train path (`tfdisent.train.train_with_gin` on
gin_configs/beta_vae.gin: dataset pipeline, callbacks, TensorBoard logging,
checkpoints) next to the plain step of the same networks on a fixed batch,
the bare fit step on that batch, and the bare fit step on the dataset's
pipeline (`pipeline_ratio`: what the pipeline costs the fit step;
`end_to_end_over_fit_on_pipeline`: what the training loop and its callbacks
cost on top). Each round is one fresh training run of log_every + steps
steps, timed by train's own `steady_steps_per_second`: the wall-clock rate
from its first progress line to its last, which leaves out tracing, building
and the run's first interval (the other timers' --warmup) as well as the
final checkpoint and export. (Timing two runs of different lengths and
taking the difference, as before, added the spread of two start-ups to every
round: 2.5 to 8.3 s for the same 32-step run.)

The procedural renderers' caches (shapes3d's ray-cast views, sprites'
windows; each shared by every instance in the process) are filled before
timing.

--tiny: --end_to_end with a few-thousand-parameter VAE on 8x8 xy_square
images, where the per-step overhead dominates as it does on a GPU.

--model=cfasl / mipe / qlae: the method's step next to the base step it
extends (bench/<model>.py).

All rates are the best of interleaved rounds in one run (load only slows).
--end_to_end also reports `round_ratios`, end to end over the plain step
within each round (timed back to back), and their median
(`median_round_ratio`): steadier than the ratio of two bests when the
machine has slow stretches.
"""

import argparse
import contextlib
import inspect
import json
import math
import os
import sys
import tempfile

import gin
import keras
import numpy as np
import tensorflow as tf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (CLOCKS, binary_images, device, fit_timer, interleaved_rates, now,  # noqa: E402
                    ready, round_ratios, use_clock)

from tfdisent import optimizers, train  # noqa: E402
from tfdisent.data import pipelines, registry  # noqa: E402
from tfdisent.latents import gaussian  # noqa: E402
from tfdisent.models.regularizers import BetaVAE  # noqa: E402
from tfdisent.models.vae import VAE  # noqa: E402
from tfdisent.nets import dlib  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BETA = 4.0  # gin_configs/beta_vae.gin
TINY_DATASET = ("xy_square", {"image_size": 8, "square_size": 2, "num_positions": 7})
TINY_LATENT, TINY_HIDDEN = 4, 32


@gin.configurable("bench_tiny_encoder", allowlist=[])
def tiny_encoder(input_shape, num_latent):
    """Flatten -> Dense(32, relu) -> mean, logvar (2.3k parameters at 8x8, 4)."""
    x = inputs = keras.Input(input_shape, name="images")
    x = keras.layers.Dense(TINY_HIDDEN, activation="relu")(keras.layers.Flatten()(x))
    return keras.Model(inputs, dlib.gaussian_heads(x, num_latent), name="encoder")


@gin.configurable("bench_tiny_decoder", allowlist=[])
def tiny_decoder(num_latent, output_shape):
    """Dense(32, relu) -> Dense(H W C) logits (2.3k parameters at 4, 8x8)."""
    z = keras.Input((num_latent,), name="latents")
    x = keras.layers.Dense(TINY_HIDDEN, activation="relu")(z)
    x = keras.layers.Dense(math.prod(output_shape))(x)
    return keras.Model(z, keras.layers.Reshape(tuple(output_shape))(x), name="decoder")


def dlib_nets(shape, num_latent=10):
    return dlib.conv_encoder(shape, num_latent), dlib.deconv_decoder(num_latent, shape)


def tiny_nets(shape, num_latent=TINY_LATENT):
    return tiny_encoder(shape, num_latent), tiny_decoder(num_latent, shape)


def library_timer(nets, batches, jit_compile, steps_per_execution):
    """The tfdisent step: keras fit on the composed β-VAE over `batches`."""
    shape = tuple(batches.element_spec.shape[1:])
    encoder, decoder = nets(shape)
    model = ready(VAE(shape, regularizer=BetaVAE(BETA), encoder=encoder, decoder=decoder),
                  shape, jit_compile, steps_per_execution=steps_per_execution)
    return fit_timer(model, batches)


def repeated(images):
    return tf.data.Dataset.from_tensors(images).repeat()


def reference_timer(nets, images, jit_compile):
    """The same β-VAE written by hand: one tf.function step (tape, Adam, no
    framework) called n times, one host sync at the end."""
    encoder, decoder = nets(images.shape[1:])
    variables = encoder.trainable_variables + decoder.trainable_variables
    optimizer = optimizers.make_optimizer()
    optimizer.build(variables)
    x = tf.constant(images)

    @tf.function(jit_compile=jit_compile)
    def step():
        with tf.GradientTape() as tape:
            encoded = encoder(x, training=True)
            mean, logvar = encoded["mean"], encoded["logvar"]
            z = mean + tf.exp(0.5 * logvar) * tf.random.normal(tf.shape(mean))
            logits = decoder(z, training=True)
            recon = tf.reduce_mean(tf.reduce_sum(
                tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=logits), [1, 2, 3]))
            kl = tf.reduce_mean(tf.reduce_sum(gaussian.kl_per_dimension(mean, logvar), 1))
            loss = recon + BETA * kl
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    def seconds(n):
        start = now()
        for _ in range(n):
            loss = step()
        loss.numpy()
        return now() - start
    return seconds


def end_to_end_timer(bindings):
    """seconds(n): n steps at the steady rate of a fresh `train_with_gin` run
    of log_every + n steps on gin_configs/beta_vae.gin + `bindings` (its
    progress lines go to stderr)."""
    config = os.path.join(ROOT, "gin_configs", "beta_vae.gin")
    log_every = inspect.signature(train.train).parameters["log_every"].default

    def seconds(n):
        with tempfile.TemporaryDirectory() as model_dir, \
                contextlib.redirect_stdout(sys.stderr):
            result = train.train_with_gin(
                model_dir, overwrite=True, gin_config_files=[config],
                gin_bindings=list(bindings) + ["model.training_steps = %d" % (log_every + n)])
        return n / result["steady_steps_per_second"]
    return seconds


def end_to_end_benchmark(tiny, dataset, batch_size, steps, warmup, rounds, jit_compile,
                         steps_per_execution, gin_bindings=()):
    """bin/train's path, the bare fit step and the plain step, in one run."""
    bindings = ["model.batch_size = %d" % batch_size, "model.jit_compile = %s" % jit_compile]
    bindings += list(gin_bindings)
    if steps_per_execution != 1:
        bindings.append("model.steps_per_execution = %d" % steps_per_execution)
    if tiny:
        dataset, options = TINY_DATASET
        bindings += ["dataset.options = %r" % options,
                     "encoder.encoder_fn = @bench_tiny_encoder",
                     "decoder.decoder_fn = @bench_tiny_decoder",
                     "encoder.num_latent = %d" % TINY_LATENT]
        nets = tiny_nets
    else:
        options, nets = {}, dlib_nets
    bindings.append("dataset.name = %r" % dataset)
    data = registry.get(dataset, **options)
    if hasattr(data, "precompute"):  # fill the renderer's cache once per process
        data.precompute()
    images = binary_images(batch_size, data.observation_shape)
    timers = {"reference": reference_timer(nets, images, jit_compile),
              "fit": library_timer(nets, repeated(images), jit_compile, steps_per_execution),
              "fit_on_pipeline": library_timer(nets, pipelines.image_batches(data, batch_size, 0),
                                               jit_compile, steps_per_execution),
              "end_to_end": end_to_end_timer(bindings)}
    rates, ratios = round_ratios(timers, batch_size, steps, warmup, rounds, ["end_to_end"],
                                 "end_to_end", "reference")
    reference, fit, end_to_end = rates["reference"], rates["fit"], rates["end_to_end"]
    on_pipeline = rates["fit_on_pipeline"]
    return {"model": "tiny_vae" if tiny else "beta_vae", "mode": "end_to_end",
            "dataset": dataset, "gin_bindings": list(gin_bindings), "batch_size": batch_size, "steps": steps,
            "rounds": rounds, "steps_per_execution": steps_per_execution,
            "jit_compile": jit_compile, "device": device(),
            "parameters": sum(int(tf.size(v)) for n in nets(data.observation_shape)
                              for v in n.weights),
            "reference_images_per_second": reference,
            "fit_images_per_second": fit,
            "fit_on_pipeline_images_per_second": on_pipeline,
            "end_to_end_images_per_second": end_to_end,
            "ratio": end_to_end / reference,
            "round_ratios": ratios,
            "median_round_ratio": float(np.median(ratios)),
            "fit_ratio": fit / reference,
            "pipeline_ratio": on_pipeline / fit,
            "end_to_end_over_fit_on_pipeline": end_to_end / on_pipeline}


def beta_vae_benchmark(batch_size, steps, warmup, rounds, jit_compile, steps_per_execution):
    """The tfdisent fit step next to the plain step, one fixed batch."""
    images = binary_images(batch_size)
    rates = interleaved_rates(
        {"reference": reference_timer(dlib_nets, images, jit_compile),
         "library": library_timer(dlib_nets, repeated(images), jit_compile,
                                  steps_per_execution)},
        batch_size, steps, warmup, rounds)
    library, reference = rates["library"], rates["reference"]
    return {"model": "beta_vae", "batch_size": batch_size, "steps": steps,
            "rounds": rounds, "steps_per_execution": steps_per_execution,
            "jit_compile": jit_compile, "device": device(),
            "tfdisent_images_per_second": library,
            "reference_images_per_second": reference,
            "ratio": library / reference}


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="beta_vae",
                        choices=["beta_vae", "cfasl", "mipe", "qlae"])
    parser.add_argument("--end_to_end", action="store_true",
                        help="time the bin/train path (beta_vae only)")
    parser.add_argument("--tiny", action="store_true",
                        help="--end_to_end with a tiny VAE on 8x8 images")
    parser.add_argument("--dataset", default="sprites", help="--end_to_end's dataset")
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=5,
                        help="interleaved timing rounds (the best is kept)")
    parser.add_argument("--steps_per_execution", type=int, default=1,
                        help="steps per host call of fit and bin/train")
    parser.add_argument("--gin_bindings", action="append", default=[],
                        help="extra gin bindings of the --end_to_end run (repeatable)")
    parser.add_argument("--jit_compile", action="store_true")
    parser.add_argument("--clock", default="wall", choices=sorted(CLOCKS),
                        help="wall time, or this process's CPU time (steadier on a "
                        "shared machine)")
    args = parser.parse_args()
    use_clock(args.clock)
    if (args.end_to_end or args.tiny) and args.model != "beta_vae":
        parser.error("--end_to_end/--tiny time the beta_vae config, not --model=%s"
                     % args.model)
    if (args.end_to_end or args.tiny) and args.clock != "wall":
        parser.error("--end_to_end/--tiny use bin/train's own wall-clock rate; "
                     "--clock=%s does not apply" % args.clock)
    spe = args.steps_per_execution
    if spe < 1 or args.steps % spe or args.warmup % spe:
        parser.error("--steps and --warmup must be multiples of --steps_per_execution >= 1")
    if args.end_to_end or args.tiny:
        result = end_to_end_benchmark(args.tiny, args.dataset, args.batch_size, args.steps,
                                      args.warmup, args.rounds, args.jit_compile,
                                      args.steps_per_execution, args.gin_bindings)
    elif args.model == "beta_vae":
        result = beta_vae_benchmark(args.batch_size, args.steps, args.warmup, args.rounds,
                                    args.jit_compile, args.steps_per_execution)
    else:
        if args.steps_per_execution != 1:
            parser.error("--steps_per_execution applies to beta_vae only")
        module = __import__(args.model)
        result = getattr(module, "%s_step_benchmark" % args.model)(
            batch_size=args.batch_size, steps=args.steps, warmup=args.warmup,
            rounds=args.rounds, jit_compile=args.jit_compile)
    result["clock"] = args.clock
    print(json.dumps(result))


if __name__ == "__main__":
    main()
