"""What every binary shares: gin flags, one-line errors, non-zero exits."""

import os
import sys

from absl import flags, logging

# Errors that are the user's to fix: printed as one line, exit status 1.
USER_ERRORS = (ValueError, FileNotFoundError, FileExistsError, KeyError,
               TypeError, NotImplementedError, RuntimeError, OSError)


def define_gin_flags():
    flags.DEFINE_multi_string("gin_config", [], "Gin config files (repeatable).")
    flags.DEFINE_multi_string("gin_bindings", [],
                              "Gin bindings, e.g. 'vae.beta = 4.' (repeatable).")


def quiet_tensorflow():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.set_verbosity(logging.WARNING)


def fail(message):
    """Ends the program with one clear line on stderr."""
    sys.stderr.write("error: %s\n" % message)
    sys.exit(1)


def run_main(main):
    """Wraps an absl `main(argv)` so user errors become one line + exit 1."""
    def wrapped(argv):
        try:
            return main(argv)
        except USER_ERRORS as e:
            fail(_one_line(e))
    return wrapped


def _one_line(error):
    text = str(error).strip().splitlines()
    text = text[0] if text else type(error).__name__
    return "%s: %s" % (type(error).__name__, text)
