"""One trainer per model directory: MODEL_DIR/lock names its holder.

The lock file is created atomically (O_EXCL) and holds the pid, host and start
time of the trainer. A lock whose process is gone on this host is stale and
taken over with a message; a live holder, or one on another host (which
cannot be checked from here), refuses the new trainer.
"""

import contextlib
import json
import os
import socket
import sys
import time

LOCK_FILE = "lock"


class LockedError(RuntimeError):
    pass


def _holder_text():
    return json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                       "started": time.strftime("%Y-%m-%d %H:%M:%S")})


def _read(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def _describe(holder):
    return "pid %s on host %s since %s" % (holder.get("pid", "?"), holder.get("host", "?"),
                                          holder.get("started", "?"))


def acquire(model_dir, log=None):
    """Creates MODEL_DIR/lock for this process; returns its path."""
    log = log or sys.stderr
    os.makedirs(model_dir, exist_ok=True)
    path = os.path.join(model_dir, LOCK_FILE)
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _read(path)
            if not _is_stale(holder, path):
                raise LockedError(
                    "%s is in use by another trainer (%s); wait for it, or delete %s "
                    "if that run is gone" % (model_dir, _describe(holder), path)) from None
            log.write("taking over the stale lock of %s (%s no longer runs)\n"
                      % (model_dir, _describe(holder)))
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
            continue
        with os.fdopen(fd, "w") as f:
            f.write(_holder_text())
        return path
    raise LockedError("%s: another trainer took the lock at the same time" % model_dir)


def _is_stale(holder, path, grace_seconds=10.0):
    """A lock from this host whose process is gone (or that names this very
    process, as after a container restart) is stale; so is an unreadable lock
    older than a few seconds (a crash while writing it)."""
    if not holder:
        try:
            return time.time() - os.path.getmtime(path) > grace_seconds
        except FileNotFoundError:
            return True
    if holder.get("host") != socket.gethostname():
        return False
    pid = holder.get("pid")
    return not isinstance(pid, int) or pid == os.getpid() or not _alive(pid)


def release(path):
    """Removes the lock if this process holds it."""
    if _read(path).get("pid") == os.getpid():
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)


@contextlib.contextmanager
def held(model_dir):
    path = acquire(model_dir)
    try:
        yield path
    finally:
        release(path)
