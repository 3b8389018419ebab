"""Running the binaries as a user would: a subprocess of this interpreter."""

import os
import signal
import socket
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def env(**extra):
    e = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="", PYTHONFAULTHANDLER="1",
             PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    e.update(extra)
    return e


def command(binary, *args):
    return [sys.executable, os.path.join(ROOT, "bin", binary), *args]


def run_bin(binary, *args, timeout=600, **extra_env):
    """Runs bin/<binary>; returns the CompletedProcess (text output). A run
    still alive after `timeout` seconds gets SIGABRT, so faulthandler prints
    where each of its threads stands, and the test fails with that dump."""
    cmd = command(binary, *args)
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=env(**extra_env), cwd=ROOT) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGABRT)
            try:
                _, stderr = process.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                _, stderr = process.communicate()
            raise AssertionError("bin/%s still running after %d s; its threads:\n%s"
                                 % (binary, timeout, _thread_dump(stderr))) from None
    return subprocess.CompletedProcess(cmd, process.returncode, stdout, stderr)


def _thread_dump(stderr):
    """The end of faulthandler's dump, without its list of extension modules."""
    return stderr.split("\nExtension modules:")[0][-8000:]


def start_bin(binary, *args, **extra_env):
    return subprocess.Popen(command(binary, *args), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            env=env(**extra_env), cwd=ROOT)


def free_ports(count):
    """`count` TCP ports on 127.0.0.1 that are free right now."""
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports
