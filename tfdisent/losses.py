"""Reconstruction losses: per-example values [B] from images and decoder logits."""

import gin
import tensorflow as tf


def _reduce(per_pixel, reduction):
    axes = list(range(1, per_pixel.shape.rank))
    if reduction == "sum":
        return tf.reduce_sum(per_pixel, axis=axes)
    if reduction == "mean":
        return tf.reduce_mean(per_pixel, axis=axes)
    raise ValueError("reduction must be 'sum' or 'mean', got %r" % (reduction,))


@gin.configurable("bernoulli_loss", allowlist=["reduction"])
def bernoulli_loss(images, logits, reduction="sum"):
    """Bernoulli negative log-likelihood of `images` under sigmoid(`logits`)."""
    return _reduce(tf.nn.sigmoid_cross_entropy_with_logits(
        labels=images, logits=logits), reduction)


@gin.configurable("l2_loss", allowlist=["reduction"])
def l2_loss(images, logits, reduction="sum"):
    """Squared error between `images` and sigmoid(`logits`)."""
    return _reduce(tf.square(images - tf.sigmoid(logits)), reduction)


@gin.configurable("reconstruction_loss")
def make_reconstruction_loss(loss_fn=bernoulli_loss):
    return loss_fn
