"""Runs a study's runs: train, then evaluate with each metric config.

Layout, for output directory DIR::

    DIR/STUDY/<run name>/            a normal model directory (bin/train's)
        metrics/<label>/results/     bin/evaluate's output, one per metric config
        study_status.json            {"state": "done" | "failed", "error", ...}
    DIR/STUDY/<run name>.log         the run's output when started by --all

All per-run state lives with the run, so array tasks on many machines never
write one file together. A finished run is skipped; a killed one resumes
(bin/train resumes from its checkpoint, a finished metric is not redone);
a failed one records its one-line error and is retried on the next call.
A preempted run (SIGTERM/SIGINT: bin/train checkpoints at its step) records
nothing and exits with preemption.PREEMPTED_EXIT_STATUS, so that the same
command resumes it.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

from tfdisent import errors, preemption
from tfdisent.studies.study import scaled_steps

STATUS_FILE = "study_status.json"
DONE, FAILED = "done", "failed"


def run_directory(output_dir, study, run):
    return os.path.join(output_dir, study.name, run.name)


def read_status(run_dir):
    path = os.path.join(run_dir, STATUS_FILE)
    if not os.path.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def write_status(run_dir, state, run, index, steps_scale, error=None, **extra):
    os.makedirs(run_dir, exist_ok=True)
    status = dict(state=state, study_run=index, run=run.name, model=run.model,
                  setting=run.setting, seed=run.seed, dataset=run.dataset,
                  paper_steps=run.steps, steps=scaled_steps(run.steps, steps_scale),
                  steps_scale=steps_scale, host=socket.gethostname(), commit=code_commit(),
                  finished=time.strftime("%Y-%m-%dT%H:%M:%S"), **extra)
    if error is not None:
        status["error"] = error
    path = os.path.join(run_dir, STATUS_FILE)
    with open(path + ".tmp", "w") as f:
        json.dump(status, f, indent=2)
    os.replace(path + ".tmp", path)
    return status


def code_commit():
    """The git commit of the tfdisent code that runs (None outside a checkout)."""
    if not hasattr(code_commit, "value"):
        try:
            code_commit.value = subprocess.run(
                ["git", "rev-parse", "--short=7", "HEAD"], capture_output=True, text=True,
                cwd=os.path.dirname(os.path.abspath(__file__)), timeout=10,
                check=True).stdout.strip() or None
        except (OSError, subprocess.SubprocessError):
            code_commit.value = None
    return code_commit.value


def train_finished(run_dir):
    """Training (or distillation) has written its results."""
    return any(os.path.isfile(os.path.join(run_dir, "results", "json", name))
               for name in ("train_results.json", "distill_results.json"))


def metric_finished(run_dir, metric):
    """The MetricConfig's results exist and record no failed metric (a
    failed one is evaluated again on the next attempt)."""
    from tfdisent.evaluate import failed_metrics
    path = os.path.join(run_dir, metric.aggregate_file)
    if not os.path.isfile(path):
        return False
    with open(path) as f:
        return not failed_metrics(json.load(f))


def run_one(study, index, output_dir, dataset=None, steps_scale=1.0, log=None):
    """Trains and evaluates run `index`; returns its status dict."""
    log = log or sys.stdout
    runs = study.runs(dataset)
    if not 0 <= index < len(runs):
        raise ValueError("study %s has runs 0-%d, not %d"
                         % (study.name, len(runs) - 1, index))
    run = runs[index]
    run_dir = run_directory(output_dir, study, run)
    status = read_status(run_dir)
    if status and status["state"] == DONE:
        if status["steps_scale"] != steps_scale:
            raise ValueError("%s finished with --steps_scale=%s, not %s; use another "
                             "--output_dir" % (run_dir, status["steps_scale"], steps_scale))
        log.write("run %d %s: already done\n" % (index, run.name))
        return status
    if status:  # a failed attempt: try again from what is on disk
        os.remove(os.path.join(run_dir, STATUS_FILE))
    log.write("run %d %s: %s\n" % (index, run.name, "resuming" if os.path.isdir(run_dir)
                                   else "starting"))
    log.flush()
    began = time.time()
    try:
        _train(run, run_dir, steps_scale)
        for metric in study.metrics:
            if not metric_finished(run_dir, metric):
                log.write("run %d %s: evaluating %s\n" % (index, run.name, metric.label))
                log.flush()
                _evaluate(run, run_dir, metric)
    except preemption.Preempted:
        raise  # not a failure: the same command resumes it
    except Exception as e:  # recorded; the study's other runs go on
        message = errors.one_line(e)
        log.write("run %d %s: failed: %s\n" % (index, run.name, message))
        return write_status(run_dir, FAILED, run, index, steps_scale, error=message,
                            seconds=time.time() - began)
    log.write("run %d %s: done in %.0f s\n" % (index, run.name, time.time() - began))
    return write_status(run_dir, DONE, run, index, steps_scale,
                        seconds=time.time() - began)


def _train(run, run_dir, steps_scale):
    if train_finished(run_dir):
        return
    if run.distill_from:
        _distill(run, run_dir)
        return
    from tfdisent import train  # TensorFlow only when a run really trains
    train.train_with_gin(run_dir, overwrite=False,
                         gin_config_files=list(run.gin_configs),
                         gin_bindings=run.train_bindings(steps_scale))


def _distill(run, run_dir):
    """Distils the trained model of run `run.distill_from` into `run_dir`
    (started afresh: a distillation does not resume)."""
    teacher_dir = os.path.join(os.path.dirname(run_dir), run.distill_from)
    if not train_finished(teacher_dir) or not os.path.isdir(
            os.path.join(teacher_dir, "saved_model")):
        raise RuntimeError("the teacher run %s has not finished; run it first"
                           % run.distill_from)
    import gin
    from tfdisent import gin_config
    from tfdisent.cli import distill as distill_cli
    from tfdisent.distill import run as distill_run
    distill_cli.register_pipelines()
    gin.clear_config()
    try:
        gin_config.parse(list(run.gin_configs), run.distill_bindings(teacher_dir))
        distill_run.prepare_output_dir(run_dir, overwrite=True)
        distill_run.run_distillation(run_dir, seed=run.seed)
    finally:
        gin.clear_config()


def _evaluate(run, run_dir, metric):
    if metric.step == "abstract_reasoning":
        _reason(run, run_dir, metric)
        return
    from tfdisent import evaluate
    scores = evaluate.evaluate_with_gin(
        os.path.join(run_dir, "metrics", metric.label), model_dir=run_dir,
        gin_config_files=list(metric.gin_configs),
        gin_bindings=tuple(metric.bindings) + tuple(run.metric_bindings),
        overwrite=True)
    failures = evaluate.failed_metrics(scores)
    if failures:
        key, message = sorted(failures.items())[0]
        raise RuntimeError("%s: %s" % (key, message))


def _reason(run, run_dir, metric):
    """bin/reason on the run's representation into RUN/metrics/<label>
    (resuming an interrupted one)."""
    import gin
    from tfdisent import gin_config
    from tfdisent.reasoning import reason
    gin.clear_config()
    try:
        gin_config.parse(list(metric.gin_configs),
                         tuple(metric.bindings) + tuple(run.metric_bindings))
        reason.reason(run_dir, os.path.join(run_dir, "metrics", metric.label), verbose=0)
    finally:
        gin.clear_config()


# --- results to keep -------------------------------------------------------------

# What the report reads of a finished run (small files), relative to the run.
KEPT_FILES = (STATUS_FILE, os.path.join("results", "curves.jsonl"),
              os.path.join("visualizations", "traversals", "conf_interval_0.png"))


def copy_results(study, output_dir, destination, dataset=None):
    """Copies the small files the report reads of every finished run (its
    status, each metric config's aggregate results, its curves, one
    traversal picture) into DESTINATION/STUDY/<run>/, the layout of
    `output_dir`, so the report can be rebuilt from them alone. Returns the
    number of runs copied."""
    copied = 0
    for run in study.runs(dataset):
        source = run_directory(output_dir, study, run)
        status = read_status(source)
        if not status or status["state"] != DONE:
            continue
        target = run_directory(destination, study, run)
        names = list(KEPT_FILES) + [m.aggregate_file for m in study.metrics]
        for name in names:
            if os.path.isfile(os.path.join(source, name)):
                os.makedirs(os.path.dirname(os.path.join(target, name)), exist_ok=True)
                shutil.copyfile(os.path.join(source, name), os.path.join(target, name))
        copied += 1
    return copied


# --- many runs ------------------------------------------------------------------

def parse_indices(text, count):
    """'0-9,12' -> [0, ..., 9, 12]; '' -> every run."""
    if not text:
        return list(range(count))
    indices = []
    for part in text.split(","):
        first, _, last = part.strip().partition("-")
        try:
            span = range(int(first), int(last or first) + 1)
        except ValueError:
            raise ValueError("--runs takes indices and ranges such as 0-9,12, "
                             "got %r" % text) from None
        indices.extend(span)
    bad = [i for i in indices if not 0 <= i < count]
    if bad:
        raise ValueError("--runs: %d is not a run (0-%d)" % (bad[0], count - 1))
    return sorted(set(indices))


def run_many(study, indices, output_dir, dataset=None, steps_scale=1.0,
             parallel=1, log=None, study_reference=None):
    """Runs `indices`, `parallel` processes at a time (each run in its own
    process, its output in DIR/STUDY/<run>.log). `study_reference` is what
    the processes pass to --study (default: the study's name). On SIGTERM or
    SIGINT no new run starts and the running ones are asked to checkpoint and
    stop (state "preempted"). Returns {index: state}."""
    pool = _Pool(study, study_reference or study.name, output_dir, dataset,
                 steps_scale, log or sys.stdout)
    previous = {s: signal.signal(s, pool.stop) for s in preemption.SIGNALS}
    try:
        pool.run(list(indices), max(1, parallel))
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    return pool.states


class _Pool:
    """Run processes of one study: start, collect, stop on a signal."""

    def __init__(self, study, reference, output_dir, dataset, steps_scale, log):
        self.study, self.reference, self.output_dir = study, reference, output_dir
        self.dataset, self.steps_scale, self.log = dataset, steps_scale, log
        self.runs = study.runs(dataset)
        self.active, self.states, self.stopping = {}, {}, False

    def stop(self, signum, frame):
        self.stopping = True
        for process, _ in self.active.values():
            process.send_signal(signal.SIGTERM)

    def run(self, pending, parallel):
        while (pending and not self.stopping) or self.active:
            while pending and not self.stopping and len(self.active) < parallel:
                index = pending.pop(0)
                self.active[index] = self._start(index)
            time.sleep(0.2)
            for index, (process, log_file) in list(self.active.items()):
                if process.poll() is not None:
                    log_file.close()
                    del self.active[index]
                    self._collect(index, process.returncode, log_file.name)

    def _collect(self, index, returncode, log_name):
        run = self.runs[index]
        if returncode == preemption.PREEMPTED_EXIT_STATUS or (
                self.stopping and returncode not in (0, 1)):
            self.states[index] = "preempted"
            self.log.write("run %d %s: preempted (checkpointed; run again to resume)\n"
                           % (index, run.name))
            return
        run_dir = run_directory(self.output_dir, self.study, run)
        status = read_status(run_dir)
        if status is None or returncode not in (0, 1):
            status = write_status(run_dir, FAILED, run, index, self.steps_scale,
                                  error="process ended with status %d (see %s)"
                                  % (returncode, log_name))
        self.states[index] = status["state"]
        self.log.write("run %d %s: %s%s\n" % (index, run.name, status["state"],
                                               ": " + status["error"] if "error" in status
                                               else ""))
        self.log.flush()

    def _start(self, index):
        run = self.runs[index]
        os.makedirs(os.path.join(self.output_dir, self.study.name), exist_ok=True)
        log_file = open(os.path.join(self.output_dir, self.study.name,
                                     run.name + ".log"), "a")
        command = [sys.executable, "-m", "tfdisent.cli.study", "--study=" + self.reference,
                   "--model_num=%d" % index, "--output_dir=" + self.output_dir,
                   "--steps_scale=%r" % self.steps_scale]
        if self.dataset:
            command.append("--dataset=" + self.dataset)
        process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
        return process, log_file
