"""What every binary shares: gin flags, one-line errors, non-zero exits."""

import os
import sys

from absl import flags, logging

from tfdisent import errors

# Errors that are the user's to fix: printed as one line, exit status 1.
USER_ERRORS = (ValueError, FileNotFoundError, FileExistsError, KeyError,
               TypeError, NotImplementedError, RuntimeError, OSError, ImportError)


_seed_binding = []


def define_gin_flags(seed_binding=None):
    """--gin_config, --gin_bindings and, with `seed_binding`, a --seed that
    overrides that gin parameter (e.g. "model.random_seed")."""
    flags.DEFINE_multi_string("gin_config", [], "Gin config files (repeatable).")
    flags.DEFINE_multi_string("gin_bindings", [],
                              "Gin bindings, e.g. 'vae.beta = 4.' (repeatable).")
    if seed_binding:
        flags.DEFINE_integer("seed", None, "Overrides %s." % seed_binding)
        _seed_binding.append(seed_binding)


def gin_bindings():
    """The --gin_bindings, plus the --seed override if one was given."""
    bindings = list(flags.FLAGS.gin_bindings)
    if _seed_binding and flags.FLAGS.seed is not None:
        bindings.append("%s = %d" % (_seed_binding[0], flags.FLAGS.seed))
    return bindings


def quiet_tensorflow():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.set_verbosity(logging.WARNING)


def fail(message):
    """Ends the program with one clear line on stderr and exit status 1.

    The exit skips interpreter teardown (`os._exit`): a run stopped early
    (a non-finite loss at step 2) still has tf.data threads rendering
    batches in Python, and tearing down the interpreter under them can
    block for good (a NaN-stopped bin/train once outlived a 600 s CI
    timeout). Nothing is left to write by then: checkpoints, results and
    TensorBoard events are flushed where they are written."""
    sys.stderr.write("error: %s\n" % message)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(1)  # pylint: disable=protected-access


def run_main(main):
    """Wraps an absl `main(argv)`: stray arguments and user errors become one
    line on stderr and exit status 1."""
    def wrapped(argv):
        try:
            if len(argv) > 1:
                raise ValueError("unexpected arguments: %s" % " ".join(argv[1:]))
            return main(argv)
        except USER_ERRORS as e:
            fail(errors.one_line(e))
    return wrapped
