"""What the step benchmarks share: data, the timer, and the result record."""

import time

import numpy as np
import tensorflow as tf

from tfdisent import optimizers


def binary_batches(batch_size, shape=(64, 64, 1), seed=0):
    """One fixed batch of sparse binary images, repeated."""
    rs = np.random.RandomState(seed)
    images = (rs.uniform(size=(batch_size, *shape)) > 0.9).astype(np.float32)
    return tf.data.Dataset.from_tensors(images).repeat()


def ready(model, shape, jit_compile=False, learning_rate=1e-4):
    """Builds, compiles and builds the optimizers of a benchmark model."""
    model.build_for(shape)
    model.compile(optimizer=optimizers.make_optimizer(learning_rate=learning_rate),
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


def comparison(model, baseline, model_rate, baseline_rate, **settings):
    """The one JSON record a method benchmark prints."""
    return dict(model=model, baseline=baseline, **settings,
                device="GPU" if tf.config.list_logical_devices("GPU") else "CPU",
                **{"%s_images_per_second" % baseline: baseline_rate,
                   "%s_images_per_second" % model: model_rate,
                   "%s_relative_throughput" % model: model_rate / baseline_rate})
