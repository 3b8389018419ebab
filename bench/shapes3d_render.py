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

import argparse
import json
import timeit

import numpy as np

from tfdisent.data.ground_truth import StateSpace
from tfdisent.data.procedural import shapes3d


def blended(factors):
    """Every pixel blended from the cached weights and the image's hues."""
    weights = shapes3d.Shapes3D._weights[tuple(factors[:, [5, 4, 3]].T)]
    colours = shapes3d.HUE_RGB[factors[:, None, :3]]  # [N, 1 pixel, 3, 3]
    return shapes3d.blend(weights, colours).reshape((-1, 64, 64, 3))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--all", action="store_true",
                        help="check all 480,000 images (else 100 batches)")
    args = parser.parse_args()
    data = shapes3d.Shapes3D()
    data.precompute()
    batch = data.sample_factors(args.batch_size, np.random.RandomState(0))
    number = 50
    times = {name: min(timeit.repeat(lambda f=f: f(batch), number=number,
                                     repeat=args.rounds)) / number * 1e3
             for name, f in (("ours", data.observations_from_factors_uint8),
                             ("reference", blended))}
    space = StateSpace(data.factors_num_values)
    rows = (np.arange(space.num_states) if args.all else
            np.random.RandomState(1).randint(space.num_states, size=100 * args.batch_size))
    identical = 0
    for start in range(0, len(rows), 1024):
        factors = space.index_to_features(rows[start:start + 1024])
        same = data.observations_from_factors_uint8(factors) == blended(factors)
        identical += int(np.sum(np.all(same, axis=(1, 2, 3))))
    print(json.dumps({"batch_size": args.batch_size,
                      "milliseconds_per_batch": {k: round(v, 3) for k, v in times.items()},
                      "ratio": round(times["ours"] / times["reference"], 4),
                      "mixed_pixels_per_view": round(float(np.mean(
                              [len(p) for p in shapes3d.Shapes3D._mixed.values()])), 1),
                      "checked_images": int(len(rows)),
                      "identical_images": identical}, indent=2))


if __name__ == "__main__":
    main()
