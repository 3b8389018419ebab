"""SIGTERM / SIGINT as a request to stop after the current step.

Schedulers (SLURM, Kubernetes, spot VMs) send SIGTERM some seconds before the
kill. While `requests_stop(driver)` is active, the first SIGTERM or SIGINT asks
the driver to stop after its current execution; training then writes a
checkpoint at that step and raises `Preempted`. A second SIGINT interrupts at
once (KeyboardInterrupt).
"""

import contextlib
import signal
import threading

# EX_TEMPFAIL: a temporary failure, run the same command again.
PREEMPTED_EXIT_STATUS = 75
SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Preempted(Exception):
    """Training stopped by a signal after writing a checkpoint at `step`."""

    def __init__(self, step):
        self.step = step
        self.line = "preempted at step %d; run the same command to resume" % step
        super().__init__(self.line)


@contextlib.contextmanager
def requests_stop(driver):
    """Routes SIGTERM and SIGINT to `driver.preempt_requested` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        if driver.preempt_requested and signum == signal.SIGINT:
            raise KeyboardInterrupt
        driver.preempt_requested = True

    previous = {s: signal.signal(s, handler) for s in SIGNALS}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
