"""The scoring process of metrics during training:
``python -m tfdisent.curves.worker MODEL_DIR``.

It rebuilds the run's model from MODEL_DIR/checkpoints/config.gin, parses
the metric configs of MODEL_DIR/curves/spec.json into its own gin state, and
answers on stdout with one line, "ready" or "error: <why>". Then it scores
each snapshot the trainer announces on stdin (a line with its step; "end":
score what is left and exit) with `evaluate.MetricSuite`, the code bin/evaluate
runs, and appends the values to MODEL_DIR/results/curves.jsonl and to
TensorBoard (MODEL_DIR/logs, tag "<metric>/<key>"). Snapshots left by a
killed run are scored first. A failing metric is one line on stderr; the
others are recorded. Metric fits run in this one process unless
`evaluation.num_workers` says otherwise, leaving the other cores to training.
"""

import json
import os
import sys
import time

from tfdisent.curves import records

SPEC_FILE = "spec.json"


def snapshot_dir(model_dir):
    return os.path.join(model_dir, "curves")


def snapshot_prefix(model_dir, step):
    return os.path.join(snapshot_dir(model_dir), "snapshot-%d" % step)


def marker_path(model_dir, step):
    """Written after the snapshot's files: {"step", "wall_seconds"}."""
    return snapshot_prefix(model_dir, step) + ".json"


def pending_steps(model_dir):
    """Steps of complete snapshots on disk, ascending."""
    directory = snapshot_dir(model_dir)
    if not os.path.isdir(directory):
        return []
    steps = []
    for name in os.listdir(directory):
        if name.startswith("snapshot-") and name.endswith(".json"):
            steps.append(int(name[len("snapshot-"):-len(".json")]))
    return sorted(steps)


class Scorer:
    """The model, its dataset and the metric suite, built once."""

    def __init__(self, model_dir):
        import gin
        import tensorflow as tf
        from tfdisent import evaluate, gin_config, train
        from tfdisent.data import registry

        self.model_dir = model_dir
        with open(os.path.join(snapshot_dir(model_dir), SPEC_FILE)) as f:
            spec = json.load(f)
        gin.clear_config()
        self.model, training_data = train.rebuild(model_dir)
        gin.clear_config()
        evaluate.register_metrics()
        gin_config.parse(spec["config_files"], spec["bindings"])
        settings = evaluate.evaluation_settings()
        if settings["num_workers"] is None:
            settings["num_workers"] = 1  # leave the other cores to training
        self.suite = evaluate.MetricSuite(settings)
        name = evaluate.bound_value("dataset.name")
        self.data = training_data if name in (None, "auto") else registry.get_configured()
        self.representation = model_representation(
            self.model, **self.suite.representation_settings)
        self.checkpoint = tf.train.Checkpoint(model=self.model)
        self.writer = tf.summary.create_file_writer(os.path.join(model_dir, "logs"))

    def score(self, step):
        """Scores the snapshot of `step` (unless its step is recorded), then
        deletes it."""
        with open(marker_path(self.model_dir, step)) as f:
            wall_seconds = json.load(f)["wall_seconds"]
        if step not in records.scored_steps(self.model_dir):
            self.checkpoint.read(snapshot_prefix(self.model_dir, step)).expect_partial()
            began = time.time()
            scores = self.suite.score(self.data, self.representation)
            values = named_values(scores, list(self.suite.metrics))
            records.append(self.model_dir, step, values, wall_seconds)
            self._summaries(step, values)
            print("step %d scored in %.0f s: %s" % (
                step, time.time() - began,
                " ".join("%s %.4g" % kv for kv in sorted(values.items()))), flush=True)
        _remove_snapshot(self.model_dir, step)

    def _summaries(self, step, values):
        import tensorflow as tf
        with self.writer.as_default(step=step):
            for key, value in values.items():
                tf.summary.scalar(key.replace(".", "/", 1), value)
        self.writer.flush()


def named_values(scores, labels):
    """The numeric scores as "<metric>.<key>" (one metric's results come
    with bare keys), without elapsed times."""
    if len(labels) == 1:
        scores = {"%s.%s" % (labels[0], k): v for k, v in scores.items()}
    return {k: v for k, v in scores.items()
            if not k.endswith("elapsed_time") and isinstance(v, (int, float))
            and not isinstance(v, bool)}


def model_representation(model, representation="representation", batch_size=64,
                         random_seed=0):
    """The representation function of a live model, as its SavedModel's
    signature computes it (export.Signatures), in batches like bin/evaluate."""
    import tensorflow as tf
    from tfdisent import export
    from tfdisent.representation import BatchedRepresentation, signature_outputs
    signatures = export.Signatures(model)
    name, _ = signature_outputs(representation)
    spec = tf.TensorSpec([None, *signatures.shape], tf.float32)
    function = tf.function(getattr(signatures, name), input_signature=[spec])
    encoder = BatchedRepresentation(function, spec.shape.as_list(), representation,
                                    batch_size, random_seed, source="the training model")
    encoder.discrete_latents = representation == "representation" and bool(
        getattr(model, "discrete_representation", False))
    return encoder


def _remove_snapshot(model_dir, step):
    prefix = snapshot_prefix(model_dir, step)
    directory = os.path.dirname(prefix)
    base = os.path.basename(prefix)
    for name in os.listdir(directory):
        if name == base + ".json":
            continue
        if name.startswith(base + ".") or name.startswith(base + "_temp"):
            os.remove(os.path.join(directory, name))
    os.remove(prefix + ".json")  # last: the snapshot counts as pending until here


def _die_with_the_trainer():
    """Ends this process when the trainer dies (Linux; elsewhere it ends when
    the trainer's pipe closes), so a killed run leaves no scorer behind to race
    the resumed run's."""
    try:
        import ctypes
        import signal
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != int(os.environ.get(TRAINER_PID, os.getppid())):
        sys.exit(0)  # the trainer died before prctl


TRAINER_PID = "TFDISENT_TRAINER_PID"


def main(argv):
    from tfdisent import errors
    _die_with_the_trainer()
    model_dir = argv[1]
    handshake = sys.stdout
    try:
        scorer = Scorer(model_dir)
    except Exception as e:  # the trainer reports it as one line
        handshake.write("error: %s\n" % errors.one_line(e).split(": ", 1)[1])
        handshake.flush()
        return 1
    handshake.write("ready\n")
    handshake.flush()
    # From here on, stdout is the worker's log.
    log = open(os.path.join(snapshot_dir(model_dir), "worker.log"), "a")
    os.dup2(log.fileno(), sys.stdout.fileno())
    for step in pending_steps(model_dir):
        scorer.score(step)
    for line in sys.stdin:
        command = line.strip()
        if command == "end":
            for step in pending_steps(model_dir):
                scorer.score(step)
            return 0
        if command and os.path.exists(marker_path(model_dir, int(command))):
            scorer.score(int(command))
    return 0  # the trainer is gone: what is left is scored on resume


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.exit(main(sys.argv))
