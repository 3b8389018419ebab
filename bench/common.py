"""What the step benchmarks share: data, timers, interleaved best-of rounds,
and the result record."""

import time

import numpy as np
import tensorflow as tf

from tfdisent import optimizers

CLOCKS = {"wall": time.perf_counter, "process": time.process_time}
_clock = {"now": time.perf_counter}


def use_clock(name):
    """Times with wall time ("wall") or with this process's CPU time
    ("process": on a shared machine, the work done, whatever the others'
    load; it counts every thread, the input pipeline's included)."""
    _clock["now"] = CLOCKS[name]


def now():
    return _clock["now"]()


def binary_images(batch_size, shape=(64, 64, 1), seed=0):
    """One fixed batch of sparse binary images (numpy)."""
    rs = np.random.RandomState(seed)
    return (rs.uniform(size=(batch_size, *shape)) > 0.9).astype(np.float32)


def binary_batches(batch_size, shape=(64, 64, 1), seed=0):
    """One fixed batch of sparse binary images, repeated."""
    return tf.data.Dataset.from_tensors(binary_images(batch_size, shape, seed)).repeat()


def ready(model, shape, jit_compile=False, learning_rate=1e-4, steps_per_execution=1):
    """Builds, compiles and builds the optimizers of a benchmark model."""
    model.build_for(shape)
    model.compile(optimizer=optimizers.make_optimizer(learning_rate=learning_rate),
                  jit_compile=jit_compile, steps_per_execution=steps_per_execution)
    model.build_optimizers()
    return model


def fit_timer(model, batches):
    """seconds(n): the time (see `use_clock`) of n `fit` steps of a compiled model."""
    def seconds(n):
        start = now()
        model.fit(batches, epochs=1, steps_per_epoch=n, verbose=0)
        return now() - start
    return seconds


def interleaved_rates(timers, batch_size, steps, warmup, rounds):
    """Images/second of every timer (name -> seconds(n)), timed in `rounds`
    interleaved rounds after one warm-up call each (tracing), keeping each
    one's fastest round (load only slows, and interleaving spreads it over
    all timers alike)."""
    return rates_of(interleaved_times(timers, steps, warmup, rounds), min, batch_size, steps)


def interleaved_times(timers, steps, warmup, rounds, unwarmed=()):
    """name -> [seconds of `steps` steps in each round] of `interleaved_rates`;
    a timer named in `unwarmed` gets no warm-up call (each of its calls is a
    whole training run that leaves its own warm-up out of the time)."""
    for name, seconds in timers.items():
        if name not in unwarmed:
            seconds(warmup)
    times = {name: [] for name in timers}
    for _ in range(rounds):
        for name, seconds in timers.items():
            times[name].append(seconds(steps))
    return times


def rates_of(times, pick, batch_size, steps):
    """Images/second of every timer from the seconds `pick` takes of its rounds."""
    return {name: steps * batch_size / pick(rounds) for name, rounds in times.items()}


def round_ratios(timers, batch_size, steps, warmup, rounds, unwarmed, numerator, denominator):
    """`interleaved_rates`, and the rate ratio numerator / denominator within
    each round (timed back to back, so a slow stretch of the machine that
    spans a round cancels): (rates, [ratio of round 1, ...])."""
    times = interleaved_times(timers, steps, warmup, rounds, unwarmed)
    ratios = [times[denominator][i] / times[numerator][i] for i in range(rounds)]
    return rates_of(times, min, batch_size, steps), ratios


def device():
    return "GPU" if tf.config.list_logical_devices("GPU") else "CPU"


def comparison(model, baseline, model_rate, baseline_rate, **settings):
    """The one JSON record a method benchmark prints (`ratio`: model/baseline)."""
    return dict(model=model, baseline=baseline, **settings, device=device(),
                **{"%s_images_per_second" % baseline: baseline_rate,
                   "%s_images_per_second" % model: model_rate,
                   "ratio": model_rate / baseline_rate})


def method_benchmark(model, baseline, build_model, build_baseline, batch_size, steps,
                     warmup, rounds, shape=(64, 64, 1), seed=0, **settings):
    """A method's fit step next to the fit step of the base it extends, on
    the same fixed batch, in interleaved rounds."""
    batches = binary_batches(batch_size, shape, seed)
    rates = interleaved_rates({baseline: fit_timer(build_baseline(), batches),
                               model: fit_timer(build_model(), batches)},
                              batch_size, steps, warmup, rounds)
    return comparison(model, baseline, rates[model], rates[baseline],
                      batch_size=batch_size, steps=steps, rounds=rounds, **settings)
