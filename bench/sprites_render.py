"""The sprites dataset, which gathers windows it rendered before, against
rendering every image (`render_sprites`), timed in the same run after the
cache is filled, and checked bit for bit on the whole grid.

    python bench/sprites_render.py [--batch_size=64] [--rounds=5] [--all]

Prints one JSON object: `fill_seconds` (`precompute()`: all 23,040 strips of
32 windows), `milliseconds_per_batch` of both, `ratio` (ours / reference)
and `identical_images` / `checked_images` (`--all`: all 737,280 images, in
batches, else 100 batches).
"""

import json
import os
import sys
import time

from tfdisent.data.procedural import sprites

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import render_check  # noqa: E402


def rendered(factors):
    return sprites.render_sprites(**sprites.grid_parameters(factors))


def main():
    args = render_check.parse_args(__doc__.splitlines()[0], 737280)
    data = sprites.Sprites()
    start = time.perf_counter()
    data.precompute()
    fill_seconds = time.perf_counter() - start
    result = render_check.compare(data, rendered, args)
    print(json.dumps(dict(fill_seconds=round(fill_seconds, 2), **result), indent=2))


if __name__ == "__main__":
    main()
