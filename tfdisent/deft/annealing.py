"""The annealing test: one-latent β-VAEs on single-factor data, β annealed down.

For a factor k and an anchor factor vector, the data are the images of the
anchor with factor k swept through all its values (nothing else varies);
batches draw from them uniformly with replacement. A β-VAE with one latent
(disentanglement_lib's conv encoder / deconv decoder, Bernoulli NLL summed per
image, Adam) is trained with β(t) = β_max·exp(−γ·t/T) + 1 until T steps or
until the batch reconstruction loss falls below `reconstruction_threshold`.
The KL and β of every step form the trace that tfdisent.deft.ifp reads.
"""

import json
import os
import sys

import keras
import numpy as np
import tensorflow as tf

from tfdisent import callbacks as progress, losses, optimizers
from tfdisent.data import pipelines, registry, sampling
from tfdisent.deft import ifp, plot
from tfdisent.models.deft import AnnealingBeta, ScheduledBetaVAE
from tfdisent.models.vae import VAE
from tfdisent.nets import dlib


PROGRESS_EVERY = 500  # steps between progress lines of one run


def sweep_data(data, factor, anchor):
    """(factors int64 [V, F], uint8 images [V, H, W, C]): `anchor` with
    `factor` swept through its V values."""
    factors = sampling.single_factor_sweep(data, factor, anchor)
    images = data.observations_from_factors_uint8(factors, np.random.RandomState(0))
    return factors, np.asarray(images, dtype=np.uint8)


def sweep_batches(images, batch_size, seed, scale=255.0):
    """Infinite float32 batches drawn uniformly (with replacement) from
    `images`; batch t is a function of (seed, t)."""
    images = tf.constant(images)
    count = int(images.shape[0])

    def batch(step):
        index = tf.random.stateless_uniform([batch_size], seed=[seed, step],
                                            maxval=count, dtype=tf.int64)
        return tf.cast(tf.gather(images, index), tf.float32) / scale

    return tf.data.Dataset.range(np.iinfo(np.int64).max).map(batch).prefetch(2)


def check_shape(observation_shape):
    """The shape as a tuple; ValueError unless 64x64 images (the conv nets')."""
    shape = tuple(observation_shape)
    if len(shape) != 3 or shape[:2] != (64, 64):
        raise ValueError("the annealing test's conv nets need 64x64 images, the "
                         "dataset has observations of shape %s" % (shape,))
    return shape


def annealing_model(observation_shape, schedule, seed, learning_rate):
    """The compiled one-latent β-VAE with the annealed β."""
    shape = check_shape(observation_shape)
    keras.utils.set_random_seed(seed)
    model = VAE(shape, regularizer=ScheduledBetaVAE(schedule),
                encoder=dlib.conv_encoder(shape, 1),
                decoder=dlib.deconv_decoder(1, shape),
                reconstruction_loss=losses.bernoulli_loss, seed=seed)
    model.build_for(shape)
    model.compile(optimizer=optimizers.make_optimizer(learning_rate=learning_rate))
    model.build_optimizers()
    return model


class TraceRecorder(keras.callbacks.Callback):
    """Records β, KL and reconstruction loss per step; stops training once
    the batch reconstruction loss is below `reconstruction_threshold`."""

    def __init__(self, reconstruction_threshold):
        super().__init__()
        self.reconstruction_threshold = reconstruction_threshold
        self.trace = {"beta": [], "kl": [], "reconstruction": []}

    def on_train_batch_end(self, batch, logs=None):
        for key, name in (("beta", "beta"), ("kl", "kl_loss"),
                          ("reconstruction", "reconstruction_loss")):
            self.trace[key].append(float(np.mean(logs[name])))
        if self.trace["reconstruction"][-1] < self.reconstruction_threshold:
            self.model.stop_training = True


def anneal(data, factor, anchor, seed=0, steps=8000, beta_max=70.0, gamma=15.0,
           batch_size=64, learning_rate=1e-3, reconstruction_threshold=1.0):
    """Trains one annealing run; returns its trace {beta, kl, reconstruction}
    as float arrays (one entry per step run)."""
    _, images = sweep_data(data, factor, anchor)
    model = annealing_model(data.observation_shape,
                            AnnealingBeta(beta_max, gamma, steps), seed,
                            learning_rate)
    recorder = TraceRecorder(reconstruction_threshold)
    counter = progress.BatchCounter(steps)
    model.fit(sweep_batches(images, batch_size, seed, data.uint8_scale),
              epochs=1, steps_per_epoch=steps, verbose=0, shuffle=False,
              callbacks=[recorder, counter, progress.ProgressLogger(
                  counter, PROGRESS_EVERY, batch_size, stream=sys.stdout)])
    return {key: np.asarray(values) for key, values in recorder.trace.items()}


def subsample(trace, points, window=ifp.WINDOW):
    """Every k-th step of a trace (and the last), at most about `points` rows,
    with the smoothed KL the IFP is read from."""
    length = len(trace["kl"])
    keep = np.unique(np.append(np.arange(0, length, max(1, length // points)),
                               length - 1)) if length else np.arange(0)
    smoothed = ifp.moving_average(trace["kl"], window)
    return {"step": keep.tolist(),
            "beta": trace["beta"][keep].tolist(),
            "kl": trace["kl"][keep].tolist(),
            "kl_smoothed": smoothed[keep].tolist(),
            "reconstruction": trace["reconstruction"][keep].tolist()}


def annealing_test(data, factors, seeds=(0,), num_anchors=1, trace_points=400,
                   kl_threshold=ifp.KL_THRESHOLD, window=ifp.WINDOW, **run_options):
    """Runs every (factor, seed, anchor); returns the JSON-ready result:
    per factor its runs (IFP, status, anchor, subsampled trace), the IFPs, their
    mean and std, and the suggested stage thresholds across factors."""
    anchors = [pipelines.draw_anchor(data, a) for a in range(num_anchors)]
    results = {}
    count, done = len(factors) * len(seeds) * len(anchors), 0
    for factor in factors:
        runs = []
        for seed in seeds:
            for anchor in anchors:
                done += 1
                print("annealing run %d/%d: factor %d, seed %d, anchor %s"
                      % (done, count, factor, seed, anchor.tolist()), flush=True)
                trace = anneal(data, factor, anchor, seed=seed, **run_options)
                point = ifp.information_freezing_point(
                    trace["beta"], trace["kl"], kl_threshold, window)
                runs.append({"seed": int(seed), "anchor": anchor.tolist(),
                             "ifp": None if point.status != "ok" else point.beta,
                             "ifp_step": point.step, "status": point.status,
                             "steps_run": int(len(trace["kl"])),
                             "trace": subsample(trace, trace_points, window)})
        ifps = [r["ifp"] for r in runs]
        mean, std = ifp.ifp_statistics(ifps)
        results[str(factor)] = {"name": data.factor_names[factor], "ifps": ifps,
                                "mean": mean, "std": std, "runs": runs}
    statistics = {k: (v["mean"], v["std"]) for k, v in results.items()}
    return {"factors": results,
            "suggested_thresholds": ifp.suggest_thresholds(statistics)}


OUTPUTS = ("ifp.json", "ifp.png")


def run(dataset, factors, output_dir, overwrite=False, seeds=(0,), num_anchors=1,
        kl_threshold=ifp.KL_THRESHOLD, window=ifp.WINDOW, **run_options):
    """The annealing test on a registered dataset: writes OUTPUT_DIR/ifp.json
    (settings + `annealing_test` result) and OUTPUT_DIR/ifp.png; returns the
    JSON content. Refuses to replace earlier outputs without `overwrite`."""
    existing = [n for n in OUTPUTS if os.path.exists(os.path.join(output_dir, n))]
    if existing and not overwrite:
        raise FileExistsError("%s already holds %s; pass --overwrite to replace"
                              % (output_dir, ", ".join(existing)))
    data = registry.get(dataset)
    for factor in factors:
        sampling.check_factor(data, factor)
    check_shape(data.observation_shape)
    result = annealing_test(data, factors, seeds, num_anchors,
                            kl_threshold=kl_threshold, window=window, **run_options)
    report = {"dataset": dataset,
              "settings": dict(run_options, seeds=[int(s) for s in seeds],
                               num_anchors=num_anchors, kl_threshold=kl_threshold,
                               window=window),
              **result}
    os.makedirs(output_dir, exist_ok=True)
    with open(os.path.join(output_dir, OUTPUTS[0]), "w") as f:
        json.dump(report, f, indent=1)
    plot.plot_annealing(report, os.path.join(output_dir, OUTPUTS[1]), kl_threshold)
    return report
