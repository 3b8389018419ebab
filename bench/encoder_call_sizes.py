"""Do the conv SavedModel's codes depend on the size of the call an image is
in? bench/metrics.py's conv representation (an untrained β-VAE encoder on
`sprites`, loaded as bin/evaluate loads it) codes 1,024 images in calls of
64, then in calls of each size below; the codes are compared bit for bit.

    python bench/encoder_call_sizes.py [--sizes=1,2,3,...]

Prints one JSON object: per call size, whether every code equals the 64-call
code (`identical`) and the largest absolute difference.
"""

import argparse
import json
import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import metrics  # noqa: E402  (bench/metrics.py: the same conv representation)

DEFAULT_SIZES = "1,2,3,7,8,15,16,17,24,31,32,33,40,48,63,64,65,100,128,1000"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=DEFAULT_SIZES)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        data, representation = metrics.conv_model(directory)
        images = data.sample_observations(1024, np.random.RandomState(5))
        reference = np.concatenate([representation(images[i:i + 64])
                                    for i in range(0, len(images), 64)])
        result = {}
        for size in (int(s) for s in args.sizes.split(",")):
            # A call of `size` images is cut into SavedModel calls of at
            # most 64 (the representation's batch_size), as bin/evaluate does.
            codes = np.concatenate([representation(images[i:i + size])
                                    for i in range(0, len(images), size)])
            result[str(size)] = {"identical": bool(np.array_equal(codes, reference)),
                                 "max_abs_difference": float(np.abs(codes - reference).max())}
    print(json.dumps({"images": len(images), "saved_model_batch_size": 64,
                      "call_sizes": result}, indent=2))


if __name__ == "__main__":
    main()
