"""Training-step throughput; prints one JSON object.

--model=beta_vae: the tfdisent step (keras fit on the composed VAE, dlib conv
nets, batch 64, 64x64x1) next to a plain hand-written tf.GradientTape step of
the same networks and loss, measured in the same run. --model=cfasl / mipe /
qlae: the method's step next to the base step it extends (bench/<model>.py).
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import tensorflow as tf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from tfdisent import optimizers  # noqa: E402
from tfdisent.latents import gaussian  # noqa: E402
from tfdisent.models.regularizers import BetaVAE  # noqa: E402
from tfdisent.models.vae import VAE  # noqa: E402
from tfdisent.nets import dlib  # noqa: E402

SHAPE = (64, 64, 1)


def library_runner(images, jit_compile):
    """Runs `n` tfdisent steps (keras fit on the composed VAE)."""
    model = VAE(SHAPE, regularizer=BetaVAE(4.0), encoder=dlib.conv_encoder(SHAPE, 10),
                decoder=dlib.deconv_decoder(10, SHAPE))
    model.build_for(SHAPE)
    model.compile(optimizer=optimizers.make_optimizer(), jit_compile=jit_compile)
    model.build_optimizers()
    batches = tf.data.Dataset.from_tensors(images).repeat()
    return lambda n: model.fit(batches, epochs=1, steps_per_epoch=n, verbose=0)


def reference_runner(images, jit_compile):
    """Runs `n` steps of the same β-VAE written by hand: tape, Adam, no framework."""
    encoder, decoder = dlib.conv_encoder(SHAPE, 10), dlib.deconv_decoder(10, SHAPE)
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
            loss = recon + 4.0 * kl
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    def run(n):
        for _ in range(n):
            loss = step()
        loss.numpy()
    return run


def rate(run, batch_size, steps):
    start = time.perf_counter()
    run(steps)
    return steps * batch_size / (time.perf_counter() - start)


def beta_vae_benchmark(batch_size, steps, warmup, jit_compile, rounds=3):
    rs = np.random.RandomState(0)
    images = (rs.uniform(size=(batch_size, *SHAPE)) > 0.9).astype(np.float32)
    runners = {"reference": reference_runner(images, jit_compile),
               "library": library_runner(images, jit_compile)}
    for run in runners.values():
        run(warmup)
    best = {name: 0.0 for name in runners}
    for _ in range(rounds):  # interleaved; the best round (noise only slows)
        for name, run in runners.items():
            best[name] = max(best[name], rate(run, batch_size, steps))
    library, reference = best["library"], best["reference"]
    return {"model": "beta_vae", "batch_size": batch_size, "steps": steps,
            "jit_compile": jit_compile,
            "device": "GPU" if tf.config.list_logical_devices("GPU") else "CPU",
            "tfdisent_images_per_second": library,
            "reference_images_per_second": reference,
            "ratio": library / reference}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="beta_vae",
                        choices=["beta_vae", "cfasl", "mipe", "qlae"])
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--jit_compile", action="store_true")
    parser.add_argument("--rounds", type=int, default=5,
                        help="interleaved timing rounds for --model=beta_vae (best kept)")
    args = parser.parse_args()
    if args.model == "beta_vae":
        result = beta_vae_benchmark(args.batch_size, args.steps, args.warmup,
                                    args.jit_compile, args.rounds)
    else:
        module = __import__(args.model)
        result = getattr(module, "%s_step_benchmark" % args.model)(
            batch_size=args.batch_size, steps=args.steps, warmup=args.warmup,
            jit_compile=args.jit_compile)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
