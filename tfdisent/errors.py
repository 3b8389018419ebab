"""Errors as one readable line."""


def one_line(error):
    """"Type: first line of the message"."""
    lines = str(error).strip().splitlines()
    return "%s: %s" % (type(error).__name__, lines[0] if lines else "")
