"""The procedural sprites renderer against the same renderer with the heart's
cubes as numpy powers (its form before they became products), timed in the
same run and checked bit for bit on the whole grid.

    python bench/sprites_render.py [--batch_size=64] [--rounds=5] [--all]

Prints one JSON object: `milliseconds_per_batch` of both, `ratio` (ours /
reference) and `identical_images` / `checked_images` (`--all`: all 737,280
images, in batches, else 100 batches).
"""

import json
import os
import sys
from unittest import mock

from tfdisent.data.procedural import sprites

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import render_check  # noqa: E402


def heart_with_powers(u, v):
    unit = sprites.HEART_WIDTH / (2.0 * sprites._HEART_UNIT_HALF_WIDTH)
    x = u / unit
    y = v / unit + sprites._HEART_UNIT_CENTRE_Y
    return (x * x + y * y - 1.0) ** 3 <= x * x * y ** 3


def with_powers(data, factors):
    shapes = (sprites._inside_square, sprites._inside_ellipse, heart_with_powers)
    with mock.patch.object(sprites, "INSIDE_SHAPE", shapes):
        return data.observations_from_factors_uint8(factors)


def main():
    args = render_check.parse_args(__doc__.splitlines()[0], 737280)
    data = sprites.Sprites()
    print(json.dumps(render_check.compare(data, lambda f: with_powers(data, f), args),
                     indent=2))


if __name__ == "__main__":
    main()
