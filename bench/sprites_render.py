"""The procedural sprites renderer against the same renderer with the heart's
cubes as numpy powers (its form before they became products), timed in the
same run and checked bit for bit on the whole grid.

    python bench/sprites_render.py [--batch_size=64] [--rounds=5] [--all]

Prints one JSON object: `milliseconds_per_batch` of both, `ratio` (ours /
reference) and `identical_images` / `checked_images` (`--all`: all 737,280
images, in batches, else 100 batches).
"""

import argparse
import json
import timeit
from unittest import mock

import numpy as np

from tfdisent.data.ground_truth import StateSpace
from tfdisent.data.procedural import sprites


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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--all", action="store_true",
                        help="check all 737,280 images (else 100 batches)")
    args = parser.parse_args()
    data = sprites.Sprites()
    batch = data.sample_factors(args.batch_size, np.random.RandomState(0))
    number = 50
    times = {name: min(timeit.repeat(lambda f=f: f(batch), number=number,
                                     repeat=args.rounds)) / number * 1e3
             for name, f in (("ours", data.observations_from_factors_uint8),
                             ("reference", lambda f: with_powers(data, f)))}
    space = StateSpace(data.factors_num_values)
    rows = (np.arange(space.num_states) if args.all else
            np.random.RandomState(1).randint(space.num_states, size=100 * args.batch_size))
    identical = 0
    for start in range(0, len(rows), 1024):
        factors = space.index_to_features(rows[start:start + 1024])
        same = data.observations_from_factors_uint8(factors) == with_powers(data, factors)
        identical += int(np.sum(np.all(same, axis=(1, 2, 3))))
    print(json.dumps({"batch_size": args.batch_size,
                      "milliseconds_per_batch": {k: round(v, 3) for k, v in times.items()},
                      "ratio": round(times["ours"] / times["reference"], 4),
                      "checked_images": int(len(rows)),
                      "identical_images": identical}, indent=2))


if __name__ == "__main__":
    main()
