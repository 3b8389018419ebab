"""What each CFASL codebook section does to a code, as one labelled picture.

Rows: the input images, their reconstructions decode(z) (z = mean code), and
per section s decode(z expm(g[s, j*])) with j* the section's dominant
element (largest mean attention weight over the pairs of `images`); the
row label also gives how often the section's switch is on for those pairs.
"""

import os

import numpy as np
import tensorflow as tf
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from tfdisent.latents import symmetry
from tfdisent.models.cfasl import CFASL
from tfdisent.visualize import grids


def cfasl_component(model):
    for component in getattr(model, "components", ()):
        if isinstance(component, CFASL):
            return component
    raise ValueError("the model has no CFASL extension (vae.extensions = [@cfasl()])")


def section_summary(model, images):
    """(dominant element per section [S] int, switch-on rate per section [S])
    over the pairs formed by the two halves of `images`."""
    component = cfasl_component(model)
    encoded = model.encode(images)
    switch_logits, element_logits = component.attention_logits(
        encoded["mean"], encoded["logvar"])
    weights = tf.reduce_mean(tf.nn.softmax(element_logits), 0)
    on = tf.reduce_mean(tf.cast(switch_logits[..., 1] > switch_logits[..., 0],
                                tf.float32), 0)
    return tf.argmax(weights, -1, output_type=tf.int32).numpy(), on.numpy()


def section_rows(model, images, elements):
    """[2 + S, N, H, W, C]: inputs, decode(z), decode(z expm(g[s, elements[s]]))."""
    component = cfasl_component(model)
    mean = model.encode(images)["mean"]
    chosen = tf.gather(component.codebook.algebra, elements, axis=1, batch_dims=1)
    moved = tf.einsum("bi,sij->sbj", mean,
                      symmetry.expm(chosen, component.max_algebra_norm))
    sections, count = len(elements), int(mean.shape[0])
    decoded = model.decode_images(tf.concat(
        [mean, tf.reshape(moved, [sections * count, -1])], 0)).numpy()
    decoded = decoded.reshape((1 + sections, count) + decoded.shape[1:])
    return np.concatenate([np.asarray(images)[None], decoded], 0)


def codebook_figure(model, images, path, max_columns=8, padding=2):
    """Writes the section picture of a CFASL `model` for `images` (at least 2,
    float in [0, 1], [N, H, W, C]) to `path` (PNG); returns `path`."""
    images = np.asarray(images, np.float32)
    if len(images) < 2:
        raise ValueError("codebook_figure needs at least 2 images (one pair)")
    elements, on = section_summary(model, images)
    rows = section_rows(model, images[:max_columns], elements)
    picture = grids.image_grid(rows, padding=padding)
    labels = ["input", "decode(z)"] + [
        "section %d: g[%d,%d] (on %d%%)" % (s, s, j, round(100 * r))
        for s, (j, r) in enumerate(zip(elements, on))]
    height = rows.shape[2] + padding
    label_inches, image_inches = 2.0, (picture.shape[1] / 80.0, picture.shape[0] / 80.0)
    width = label_inches + image_inches[0]
    figure = Figure(figsize=(width, image_inches[1]), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_axes([label_inches / width, 0.0, image_inches[0] / width, 1.0])
    gray = picture.shape[-1] == 1
    axes.imshow(picture[..., 0] if gray else picture,
                cmap="gray" if gray else None, vmin=0, vmax=255)
    axes.set_xticks([])
    axes.set_yticks([padding + i * height + height / 2.0 for i in range(len(labels))])
    axes.set_yticklabels(labels, fontsize=7)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    figure.savefig(path, format="png")
    return path
