"""Scores a SavedModel, or saved codes, with one or several metrics; writes
OUT/results/.

Gin names follow disentanglement_lib's metric configs::

    evaluation.evaluation_fn = @mig          # or a list: [@mig, @dci, ...]
    evaluation.random_seed = 0
    dataset.name = "auto"                    # the dataset the model trained on
    mig.num_train = 10000
    discretizer.num_bins = 20                # mapped onto the metrics' num_bins

Results go to OUT/results/ in disentanglement_lib's scheme (tfdisent.results),
carrying MODEL_DIR/results forward, as step "evaluation". One metric keeps
its bare keys ("discrete_mig", "elapsed_time"); several metrics namespace
theirs with the metric reference as written in gin, without the "@"
("mig.discrete_mig", "downstream_logistic/downstream_task.10:mean_test_accuracy").
A failing metric is reported on stderr and recorded as "<metric>.error"
("error" alone for one metric); the other metrics still run.

`evaluation.codes = "FILE"` (bin/evaluate --codes) scores saved codes instead
(tfdisent.metrics.saved_codes) with the metrics' array API: no SavedModel,
no dataset, no TensorFlow.
"""

import ast
import contextlib
import inspect
import os
import shutil
import sys
import time

import gin
import numpy as np
from absl import logging

from tfdisent import errors, gin_config, results
from tfdisent.data import registry
from tfdisent.metrics import api, code_memo, reconstruction, saved_codes, utils
from tfdisent.representation import BatchedRepresentation, SavedModelRepresentation

# Metrics of the model itself, not of its codes (no array API, no --codes).
MODEL_METRICS = {"reconstruction": reconstruction.compute_reconstruction}
# gin name (disentanglement_lib's where it has one) -> sampler.
METRICS = dict(api.METRICS, **MODEL_METRICS)

# disentanglement_lib binds some metric options on shared configurables; a
# bound one is copied onto the parameter of the metrics that read it there
# (unless the metric binds that parameter itself).
SHARED_BINDINGS = {
    "discretizer.num_bins": ("num_bins", ("mig", "modularity_explicitness", "irs",
                                          "unsupervised_metrics")),
    "prune_dims.threshold": ("prune_threshold", ("factor_vae_score",)),
    "predictor.predictor_fn": ("predictor", ("downstream_task", "fairness",
                                             "strong_downstream_task",
                                             "reduced_downstream_task")),
}
_NOT_CONFIGURABLE = ["ground_truth_data", "representation_function", "random_state"]
_metric_functions = {}


@gin.configurable("evaluation")
def evaluation_settings(evaluation_fn=gin.REQUIRED, random_seed=0, name="",
                        representation="representation", batch_size=64,
                        codes=None, factor_bins=None, num_workers=None,
                        reuse_codes=True):
    """The `evaluation.*` gin bindings.

    Args:
      evaluation_fn: a metric reference (@mig) or a list of them.
      random_seed: seeds every metric's RandomState (each metric starts from
        it, so a suite gives the numbers of separate runs) and the noise of
        the sampled representation.
      name: a free label recorded with the results (disentanglement_lib's).
      representation: "representation" | "mean" | "sampled" (see
        tfdisent.representation).
      batch_size: images per SavedModel call.
      codes: a saved codes file to score instead of a SavedModel (--codes).
      factor_bins: bins for raw continuous factors of saved codes
        (tfdisent.metrics.api.factor_classes).
      num_workers: processes for the metrics' per-factor fits; None: every
        core, or $TFDISENT_NUM_WORKERS (the scores do not depend on it).
      reuse_codes: a factor vector the sampled metrics draw again keeps the
        code it got the first time (tfdisent.metrics.code_memo; the same
        codes, so the same scores, for a representation that codes each
        image on its own).
    """
    del name  # recorded in the operative config only
    return dict(evaluation_fn=evaluation_fn, random_seed=random_seed,
                representation=representation, batch_size=batch_size,
                codes=codes, factor_bins=factor_bins, num_workers=num_workers,
                reuse_codes=reuse_codes)


@gin.configurable("discretizer")
def _discretizer(discretizer_fn=None, num_bins=utils.DEFAULT_NUM_BINS):
    """Holds dlib's `discretizer.*` bindings (copied onto the metrics)."""


@gin.configurable("prune_dims")
def _prune_dims(threshold=None):
    """Holds dlib's `prune_dims.threshold` (copied onto `prune_threshold`)."""


@gin.configurable("predictor")
def _predictor(predictor_fn=None):
    """Holds dlib's `predictor.predictor_fn` (copied onto `predictor`)."""


gin.external_configurable(utils.histogram_discretize, "histogram_discretizer")
gin.external_configurable(utils.logistic_regression_cv, "logistic_regression_cv")
gin.external_configurable(utils.gradient_boosting_classifier,
                          "gradient_boosting_classifier")


def register_metrics():
    """Registers every metric's sampler as a gin configurable (once)."""
    for name, function in METRICS.items():
        if name not in _metric_functions:
            gin.external_configurable(function, name, denylist=_NOT_CONFIGURABLE)
            _metric_functions[name] = function


# --- the pipeline --------------------------------------------------------------

def evaluate(output_dir, metrics, *, model_dir=None, saved_model=None,
             dataset=None, representation="representation", random_seed=0,
             batch_size=64, overwrite=False, operative_gin=None):
    """Scores a SavedModel and writes OUTPUT_DIR/results; returns the results.

    Args:
      output_dir: created; must not exist unless `overwrite`.
      metrics: {label: fn(ground_truth_data, representation_function,
        random_state) -> dict}.
      model_dir / saved_model: exactly one. MODEL_DIR/saved_model is scored
        and MODEL_DIR/results carried forward; a bare SavedModel path carries
        forward ../results when it sits in a model directory.
      dataset: a GroundTruthData; None reads the model's training dataset.
      operative_gin: gin text recorded; default: gin's operative config.
    """
    if not metrics:
        raise ValueError("no metric to evaluate")
    saved_model, model_results = locate_model(model_dir, saved_model)
    check_output_dir(output_dir, overwrite, protected=(model_dir, saved_model))
    if dataset is None:
        name, options = training_dataset(model_results)
        dataset = registry.get(name, **options)
    representation_function = SavedModelRepresentation(
            saved_model, representation, batch_size, random_seed)
    representation_function.check_observation_shape(
            dataset.observation_shape, "observations of dataset %r"
            % getattr(dataset, "name", type(dataset).__name__))

    if os.path.exists(output_dir):
        shutil.rmtree(output_dir)
    scores = run_metrics(metrics, dataset, representation_function, random_seed)
    results.update_result_directory(os.path.join(output_dir, "results"),
                                    "evaluation", scores,
                                    old_result_dir=model_results,
                                    operative_gin=operative_gin)
    return scores


def run_metrics(metrics, ground_truth_data, representation_function, random_seed,
                log=None):
    """Runs each metric from a fresh RandomState(random_seed); returns the
    (namespaced when several) results. A failure is logged as one line."""
    log = log or sys.stderr
    single = len(metrics) == 1
    scores = {}
    began = time.time()
    for number, (label, metric) in enumerate(metrics.items(), 1):
        prefix = "" if single else label + "."
        print("metric %d/%d: %s (%.0f s so far)" % (number, len(metrics), label,
                                                    time.time() - began), flush=True)
        if isinstance(representation_function, BatchedRepresentation):
            representation_function.reset_noise(random_seed)
        start = time.time()
        try:
            values = metric(ground_truth_data, representation_function,
                            np.random.RandomState(random_seed))
        except Exception as e:  # one metric must not lose the others' results
            logging.debug("metric %s failed", label, exc_info=True)
            message = errors.one_line(e)
            log.write("error: metric %s failed: %s\n" % (label, message))
            scores[prefix + "error"] = message
            continue
        scores.update((prefix + key, value) for key, value in values.items())
        scores[prefix + "elapsed_time"] = time.time() - start
    if not single:
        scores["elapsed_time"] = time.time() - began
    return scores


def evaluate_codes(output_dir, codes, metrics, *, random_seed=0, factor_bins=None,
                   overwrite=False, operative_gin=None):
    """Scores saved codes and writes OUTPUT_DIR/results; returns the results.

    Args:
      codes: a codes file (tfdisent.metrics.saved_codes) or an api.Sample.
      metrics: {label: (metric name, settings)}, settings as `api.scorer`
        takes them (num_train = the first points used, ...).
      random_seed: each metric gets np.random.RandomState(random_seed).
      factor_bins: bins for raw continuous factors (api.factor_classes).

    Everything (the file, every metric's settings and point counts) is
    checked before anything is written.
    """
    if not metrics:
        raise ValueError("no metric to evaluate")
    from_file = isinstance(codes, str)
    check_output_dir(output_dir, overwrite, protected=(codes,) if from_file else ())
    sample = saved_codes.load(codes, factor_bins) if from_file else codes
    runs = {label: api.scorer(name, sample, settings)
            for label, (name, settings) in metrics.items()}
    if os.path.exists(output_dir):
        shutil.rmtree(output_dir)
    scores = run_metrics({label: _ignoring_sampler_arguments(run)
                          for label, run in runs.items()}, None, None, random_seed)
    results.update_result_directory(os.path.join(output_dir, "results"),
                                    "evaluation", scores,
                                    operative_gin=operative_gin)
    return scores


def _ignoring_sampler_arguments(run):
    """run(random_state) as a `run_metrics` metric."""
    return lambda ground_truth_data, representation_function, random_state: (
            run(random_state))


def failed_metrics(scores):
    """The error entries of `run_metrics` results: {key: message}."""
    return {k: v for k, v in scores.items() if k == "error" or k.endswith(".error")}


def locate_model(model_dir, saved_model):
    """(SavedModel path, results directory to carry forward or None)."""
    if (model_dir is None) == (saved_model is None):
        raise ValueError("give exactly one of --model_dir, --saved_model and "
                         "--codes")
    if model_dir is not None:
        if not os.path.isdir(model_dir):
            raise FileNotFoundError("no model directory at %s" % model_dir)
        saved_model = os.path.join(model_dir, "saved_model")
    else:
        model_dir = os.path.dirname(os.path.abspath(saved_model))
    model_results = os.path.join(model_dir, "results")
    return saved_model, model_results if os.path.isdir(model_results) else None


def check_output_dir(output_dir, overwrite, protected=()):
    """Refuses an existing output directory without `overwrite`, and any
    output directory that would contain or replace the model."""
    if not output_dir:
        raise ValueError("--output_dir is required")
    target = os.path.abspath(output_dir)
    for path in protected:
        if path and _is_within(os.path.abspath(path), target):
            raise ValueError("the output directory %s would contain the model %s; "
                             "choose another --output_dir" % (output_dir, path))
    if os.path.exists(output_dir) and not overwrite:
        raise FileExistsError("output directory %s exists; pass --overwrite to "
                              "replace it" % output_dir)


def _is_within(path, directory):
    return path == directory or path.startswith(os.path.join(directory, ""))


def training_dataset(model_results):
    """(dataset name, options) recorded by the train step in `model_results`."""
    where = "MODEL_DIR/results/json/train_config.json"
    if model_results is None:
        raise ValueError("dataset.name = 'auto' reads the training dataset from "
                         "%s, but there are no results next to the SavedModel; "
                         "bind dataset.name explicitly" % where)
    config = _train_config(model_results)
    if "dataset.name" not in config:
        raise ValueError("dataset.name = 'auto' but %s records no dataset.name; "
                         "bind dataset.name explicitly"
                         % os.path.join(model_results, "json", "train_config.json"))
    options = _gin_value(config.get("dataset.options", "None")) or {}
    return _gin_value(config["dataset.name"]), options


def _train_config(model_results):
    path = os.path.join(model_results, "json", "train_config.json")
    if os.path.isfile(path):
        return results.load_json(path)
    gin_path = os.path.join(model_results, "gin", "train.gin")
    if os.path.isfile(gin_path):
        with open(gin_path) as f:
            return results.gin_config_to_dict(f.read())
    raise FileNotFoundError("dataset.name = 'auto' needs %s (or gin/train.gin) "
                            "written by bin/train" % path)


def _gin_value(text):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise ValueError("cannot read the recorded gin value %s" % text) from None


# --- gin ----------------------------------------------------------------------

def evaluate_with_gin(output_dir, model_dir=None, saved_model=None,
                      gin_config_files=(), gin_bindings=(), overwrite=False):
    """Parses the gin configs, evaluates, clears gin; returns the results.

    With `evaluation.codes` bound, scores that codes file (no model)."""
    register_metrics()
    gin.clear_config()
    gin_config.parse(gin_config_files, gin_bindings)
    try:
        settings = evaluation_settings()
        codes, factor_bins = settings.pop("codes"), settings.pop("factor_bins")
        if codes is not None:
            if model_dir is not None or saved_model is not None:
                raise ValueError("--codes scores saved codes; give it without "
                                 "--model_dir and --saved_model")
            with utils.num_workers(settings["num_workers"]):
                return _evaluate_codes_with_gin(output_dir, codes, factor_bins,
                                                settings["random_seed"], overwrite)
        check_output_dir(output_dir, overwrite, protected=(model_dir, saved_model))
        suite = MetricSuite(settings)
        dataset = gin_dataset(model_dir, saved_model)
        with suite.context():
            return evaluate(output_dir, suite.metrics, model_dir=model_dir,
                            saved_model=saved_model, dataset=dataset,
                            overwrite=overwrite, **suite.representation_settings)
    finally:
        gin.clear_config()


class MetricSuite:
    """The metrics and evaluation settings of the parsed gin config (as
    bin/evaluate reads them), to score any representation function: bin/evaluate
    scores a SavedModel with it, training scores its snapshots (tfdisent.curves)."""

    def __init__(self, settings=None):
        register_metrics()
        settings = dict(settings or evaluation_settings())
        if settings.pop("codes", None) is not None:
            raise ValueError("evaluation.codes scores a codes file, not a model")
        settings.pop("factor_bins", None)
        self.num_workers = settings.pop("num_workers")
        self.reuse_codes = settings.pop("reuse_codes")
        self.metrics = _gin_metrics(settings.pop("evaluation_fn"))
        self.random_seed = settings["random_seed"]
        # representation, random_seed, batch_size: what `evaluate` takes.
        self.representation_settings = settings

    @contextlib.contextmanager
    def context(self):
        """The worker count and code reuse the config asks for."""
        with utils.num_workers(self.num_workers), code_memo.reusing_codes(self.reuse_codes):
            yield

    def score(self, dataset, representation_function, log=None):
        """Every metric on `representation_function`, with no codes kept from
        an earlier call (its weights may have changed since)."""
        utils.clear_sampling_cache()
        with self.context():
            return run_metrics(self.metrics, dataset, representation_function,
                               self.random_seed, log=log)


def _evaluate_codes_with_gin(output_dir, codes, factor_bins, random_seed,
                             overwrite):
    """evaluate_codes with each metric's gin settings (its sampler's defaults
    where unbound); the operative config records every setting used."""
    metrics, lines = {}, []
    for reference in _metric_references():
        name, label = reference.configurable.name, reference.scoped_selector
        if name in MODEL_METRICS:
            raise ValueError("%s scores a model, not saved codes: give --model_dir "
                             "instead of --codes" % name)
        defaults = {p.name: p.default for p in
                    inspect.signature(_metric_functions[name]).parameters.values()}
        bound = gin.get_bindings(label)
        as_written = gin.get_bindings(label, resolve_references=False)
        used = sorted(api.parameters(name))
        metrics[label] = (name, {k: bound.get(k, defaults[k]) for k in used})
        lines += ["%s.%s = %r" % (label, k, as_written.get(k, defaults[k]))
                  for k in used]
    operative_gin = (gin.operative_config_str()
                     + "\n# Metric settings used on the saved codes:\n"
                     + "\n".join(lines) + "\n")
    return evaluate_codes(output_dir, codes, metrics, random_seed=random_seed,
                          factor_bins=factor_bins, overwrite=overwrite,
                          operative_gin=operative_gin)


def _gin_metrics(evaluation_fn):
    """{label: gin-configured metric} from `evaluation.evaluation_fn`."""
    functions = (evaluation_fn if isinstance(evaluation_fn, (list, tuple))
                 else [evaluation_fn])
    references = _metric_references()
    return dict(zip([r.scoped_selector for r in references], functions))


def _metric_references():
    """The checked metric references of `evaluation.evaluation_fn`, with the
    shared dlib bindings copied onto them."""
    references = gin.query_parameter("evaluation.evaluation_fn")
    if not isinstance(references, (list, tuple)):
        references = [references]
    if not all(isinstance(r, gin.config.ConfigurableReference) and not r.evaluate
               for r in references):
        raise ValueError("evaluation.evaluation_fn takes metric references such "
                         "as @mig or [@mig, @dci], got %s" % (references,))
    labels = [r.scoped_selector for r in references]
    duplicates = sorted({label for label in labels if labels.count(label) > 1})
    if duplicates:
        raise ValueError("evaluation.evaluation_fn lists %s twice; use a gin scope "
                         "(@name/%s) for a second configuration"
                         % (duplicates[0], duplicates[0]))
    unknown = [r.configurable.name for r in references
               if r.configurable.name not in _metric_functions]
    if unknown:
        raise ValueError("%s is not a metric; metrics: %s"
                         % (unknown[0], ", ".join(sorted(_metric_functions))))
    _copy_shared_bindings({r.configurable.name for r in references})
    return references


def _copy_shared_bindings(metric_names):
    with gin.unlock_config():
        for shared, (parameter, readers) in SHARED_BINDINGS.items():
            value = bound_value(shared)
            if value is None:
                continue
            for name in sorted(set(readers) & metric_names):
                if bound_value("%s.%s" % (name, parameter)) is None:
                    gin.bind_parameter("%s.%s" % (name, parameter), value)


def gin_dataset(model_dir, saved_model):
    """The dataset `dataset.*` names; "auto" (or unbound) = the training one."""
    if bound_value("dataset.name") in (None, "auto"):
        model_results = locate_model(model_dir, saved_model)[1]
        name, options = training_dataset(model_results)
        with gin.unlock_config():
            gin.bind_parameter("dataset.name", name)
            if options and bound_value("dataset.options") is None:
                gin.bind_parameter("dataset.options", options)
    return registry.get_configured()


def bound_value(key):
    """The parsed gin value of `key`, None when unbound."""
    try:
        return gin.query_parameter(key)
    except ValueError:
        return None
