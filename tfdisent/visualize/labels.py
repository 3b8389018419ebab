"""Text beside the rows or above the columns of an image grid (PIL)."""

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_SIZE = 11


def annotate(grid, labels, cell, padding, side="left"):
    """Adds one label per grid row (`side="left"`, a margin on the left) or
    per grid column (`side="top"`, a strip on top) to a uint8 [H, W, C] grid
    made by `grids.image_grid` with tiles `cell` pixels high (left) or wide
    (top) and `padding` pixels apart. Returns uint8 [H', W', C]."""
    if side not in ("left", "top"):
        raise ValueError("side must be 'left' or 'top', got %r" % (side,))
    grid = np.asarray(grid, np.uint8)
    channels = grid.shape[-1]
    font = ImageFont.load_default(size=FONT_SIZE)
    boxes = [font.getbbox(label) for label in labels]
    height, width = grid.shape[:2]
    if side == "left":
        margin = max(box[2] for box in boxes) + 2 * padding
        size, offset = (width + margin, height), (margin, 0)
    else:
        margin = max(box[3] for box in boxes) + 2 * padding
        size, offset = (width, height + margin), (0, margin)
    mode, ink = ("L", 0) if channels == 1 else ("RGB", (0, 0, 0))
    canvas = Image.new(mode, size, 255 if channels == 1 else (255, 255, 255))
    canvas.paste(Image.fromarray(grid[..., 0] if channels == 1 else grid), offset)
    draw = ImageDraw.Draw(canvas)
    for i, label in enumerate(labels):
        centre = padding + i * (cell + padding) + cell / 2.0
        if side == "left":
            draw.text((padding, offset[1] + centre), label, fill=ink, font=font, anchor="lm")
        else:
            draw.text((centre, margin / 2.0), label, fill=ink, font=font, anchor="mm")
    picture = np.asarray(canvas)
    return picture[..., None] if channels == 1 else picture
