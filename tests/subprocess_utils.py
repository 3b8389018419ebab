"""Running the binaries as a user would: a subprocess of this interpreter."""

import os
import socket
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def env(**extra):
    e = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="",
             PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    e.update(extra)
    return e


def command(binary, *args):
    return [sys.executable, os.path.join(ROOT, "bin", binary), *args]


def run_bin(binary, *args, timeout=600, **extra_env):
    """Runs bin/<binary>; returns the CompletedProcess (text output)."""
    return subprocess.run(command(binary, *args), capture_output=True, text=True,
                          timeout=timeout, env=env(**extra_env), cwd=ROOT)


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
