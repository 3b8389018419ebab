"""Latent traversals: decodings of a code as one latent sweeps an interval.

Intervals per latent (disentanglement_lib's names, `visualize_model.py`):
- fixed_interval: [-2, 2];
- conf_interval: the fitted Gaussian's mean ± 2 std, where the fitted Gaussian
  is the aggregate posterior of the encoded data (variance = mean posterior
  variance + variance of the means; deterministic codes: the codes' variance);
- minmax_interval: [min, max] of the encoded codes.

A PNG per (interval, base image) holds one row per latent (latents ordered by
use, each labelled with its KL or variance) and `num_values` evenly spaced
values; a GIF per (interval, base image) shows all latents side by side,
each cycling from its base value to the interval's ends and back.
"""

import os

import numpy as np

from tfdisent.visualize import codes, grids, labels

FIXED_INTERVAL = (-2.0, 2.0)
INTERVALS = ("fixed_interval", "conf_interval", "minmax_interval")
PADDING = 2


def intervals(encoded, fixed=FIXED_INTERVAL):
    """{interval name: [K, 2] (low, high) per latent} for EncodedData."""
    latent = encoded.latent
    variance = np.var(latent, axis=0)
    if encoded.gaussian:
        variance = variance + np.mean(np.exp(encoded.logvar), axis=0)
    loc, scale = np.mean(latent, axis=0), np.sqrt(variance)
    num_latent = latent.shape[1]
    return {
        "fixed_interval": np.tile(np.array(fixed, np.float64), (num_latent, 1)),
        "conf_interval": np.stack([loc - 2 * scale, loc + 2 * scale], axis=1),
        "minmax_interval": np.stack([latent.min(axis=0), latent.max(axis=0)], axis=1),
    }


def sweep_values(interval, num_values):
    """[K, V]: `num_values` evenly spaced values over each latent's interval."""
    low, high = interval[:, :1], interval[:, 1:]
    return low + (high - low) * np.linspace(0.0, 1.0, num_values)[None]


def cycle_values(start, interval, num_frames):
    """[K, F]: per latent a triangle wave over its interval that starts at
    `start` (clipped into the interval), reaches both ends and comes back."""
    low, high = interval[:, 0], interval[:, 1]
    width = high - low
    safe = np.where(width > 0, width, 1.0)
    start01 = np.clip((np.asarray(start) - low) / safe, 0.0, 1.0)
    phase = (start01[:, None] + np.linspace(0.0, 2.0, num_frames, endpoint=False)) % 2.0
    return low[:, None] + width[:, None] * np.where(phase <= 1.0, phase, 2.0 - phase)


def traversal_codes(base, values):
    """[K, V, K]: row j is `base` [K] with latent j set to values[j] [V]."""
    base = np.asarray(base, np.float32)
    num_latent, num_values = values.shape
    swept = np.tile(base, (num_latent, num_values, 1))
    latents = np.arange(num_latent)
    swept[latents, :, latents] = values
    return swept


def traversal_images(model, base, values):
    """[K, V, H, W, C]: decodings of `traversal_codes(base, values)`."""
    return codes.decode(model, traversal_codes(base, values))


def usage_labels(usage, with_scores=True):
    return ["z%d: %s %.3g" % (j, usage.score_name, usage.scores[j]) if with_scores
            else "z%d" % j for j in usage.order]


def traversal_picture(strips, usage):
    """uint8 grid of ordered strips [K, V, H, W, C], each row labelled."""
    return labels.annotate(grids.image_grid(strips[usage.order], padding=PADDING),
                           usage_labels(usage), strips.shape[2], PADDING, side="left")


def animation_frames(strips, usage):
    """uint8 frames [F, H', W', C] of strips [K, F, H, W, C]: frame f shows
    every latent (ordered, labelled on top) at its f-th value."""
    ordered = strips[usage.order]
    names = usage_labels(usage, with_scores=False)
    return np.stack([labels.annotate(grids.image_grid(ordered[:, f][None], padding=PADDING),
                                     names, strips.shape[3], PADDING, side="top")
                     for f in range(strips.shape[1])])


def write_traversals(model, encoded, usage, bases, output_dir, num_values=10,
                     num_frames=20, frame_ms=100):
    """Writes traversals/<interval>_<i>.png and
    animated_traversals/<interval>_cycle<i>.gif for each latent code in
    `bases` [B, K]; returns the paths written."""
    paths = []
    for name, interval in intervals(encoded).items():
        values = sweep_values(interval, num_values)
        for i, base in enumerate(bases):
            picture = traversal_picture(traversal_images(model, base, values), usage)
            paths.append(grids.save_png(picture, os.path.join(
                    output_dir, "traversals", "%s_%d.png" % (name, i))))
            cycle = cycle_values(base, interval, num_frames)
            frames = animation_frames(traversal_images(model, base, cycle), usage)
            paths.append(grids.save_gif(frames, os.path.join(
                    output_dir, "animated_traversals", "%s_cycle%d.gif" % (name, i)),
                    frame_ms))
    return paths
