"""The trainer's side of metrics during training (`model.eval_every`).

`CurveEvaluator` starts the scoring process (tfdisent.curves.worker) when
training starts and waits for its "ready" (a bad metric config ends the run
there, in one line); `CurveCallback` writes a snapshot of the model's
weights at each scored step (one checkpoint write, then training goes on)
and announces it; after the last step the trainer waits for the scores.
The worker runs on the CPU (CUDA_VISIBLE_DEVICES=-1), so on a GPU host the
accelerator keeps training while it scores.
"""

import json
import os
import subprocess
import sys
import time

import tensorflow as tf

from tfdisent import callbacks
from tfdisent.curves import records, worker


class CurveEvaluator:
    """The scoring process of one training run."""

    def __init__(self, model_dir, config_files, bindings, log=None):
        self.model_dir = model_dir
        self.log = log or sys.stderr
        self.process = None
        self.failed = False
        directory = worker.snapshot_dir(model_dir)
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, worker.SPEC_FILE), "w") as f:
            json.dump({"config_files": _resolved(config_files), "bindings": list(bindings)},
                      f, indent=2)
        # Steps scored, or snapshotted and waiting (a killed run's: the worker
        # scores those first), are not snapshotted again.
        recorded = records.read(model_dir)
        self.scored = {r["step"] for r in recorded} | set(worker.pending_steps(model_dir))
        self.wall_offset = max([r["wall_seconds"] for r in recorded], default=0.0)

    def start(self):
        env = dict(os.environ, CUDA_VISIBLE_DEVICES="-1")
        env[worker.TRAINER_PID] = str(os.getpid())
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tfdisent.curves.worker", self.model_dir],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True)
        return self

    def wait_ready(self):
        """Blocks until the worker is ready; ValueError with its line if not."""
        line = self.process.stdout.readline().strip()
        self.process.stdout.close()
        if line != "ready":
            self.process.wait()
            raise ValueError("model.eval_config: %s" % (
                line[len("error: "):] if line.startswith("error: ") else
                "the scoring process ended (status %s)" % self.process.returncode))

    def submit(self, model, step, wall_seconds):
        """Snapshots `model` at `step` and hands it to the worker."""
        if step in self.scored or self.failed or not self._alive():
            return
        tf.train.Checkpoint(model=model).write(worker.snapshot_prefix(self.model_dir, step))
        with open(worker.marker_path(self.model_dir, step), "w") as f:
            json.dump({"step": step, "wall_seconds": self.wall_offset + wall_seconds}, f)
        self.scored.add(step)
        self._send("%d" % step)

    def finish(self):
        """Waits until every snapshot is scored; returns (scores, step) of the
        last scored step."""
        if self.process is not None and self._alive():
            self._send("end")
            self.process.wait()
        self.close()
        return records.last_scores(records.read(self.model_dir))

    def close(self):
        """Ends the worker now (preemption, failure): unscored snapshots stay
        on disk and are scored when the run resumes."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait()
        if self.process.stdin and not self.process.stdin.closed:
            try:
                self.process.stdin.close()
            except BrokenPipeError:
                pass
        self.process = None

    def _alive(self):
        if self.process is not None and self.process.poll() is None:
            return True
        if not self.failed:
            self.failed = True
            self.log.write("warning: the metric scoring process ended (status %s; see %s); "
                           "training goes on without metrics\n" % (
                               None if self.process is None else self.process.returncode,
                               os.path.join(worker.snapshot_dir(self.model_dir),
                                            "worker.log")))
        return False

    def _send(self, line):
        try:
            self.process.stdin.write(line + "\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            self._alive()


class CurveCallback(callbacks.StepCallback):
    """Submits a snapshot every `every` steps and at the last step."""

    def __init__(self, driver, evaluator, every, halt):
        super().__init__(driver)
        self.evaluator, self.every, self.halt = evaluator, every, halt
        self.began = None

    def on_train_begin(self, logs=None):
        self.began = time.time()

    def on_train_batch_end(self, batch, logs=None):
        step = self.step
        if (step % self.every == 0 or step >= self.driver.total) and self.halt.check():
            self.evaluator.submit(self.model, step, time.time() - self.began)


def _resolved(config_files):
    from tfdisent import gin_config
    return [os.path.abspath(gin_config.resolve(c)) for c in config_files]
