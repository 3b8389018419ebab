"""bin/train with TensorFlow op determinism on (for comparing runs bitwise
closely): python tests/deterministic_train.py <bin/train flags>."""

import os
import sys

import tensorflow as tf

tf.config.experimental.enable_op_determinism()
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tfdisent.cli.train import run  # noqa: E402

run()
