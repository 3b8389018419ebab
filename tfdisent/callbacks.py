"""Training callbacks keyed on the host's step count (`StepDriver.step`), so
resumed runs log and checkpoint at the right steps and no callback reads the
device between event steps: the halt check, checkpoints, progress lines and
TensorBoard."""

import datetime
import time

import keras
import numpy as np
import tensorflow as tf

from tfdisent import training_loop


class NonFiniteLossError(RuntimeError):
    pass


class StepCallback(keras.callbacks.Callback):
    """A callback that acts on `driver.step` at the driver's event steps."""

    def __init__(self, driver):
        super().__init__()
        self.driver = driver

    @property
    def step(self):
        return self.driver.step


class HaltCheck(StepCallback):
    """At every event step, reads the device's halt code once: a non-finite
    step (`failure` names the term and the step) or an agreed preemption
    (`preempted_at`) stops training; `halted` tells the other callbacks."""

    def __init__(self, driver):
        super().__init__(driver)
        self.failure = None
        self.preempted_at = None
        self._checked_step = None

    @property
    def halted(self):
        return self.failure is not None or self.preempted_at is not None

    def on_train_batch_end(self, batch, logs=None):
        if self.driver.at_event():
            self.check()

    def check(self):
        """Reads the halt code (once per step); True while training may go on."""
        if self.halted or self._checked_step == self.step:
            return not self.halted
        self._checked_step = self.step
        code = self.driver.halt_code()
        if code == training_loop.NONFINITE:
            self.fail("%s at step %d" % (_first_non_finite(self.driver.logs),
                                         int(self.model.global_step.numpy())))
        elif code == training_loop.PREEMPTED:
            self.preempted_at = int(self.model.global_step.numpy())
            self.model.stop_training = True
        elif self.step >= self.driver.total:
            self.model.stop_training = True
        return not self.halted

    def fail(self, message):
        self.failure = self.failure or message
        self.model.stop_training = True


@tf.function
def _all_finite(variables):
    """One graph call: every value of every variable is finite."""
    return tf.reduce_all([tf.reduce_all(tf.math.is_finite(v)) for v in variables])


def _first_non_finite(logs):
    """"term = value" of the first non-finite term (the total "loss" last,
    since any bad term makes it non-finite)."""
    values = {name: float(np.mean(value)) for name, value in logs.items()}
    names = sorted(values, key=lambda n: n == "loss")
    name = next((n for n in names if not np.isfinite(values[n])), names[-1])
    return "%s = %s" % (name, values[name])


class PeriodicCheckpoint(StepCallback):
    """Saves a tf.train.CheckpointManager every `every` steps, at the end and
    at a preemption; never after a non-finite step or from non-finite weights."""

    def __init__(self, driver, manager, every, halt):
        super().__init__(driver)
        self.manager, self.every, self.halt = manager, every, halt
        self.saved_step = None

    def save(self):
        self.halt.check()
        if self.halt.failure is not None:
            return
        step = int(self.model.global_step.numpy())
        if step != self.saved_step and self._weights_finite(step):
            self.manager.save(checkpoint_number=step)
            self.saved_step = step

    def _weights_finite(self, step):
        if bool(_all_finite(self.model.trainable_variables)):
            return True
        self.halt.fail("non-finite weights at step %d" % step)
        return False

    def on_train_batch_end(self, batch, logs=None):
        if self.every and self.step % self.every == 0:
            self.save()

    def on_train_end(self, logs=None):
        self.save()


class BatchCounter(keras.callbacks.Callback):
    """A step source for plain `fit` runs (one step per batch): counts batches
    on the host and keeps the last logs, without reading them."""

    def __init__(self, total=None):
        super().__init__()
        self.start, self.step, self.total, self.logs = 0, 0, total, None

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        self.logs = logs


class ProgressLogger(StepCallback):
    """Every `every` steps and at the end: step/total, each loss term,
    images/second over the interval (steps/second without a `batch_size`),
    elapsed time and ETA; one line each in a log file, one line rewritten in
    place on a terminal (`stream` None: nothing printed). With a
    `summary_writer`, the same values go to TensorBoard as train/<name>.

    `source` has `step`, `start`, `total` (None: unknown) and `logs`: a
    `StepDriver` or a `BatchCounter` placed before this callback. With a
    `halt` (HaltCheck), nothing is reported from a halted run.
    `steady_steps_per_second()` is the rate from the first line to the last."""

    def __init__(self, source, every, batch_size=None, halt=None, stream=None,
                 summary_writer=None):
        super().__init__(source)
        self.every, self.batch_size, self.halt = every, batch_size, halt
        self.stream = stream
        self.live = stream is not None and stream.isatty()
        self.writer = summary_writer
        self._write_scalars = None
        self.began = self.mark = self.first = None
        self.mark_step = source.start

    def on_train_begin(self, logs=None):
        self.began = self.mark = time.time()
        self.mark_step = self.driver.start

    def on_train_batch_end(self, batch, logs=None):
        total = self.driver.total
        if (self.every and self.step % self.every == 0) or (total and self.step >= total):
            self.report()

    def report(self):
        if (self.halt is not None and not self.halt.check()) or self.step == self.mark_step \
                or self.driver.logs is None:
            return
        values = {name: float(np.mean(v)) for name, v in self.driver.logs.items()}
        now = time.time()
        interval = (self.step - self.mark_step) / max(now - self.mark, 1e-9)
        # The ETA uses the rate since the first line (the first interval
        # includes tracing), or the first interval's rate.
        since, since_step = self.first or (self.mark, self.mark_step)
        rate = (self.step - since_step) / max(now - since, 1e-9) if self.first else interval
        total = self.driver.total
        eta = (total - self.step) / max(rate, 1e-9) if total else None
        speed = "%.0f img/s" % (self.batch_size * interval) if self.batch_size \
            else "%.2f steps/s" % interval
        self.write(progress_line(self.step, total, values, speed, now - self.began, eta))
        if self.writer is not None:
            self._scalar_writer(tuple(values))(tf.constant(self.step, tf.int64),
                                               tf.constant(list(values.values()), tf.float32))
        self.mark, self.mark_step = now, self.step
        self.first = self.first or (now, self.step)

    def steady_steps_per_second(self):
        """Steps/second between the first line and the last, so without the
        first interval's tracing and warm-up; None before a second line.
        (After a line, `mark` is that line's time and step.)"""
        if self.first is None or self.mark_step == self.first[1]:
            return None
        return (self.mark_step - self.first[1]) / max(self.mark - self.first[0], 1e-9)

    def _scalar_writer(self, names):
        """One graph call writing train/<name> for every name (traced once)."""
        if self._write_scalars is None or self._write_scalars[0] != names:
            @tf.function
            def write(step, values):
                with self.writer.as_default(step=step):
                    for i, name in enumerate(names):
                        tf.summary.scalar("train/" + name, values[i])
            self._write_scalars = (names, write)
        return self._write_scalars[1]

    def write(self, line):
        if self.stream is None:
            return
        if self.live:
            self.stream.write("\r\033[K" + line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def on_train_end(self, logs=None):
        if self.driver.total is None:
            self.report()  # the end of a run of unknown length
        if self.live and self.first is not None:
            self.stream.write("\n")
        if self.writer is not None:
            self.writer.flush()


def progress_line(step, total, values, speed, elapsed, eta):
    """"step 200/2000 (10%) | loss 12.3 kl 4.5 | 312 img/s | 0:00:41 elapsed, ETA 0:05:53"."""
    terms = " ".join("%s %.4g" % item for item in values.items())
    where = "step %d/%d (%d%%)" % (step, total, 100 * step // total) if total \
        else "step %d" % step
    line = "%s | %s | %s | %s elapsed" % (where, terms, speed, _duration(elapsed))
    return line + (", ETA %s" % _duration(eta) if eta is not None else "")


def _duration(seconds):
    return str(datetime.timedelta(seconds=int(round(seconds))))


def image_grid(images, rows):
    """[N, H, W, C] -> one [1, rows*H, (N/rows)*W, C] image."""
    n, h, w, c = images.shape
    cols = n // rows
    grid = tf.reshape(images[:rows * cols], [rows, cols, h, w, c])
    grid = tf.transpose(grid, [0, 2, 1, 3, 4])
    return tf.reshape(grid, [1, rows * h, cols * w, c])


def traversal_images(model, image, num_values=7, limit=2.0):
    """Decodings of one image's mean code with each latent swept over
    [-limit, limit]: [K * num_values, H, W, C], one row per latent."""
    code = model.encode(image[None])["mean"][0]
    k = int(code.shape[0])
    values = tf.linspace(-limit, limit, num_values)
    codes = tf.tile(code[None, None], [k, num_values, 1])
    sweep = tf.eye(k)[:, None, :] * (values[None, :, None] - code[None, None])
    return model.decode_images(tf.reshape(codes + sweep, [k * num_values, k]))


class ImageLogger(StepCallback):
    """Reconstructions and latent traversals of a fixed batch to TensorBoard
    every `every` steps."""

    def __init__(self, driver, summary_writer, images, every, halt):
        super().__init__(driver)
        self.writer, self.images, self.every, self.halt = summary_writer, images, every, halt
        self._write = tf.function(self._write_at)

    def on_train_batch_end(self, batch, logs=None):
        if self.every and self.step % self.every == 0 and self.halt.check():
            self._write(tf.constant(self.step, tf.int64))

    def _write_at(self, step):
        with self.writer.as_default(step=step):
            self.write_images()

    def write_images(self):
        recon = self.model.reconstruct(self.images)
        pairs = tf.concat([self.images, recon], axis=0)
        tf.summary.image("reconstructions", image_grid(pairs, 2))
        traversal = traversal_images(self.model, self.images[0])
        tf.summary.image("traversals", image_grid(
            traversal, int(self.model.num_latent)))
