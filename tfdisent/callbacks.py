"""Training callbacks keyed on the model's own global step (so resumed runs
log and checkpoint at the right steps): NaN guard, checkpoints, TensorBoard."""

import math

import keras
import numpy as np
import tensorflow as tf


class NonFiniteLossError(RuntimeError):
    pass


class StopOnNonFinite(keras.callbacks.Callback):
    """Stops training at the first NaN/Inf loss term; `failure` says where."""

    def __init__(self):
        super().__init__()
        self.failure = None

    def on_train_batch_end(self, batch, logs=None):
        for name, value in (logs or {}).items():
            value = float(np.mean(value))
            if not math.isfinite(value):
                self.failure = "%s = %s at step %d" % (
                    name, value, int(self.model.global_step.numpy()))
                self.model.stop_training = True
                return


class PeriodicCheckpoint(keras.callbacks.Callback):
    """Saves a tf.train.CheckpointManager every `every` steps and at the end,
    never after a non-finite loss."""

    def __init__(self, manager, every, guard):
        super().__init__()
        self.manager, self.every, self.guard = manager, every, guard
        self.saved_step = None

    def _save(self):
        step = int(self.model.global_step.numpy())
        if self.guard.failure is None and step != self.saved_step \
                and self._weights_finite():
            self.manager.save(checkpoint_number=step)
            self.saved_step = step

    def _weights_finite(self):
        if all(bool(tf.reduce_all(tf.math.is_finite(v)))
               for v in self.model.trainable_variables):
            return True
        self.guard.failure = self.guard.failure or "non-finite weights at step %d" % (
            int(self.model.global_step.numpy()))
        self.model.stop_training = True
        return False

    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.global_step.numpy()) % self.every == 0:
            self._save()

    def on_train_end(self, logs=None):
        self._save()


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


class TensorBoardLogger(keras.callbacks.Callback):
    """Scalars every `scalar_every` steps; reconstructions and latent
    traversals of a fixed batch every `image_every` steps."""

    def __init__(self, log_dir, images, scalar_every=100, image_every=1000):
        super().__init__()
        self.writer = tf.summary.create_file_writer(log_dir)
        self.images = images
        self.scalar_every, self.image_every = scalar_every, image_every

    def on_train_batch_end(self, batch, logs=None):
        step = int(self.model.global_step.numpy())
        with self.writer.as_default(step=step):
            if step % self.scalar_every == 0:
                for name, value in (logs or {}).items():
                    tf.summary.scalar("train/" + name, float(np.mean(value)))
            if self.image_every and step % self.image_every == 0:
                self.write_images()

    def write_images(self):
        recon = self.model.reconstruct(self.images)
        pairs = tf.concat([self.images, recon], axis=0)
        tf.summary.image("reconstructions", image_grid(pairs, 2))
        traversal = traversal_images(self.model, self.images[0])
        tf.summary.image("traversals", image_grid(
            traversal, int(self.model.num_latent)))

    def on_train_end(self, logs=None):
        self.writer.flush()
