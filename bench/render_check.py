"""What the renderer benches share: a renderer timed against a reference
form of it in the same run, and both compared bit for bit on the grid."""

import argparse
import timeit

import numpy as np

from tfdisent.data.ground_truth import StateSpace


def parse_args(description, num_images):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--all", action="store_true",
                        help="check all %s images (else 100 batches)" % format(num_images, ","))
    return parser.parse_args()


def compare(data, reference, args):
    """The result record of `data`'s renderer against `reference(factors)`:
    `milliseconds_per_batch` of both, `ratio` (ours / reference) and
    `identical_images` / `checked_images` (`args.all`: the whole grid, in
    chunks, else 100 batches)."""
    render = data.observations_from_factors_uint8
    batch = data.sample_factors(args.batch_size, np.random.RandomState(0))
    number = 50
    times = {name: min(timeit.repeat(lambda f=f: f(batch), number=number,
                                     repeat=args.rounds)) / number * 1e3
             for name, f in (("ours", render), ("reference", reference))}
    space = StateSpace(data.factors_num_values)
    rows = (np.arange(space.num_states) if args.all else
            np.random.RandomState(1).randint(space.num_states, size=100 * args.batch_size))
    identical = 0
    for start in range(0, len(rows), 1024):
        factors = space.index_to_features(rows[start:start + 1024])
        same = render(factors) == reference(factors)
        identical += int(np.sum(np.all(same, axis=tuple(range(1, same.ndim)))))
    return {"batch_size": args.batch_size,
            "milliseconds_per_batch": {k: round(v, 3) for k, v in times.items()},
            "ratio": round(times["ours"] / times["reference"], 4),
            "checked_images": int(len(rows)),
            "identical_images": identical}
