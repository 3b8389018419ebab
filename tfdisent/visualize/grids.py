"""Image grids as uint8 arrays and PNG files."""

import os

import numpy as np
from PIL import Image


def to_uint8(images):
    """float images in [0, 1] (clipped) or uint8 images -> uint8, same shape."""
    images = np.asarray(images)
    if images.dtype == np.uint8:
        return images
    return np.round(np.clip(images, 0.0, 1.0) * 255.0).astype(np.uint8)


def image_grid(images, num_columns=None, padding=2, pad_value=255):
    """Tiles images into one uint8 [H', W', C] picture with `padding` pixels
    between and around the tiles.

    Args:
        images: [rows, columns, H, W, C], or [N, H, W, C] laid out row by row
            in `num_columns` columns (default: a near-square grid); float in
            [0, 1] or uint8. Missing tiles of the last row stay `pad_value`.
        num_columns: columns for the [N, H, W, C] form.
        padding: pixels of `pad_value` between and around tiles.
        pad_value: uint8 grey level of the padding.
    """
    images = to_uint8(images)
    if images.ndim == 4:
        num = len(images)
        num_columns = num_columns or int(np.ceil(np.sqrt(num)))
        num_rows = -(-num // num_columns)
        filler = np.full((num_rows * num_columns - num,) + images.shape[1:], pad_value,
                         np.uint8)
        images = np.concatenate([images, filler]).reshape(
                (num_rows, num_columns) + images.shape[1:])
    if images.ndim != 5:
        raise ValueError("expected images [rows, columns, H, W, C] or [N, H, W, C], "
                         "got shape %s" % (images.shape,))
    num_rows, num_columns, height, width, channels = images.shape
    padded = np.full((num_rows, num_columns, height + padding, width + padding, channels),
                     pad_value, np.uint8)
    padded[:, :, padding:, padding:] = images
    grid = padded.transpose(0, 2, 1, 3, 4).reshape(
            num_rows * (height + padding), num_columns * (width + padding), channels)
    return np.pad(grid, ((0, padding), (0, padding), (0, 0)), constant_values=pad_value)


def save_png(picture, path):
    """Writes a uint8 [H, W, C] (C = 1 or 3) or float [0, 1] picture as PNG."""
    picture = to_uint8(picture)
    if picture.ndim == 3 and picture.shape[-1] == 1:
        picture = picture[..., 0]
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    Image.fromarray(picture).save(path, format="PNG")
    return path


def save_image_grid(images, path, **grid_options):
    """image_grid(images, **grid_options) written to `path`."""
    return save_png(image_grid(images, **grid_options), path)


def save_gif(frames, path, frame_ms=100):
    """Writes uint8 (or float [0, 1]) frames [F, H, W, C] as a looping GIF.

    Pillow merges identical consecutive frames into one longer frame, so the
    file may hold fewer frames; the total duration stays F * frame_ms.
    """
    frames = to_uint8(frames)
    if frames.shape[-1] == 1:
        frames = frames[..., 0]
    pictures = [Image.fromarray(frame) for frame in frames]
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    pictures[0].save(path, format="GIF", save_all=True, append_images=pictures[1:],
                     duration=frame_ms, loop=0)
    return path
