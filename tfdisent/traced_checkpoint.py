"""A tf.train.Checkpoint whose writes run as one traced graph.

An eager `Checkpoint.write` walks the object graph in Python on every save:
about 10 ms for a small model, which is most of what a checkpoint costs when a
step takes a millisecond (the tiny-model regime, or these nets on a GPU). The
traced write walks it once. It is traced again whenever the variables it
would save change (a new variable, slot or save counter), so no variable is
ever left out; the files are ordinary checkpoints that `restore` reads.
"""

import tensorflow as tf


class TracedCheckpoint(tf.train.Checkpoint):
    """`tf.train.Checkpoint(**objects)` with traced writes (what
    `CheckpointManager.save` and `write` call) while every variable it saves
    lives on one host (one task: its CPU and its GPUs), traced on that
    host's CPU so that the files are laid out as an eager write lays them
    out (one shard per host); eager writes otherwise."""

    def __init__(self, **objects):
        super().__init__(**objects)
        self._objects = tuple(objects.values())
        self._traced = None  # (variables key, device, traced save)

    def _write(self, file_prefix, options=None):
        if options is not None and options.experimental_enable_async_checkpoint:
            return super()._write(file_prefix, options=options)
        variables = self._variables()
        key = tuple(id(v) for v in variables)
        if self._traced is None or self._traced[0] != key:
            hosts = {_host(_device(v)) for v in variables}
            device = hosts.pop() if len(hosts) == 1 else None
            self._traced = (key, device, tf.function(self._save) if device else None)
        _, device, save = self._traced
        if save is None:
            return super()._write(file_prefix, options=options)
        save(tf.constant(file_prefix), device)
        for callback in (options.experimental_write_callbacks or []) if options else []:
            callback(file_prefix)
        return file_prefix

    def _save(self, prefix, device):
        with tf.device(device):
            return self._saver.save(file_prefix=prefix)

    def _variables(self):
        """What the objects and the save counter hold (a change re-traces)."""
        counter = [] if self._save_counter is None else [self._save_counter]
        return counter + [v for obj in self._objects for v in getattr(obj, "variables", ())]


def _device(variable):
    """A tf.Variable's device; a keras Variable's is its backing tf.Variable's."""
    return variable.device if hasattr(variable, "device") else variable.value.device


def _host(device):
    """The CPU of the task a device belongs to (what checkpoint shards go by)."""
    return tf.DeviceSpec.from_string(device).replace(
        device_type="CPU", device_index=0).to_string()
