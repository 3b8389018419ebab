"""tf.distribute strategies by name: default, mirrored, multi_worker."""

import json
import os

import tensorflow as tf

STRATEGIES = ("default", "mirrored", "multi_worker")


def make_strategy(name):
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi_worker":
        if "TF_CONFIG" not in os.environ:
            raise ValueError("--strategy=multi_worker needs TF_CONFIG "
                             "(see docs/distributed.md)")
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError("unknown strategy %r; use one of %s" % (name, ", ".join(STRATEGIES)))


def _tf_config():
    return json.loads(os.environ.get("TF_CONFIG", "{}"))


def task_index():
    """This worker's index in TF_CONFIG (0 without one)."""
    return int(_tf_config().get("task", {}).get("index", 0))


def is_chief():
    """True on the worker that writes files (the chief, else worker 0)."""
    config = _tf_config()
    task = config.get("task")
    if not task:
        return True
    if "chief" in config.get("cluster", {}):
        return task.get("type") == "chief"
    return task.get("type") == "worker" and int(task.get("index", 0)) == 0
