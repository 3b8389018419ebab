"""Images/second of the procedural datasets: raw renderer and tf.data pipeline.

    python bench/data.py [--seconds=3] [--batch_size=64] [--train_images_per_second=R]

Prints one JSON object. Per dataset: `renderer_images_per_second` (sample
factors + render uint8 batches in numpy, one thread),
`pipeline_images_per_second` (`pipelines.image_batches`, float32 batches out
of tf.data), `pipeline_cpu_ms_per_batch` (the process's CPU time per batch
while one graph op drains the pipeline: what the pipeline takes from the
cores a training step runs on) and `setup_seconds` (construction plus any
one-off cache fill, e.g. the shapes3d ray casting). With
--train_images_per_second (the training step's consumption rate, from
bench/train.py), each dataset also gets `pipeline_over_train`; the
target is >= 10.
"""

import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # pylint: disable=wrong-import-position
import tensorflow as tf  # pylint: disable=wrong-import-position

from tfdisent import data as datasets  # pylint: disable=wrong-import-position
from tfdisent.data import pipelines  # pylint: disable=wrong-import-position

DATASETS = ("sprites", "color_sprites", "noisy_sprites", "scream_sprites", "shapes3d")


def images_per_second(next_batch, batch_size, seconds):
    """Calls next_batch() for about `seconds` (after one warm-up call)."""
    next_batch()
    batches, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        next_batch()
        batches += 1
    return batches * batch_size / (time.perf_counter() - start)


def measure(name, batch_size, seconds):
    start = time.perf_counter()
    data = datasets.get(name)
    if hasattr(data, "precompute"):
        data.precompute()
    setup = time.perf_counter() - start
    random_state = np.random.RandomState(0)

    def render():
        factors = data.sample_factors(batch_size, random_state)
        data.observations_from_factors_uint8(factors, random_state)
    batches = iter(pipelines.image_batches(data, batch_size, seed=0))
    rate = images_per_second(lambda: next(batches), batch_size, seconds)
    return {
            "setup_seconds": round(setup, 3),
            "renderer_images_per_second": round(images_per_second(render, batch_size, seconds)),
            "pipeline_images_per_second": round(rate),
            "pipeline_cpu_ms_per_batch": round(pipeline_cpu_ms(
                    pipelines.image_batches(data, batch_size, seed=0),
                    max(10, int(rate * seconds / batch_size))), 3),
    }


def pipeline_cpu_ms(batches, count):
    """Process CPU milliseconds per batch while one `Dataset.reduce` op drains
    `count` batches (no Python per batch): what making a batch takes from the
    cores a training step shares with the pipeline."""
    def drain(n):
        return batches.take(n).reduce(tf.constant(0, tf.int64), lambda total, _: total + 1)
    drain(2)
    start = time.process_time()
    drain(count)
    return (time.process_time() - start) / count * 1e3


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per measurement")
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--train_images_per_second", type=float, default=None,
                        help="training consumption rate to compare against")
    args = parser.parse_args()
    results = {name: measure(name, args.batch_size, args.seconds)
               for name in args.datasets.split(",")}
    if args.train_images_per_second:
        for result in results.values():
            result["pipeline_over_train"] = round(
                    result["pipeline_images_per_second"] / args.train_images_per_second, 2)
    print(json.dumps({"batch_size": args.batch_size, "seconds_per_measurement": args.seconds,
                      "train_images_per_second": args.train_images_per_second,
                      "datasets": results}, indent=2))


if __name__ == "__main__":
    main()
