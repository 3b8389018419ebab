"""The procedural shapes3d renderer against every pixel blended per image
(the arithmetic it had before single-material pixels were kept per hue),
timed in the same run, and checked bit for bit on the whole grid.

    python bench/shapes3d_render.py [--batch_size=64] [--rounds=5] [--all]

Fills the ray-cast cache first (not timed). Prints one JSON object:
`milliseconds_per_batch` of both, `ratio` (ours / reference),
`mixed_pixels_per_view` (mean over the 480 views: pixels blended per image)
and `identical_images` / `checked_images` (`--all`: all 480,000 images, in
batches, else 100 batches).
"""

import json
import os
import sys

import numpy as np

from tfdisent.data.procedural import shapes3d

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import render_check  # noqa: E402


def blended(factors):
    """Every pixel blended from the cached weights and the image's hues."""
    weights = shapes3d.Shapes3D._weights[tuple(factors[:, [5, 4, 3]].T)]
    colours = shapes3d.HUE_RGB[factors[:, None, :3]]  # [N, 1 pixel, 3, 3]
    return shapes3d.blend(weights, colours).reshape((-1, 64, 64, 3))


def main():
    args = render_check.parse_args(__doc__.splitlines()[0], 480000)
    data = shapes3d.Shapes3D()
    data.precompute()
    result = render_check.compare(data, blended, args)
    result["mixed_pixels_per_view"] = round(float(np.mean(
            [len(p) for p in shapes3d.Shapes3D._mixed.values()])), 1)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
