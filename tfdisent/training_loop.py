"""The function `fit` calls once per execution: several train steps in one
graph call, with no host synchronisation between event steps.

Each call runs up to `steps_per_execution` steps and ends exactly at the next
event step (a multiple of any `every` interval, or the last step), so logs,
checkpoints and preemption land on the same steps at any
`steps_per_execution`. The host keeps its own copy of the step (`step`), so
callbacks never read the device to know where they are, and a call hands
`fit` no tensors, so keras has nothing to convert (and wait for) per call;
the last step's logs (`logs`) and the halt code wait on the device until a
callback reads them.

On the device, a halt code stops the run: the first step whose logs are not
all finite sets NONFINITE and no later step runs (the weights and the global
step stay at that step); a preemption request sets PREEMPTED before the next
step. The host reads the code only at event steps (`halt_code`), where it
synchronises anyway.
"""

import tensorflow as tf

RUNNING, NONFINITE, PREEMPTED = 0, 1, 2


def call_length(step, total, steps_per_execution, intervals):
    """Steps of the call that starts after `step`: at most
    `steps_per_execution`, ending at the next event step at the latest."""
    return min(steps_per_execution, next_event(step, total, intervals) - step)


def execution_lengths(start, total, steps_per_execution, intervals):
    """The length of every call from `start` to `total`."""
    step, lengths = start, []
    while step < total:
        lengths.append(call_length(step, total, steps_per_execution, intervals))
        step += lengths[-1]
    return lengths


def next_event(step, total, intervals):
    """The first event step after `step`: a multiple of an interval, or `total`."""
    ends = [(step // every + 1) * every for every in intervals if every]
    return min([total] + ends)


def is_event(step, total, intervals):
    return step >= total or any(every and step % every == 0 for every in intervals)


class StepDriver:
    """Replaces `model.train_function`; `step` is the host's step count."""

    def __init__(self, model, start, total, steps_per_execution, intervals):
        if steps_per_execution < 1:
            raise ValueError("model.steps_per_execution must be >= 1, got %d"
                             % steps_per_execution)
        self.model, self.start, self.total = model, start, total
        self.steps_per_execution = steps_per_execution
        self.intervals = tuple(i for i in intervals if i)
        self.step = start
        self.logs = None  # the last step's logs (tensors, read at events only)
        self._carried = None  # variables carrying them from call to call
        self._code = None
        self.preempt_requested = False  # set by a signal handler
        self._preempt_sent = False
        self._halt = tf.Variable(RUNNING, dtype=tf.int32, trainable=False)
        self._preempt = tf.Variable(False, trainable=False)
        self._lengths = {}
        self._step_fn = tf.function(self._one_step, jit_compile=model.jit_compile)
        self._run = tf.function(self._run_steps)

    def install(self):
        """Makes `fit` call this driver once per execution."""
        self.model.train_function = self
        return self

    def at_event(self):
        return is_event(self.step, self.total, self.intervals)

    def __call__(self, iterator):
        length = call_length(self.step, self.total, self.steps_per_execution, self.intervals)
        if self._carried is None:
            self._carried = self._log_variables(iterator)
        if self.preempt_requested and not self._preempt_sent:
            self._preempt.assign(True)
            self._preempt_sent = True
        self._code, self.logs = self._run(iterator, self._length(length))
        self.step += length
        return {}

    def _length(self, length):
        if length not in self._lengths:
            self._lengths[length] = tf.constant(length, tf.int32)
        return self._lengths[length]

    def halt_code(self):
        """RUNNING, NONFINITE or PREEMPTED (a host synchronisation)."""
        return int(self._halt.numpy() if self._code is None else self._code)

    # -- on the device -----------------------------------------------------
    def _one_step(self, data):
        strategy = self.model.distribute_strategy
        outputs = strategy.run(self.model.train_step, args=(data,))
        return tf.nest.map_structure(lambda v: _mean_over_replicas(v, strategy), outputs)

    def _log_variables(self, iterator):
        """A zero variable per log, carrying the last logs from call to call
        (traces the step once, which the loop then reuses)."""
        step = self._step_fn.get_concrete_function(iterator.element_spec)
        return {name: tf.Variable(tf.zeros(t.shape, t.dtype), trainable=False)
                for name, t in step.structured_outputs.items()}

    def _run_steps(self, iterator, length):
        logs = {name: v.read_value() for name, v in self._carried.items()}
        code = self._halt.read_value()
        code = tf.where((code == RUNNING) & _any_worker(self._preempt.read_value(),
                                                       self.model.distribute_strategy),
                        PREEMPTED, code)

        def keep_going(i, code, logs):
            return (i < length) & (code == RUNNING)

        def one_step(i, code, logs):
            logs = self._step_fn(next(iterator))
            finite = tf.reduce_all([tf.reduce_all(tf.math.is_finite(v))
                                    for v in tf.nest.flatten(logs)])
            return i + 1, tf.where(finite, code, NONFINITE), logs

        _, code, logs = tf.while_loop(keep_going, one_step, (0, code, logs))
        self._halt.assign(code)
        for name, value in logs.items():
            self._carried[name].assign(value)
        return code, logs


def _mean_over_replicas(value, strategy):
    """What keras' fit does with per-replica logs ("auto" reduction)."""
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) \
            and strategy.extended._in_multi_worker_mode():  # pylint: disable=protected-access
        return strategy.reduce("MEAN", value, axis=0)
    if isinstance(value, tf.distribute.DistributedValues):
        return tf.reduce_mean(tf.stack(strategy.experimental_local_results(value)), axis=0)
    return value


def _any_worker(flag, strategy):
    """True on every worker when `flag` is set on any (one all-reduce)."""
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return flag
    votes = strategy.run(lambda: tf.cast(flag, tf.float32))
    return strategy.reduce("SUM", votes, axis=None) > 0
