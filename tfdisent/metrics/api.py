"""The public array API of the metric suite: scores codes from any framework.

- `score(codes, factors, metrics, test=(codes_test, factors_test), ...)`
  scores codes that are already computed (by a PyTorch or JAX model, read
  from a file, ...) with the fixed-sample metrics; the sampled metrics
  (BetaVAE, FactorVAE, m-FVM) too when the codes cover the full factor grid.
- `score_representation(representation, ground_truth_data, metrics, ...)`
  runs the metrics' own samplers with any callable observations -> codes.

Both return {metric name: {disentanglement_lib's result keys}}; metric names
are disentanglement_lib's gin names (`METRICS`). No TensorFlow here.
docs/metrics_api.md has the full contract.
"""

import inspect
from typing import Callable, NamedTuple

import numpy as np

from tfdisent.metrics import (beta_vae, dci, downstream, factor_vae, fairness, infomec,
                              irs, mfvm, mig, modularity_explicitness, reduced_downstream, sap,
                              strong_downstream, unified, unsupervised)
from tfdisent.metrics.inputs import GridCodes, Sample, factor_classes, make_sample

# disentanglement_lib's gin name -> sampler(ground_truth_data,
# representation_function, random_state, **settings) -> dict.
METRICS = {
    "beta_vae_sklearn": beta_vae.compute_beta_vae_sklearn,
    "factor_vae_score": factor_vae.compute_factor_vae,
    "mig": mig.compute_mig,
    "dci": dci.compute_dci,
    "sap_score": sap.compute_sap,
    "modularity_explicitness": modularity_explicitness.compute_modularity_explicitness,
    "irs": irs.compute_irs,
    "unsupervised_metrics": unsupervised.compute_unsupervised_metrics,
    "downstream_task": downstream.compute_downstream_task,
    "infomec": infomec.compute_infomec,
    "mfvm": mfvm.compute_mfvm,
    "fairness": fairness.compute_fairness,
    "strong_downstream_task": strong_downstream.compute_strong_downstream_task,
    "reduced_downstream_task": reduced_downstream.compute_reduced_downstream_task,
    "unified_scores": unified.compute_unified_scores,
}


class _FixedSample(NamedTuple):
    """How a metric defined on i.i.d. points scores given arrays."""
    core: Callable        # (train, test, random_state, **settings) -> dict
    size: str = "num_train"   # the sampler's parameter counting training points
    uses_test: bool = False
    sizes_to_core: bool = False  # the core reads `size` itself (downstream)


def _mig(train, test, random_state, **settings):
    return mig._compute_mig(*train, **settings)


def _dci(train, test, random_state, **settings):
    return dci._compute_dci(*train, *test, **settings)


def _sap(train, test, random_state, **settings):
    return sap._compute_sap(*train, *test, **settings)


def _modularity_explicitness(train, test, random_state, **settings):
    return modularity_explicitness._compute_modularity_explicitness(
            *train, *test, **settings)


def _irs(train, test, random_state, **settings):
    return irs._compute_irs(*train, **settings)


def _unsupervised(train, test, random_state, **settings):
    return unsupervised._compute_unsupervised(train[0], **settings)


def _infomec(train, test, random_state, **settings):
    return infomec.infomec(*train, random_state=random_state, **settings)


def _downstream(train, test, random_state, num_train, **settings):
    """Each training size n scores the first n training points against the
    one test set (the sampler draws fresh points per size)."""
    scores = {}
    for size in num_train:
        accuracies = downstream.downstream_accuracies(
                train[0][:size], train[1][:size], *test, **settings)
        scores.update(downstream.accuracy_scores(size, *accuracies))
    return scores


def _reduced_downstream(train, test, random_state, num_train, **settings):
    """As `_downstream`: the first n training points per size."""
    scores = {}
    for size in num_train:
        scores.update(reduced_downstream.reduced_scores(
                train[0][:size], train[1][:size], *test, size=size, **settings))
    return scores


def _unified(train, test, random_state, **settings):
    return unified.unified_scores(*train, *test, **settings)


FIXED_SAMPLE = {
    "mig": _FixedSample(_mig),
    "dci": _FixedSample(_dci, uses_test=True),
    "sap_score": _FixedSample(_sap, uses_test=True),
    "modularity_explicitness": _FixedSample(_modularity_explicitness,
                                            uses_test=True),
    "irs": _FixedSample(_irs),
    "unsupervised_metrics": _FixedSample(_unsupervised),
    "downstream_task": _FixedSample(_downstream, uses_test=True,
                                    sizes_to_core=True),
    "infomec": _FixedSample(_infomec, size="num_points"),
    "reduced_downstream_task": _FixedSample(_reduced_downstream, uses_test=True,
                                            sizes_to_core=True),
    "unified_scores": _FixedSample(_unified, uses_test=True),
}
FIXED_SAMPLE_METRICS = tuple(FIXED_SAMPLE)
# These draw observations for factor values they choose (pairs of batches
# sharing a factor, batches with fixed factors, interventions on a factor).
SAMPLED_METRICS = ("beta_vae_sklearn", "factor_vae_score", "mfvm", "fairness",
                   "strong_downstream_task")
_FACTOR_FREE = ("unsupervised_metrics",)
__all__ = ["METRICS", "FIXED_SAMPLE_METRICS", "SAMPLED_METRICS", "Sample",
           "make_sample", "factor_classes", "parameters", "sampler_parameters",
           "scorer", "score", "score_representation"]

# --- one metric on a sample ---------------------------------------------------

def sampler_parameters(name):
    """The keyword parameters of metric `name`'s sampler."""
    return {p.name for p in inspect.signature(METRICS[name]).parameters.values()
            if p.kind is p.KEYWORD_ONLY}


def parameters(name):
    """The settings metric `name` takes on given codes: its sampler's
    keyword parameters, without `batch_size` for the fixed-sample metrics
    (it only orders the sampler's draws)."""
    names = sampler_parameters(name)
    return names - {"batch_size"} if name in FIXED_SAMPLE else names


def scorer(name, sample, settings):
    """Checks that metric `name` can score `sample` with `settings`; returns
    run(random_state) -> the metric's result dict."""
    _check_names([name])
    _check_settings(name, settings, parameters(name))
    if sample.factors is None and name not in _FACTOR_FREE:
        raise ValueError("%s needs the factors of the points" % name)
    if name in SAMPLED_METRICS:
        data = GridCodes(sample.codes, sample.factors, name)
        return lambda random_state: METRICS[name](data, data.representation,
                                                  random_state, **settings)
    spec = FIXED_SAMPLE[name]
    settings = dict(settings)
    size = settings.pop(spec.size, None)
    train, test = _split(name, sample, spec.size, size, settings.pop("num_test", None),
                         spec.uses_test)
    if spec.sizes_to_core:
        settings[spec.size] = tuple(np.atleast_1d(len(train[0]) if size is None
                                                  else size).tolist())
    return lambda random_state: spec.core(train, test, random_state, **settings)


def _split(name, sample, size_name, size, num_test, uses_test):
    """(train, test) points for a metric: the first `size` training points
    (all if None) and the first `num_test` test points; without a test set,
    the points after the training points, in order, as the samplers draw."""
    count = max(size) if np.ndim(size) else size
    train = _head(sample.train, count, "%s.%s" % (name, size_name), "the codes")
    if not uses_test:
        return train, None
    if sample.test is not None:
        return train, _head(sample.test, num_test, "%s.num_test" % name,
                            "the test codes")
    if count is None:
        raise ValueError("%s needs test points: give a test set (codes_test, "
                         "factors_test), or set its %s (and num_test) to use the "
                         "points after the first %s as test points"
                         % (name, size_name, size_name))
    rest = tuple(a[count:] for a in sample.train)
    return train, _head(rest, num_test, "%s.num_test" % name,
                        "the codes after the %d training points (there is no "
                        "test set)" % count)


def _head(arrays, count, setting, where):
    available = len(arrays[0])
    if count is None:
        count = available
    if count < 1 or count > available:
        raise ValueError("%s = %d but %s have %d points"
                         % (setting, count, where, available))
    return tuple(None if a is None else a[:count] for a in arrays)


# --- the public entry points --------------------------------------------------

def score(codes, factors, metrics=FIXED_SAMPLE_METRICS, test=None, random_state=0,
          factor_bins=None, **settings):
    """Scores given codes; returns {metric: {disentanglement_lib's keys}}.

    Args:
      codes: [N, K] numbers, one row per point.
      factors: [N, F] class indices or raw values (see `factor_classes`);
        None for `unsupervised_metrics` alone.
      metrics: a name or names from `METRICS`; default every fixed-sample
        metric. `SAMPLED_METRICS` need the codes of the full factor grid.
      test: (codes_test, factors_test) for the metrics with a test set (DCI,
        SAP, modularity/explicitness, downstream). Without it they need
        `num_train` and use the points after the first num_train as test
        points (num_test of them, default all).
      random_state: an int seeds a fresh np.random.RandomState per metric (as
        bin/evaluate does); a RandomState is used as it is, by each metric in turn.
      factor_bins: bins for raw continuous factor columns (`factor_classes`).
      **settings: a metric's keyword parameters (`parameters(name)`), either
        shared (`num_bins=10` goes to every listed metric that takes it) or
        per metric (`dci={"importance": "random_forest"}`); num_train /
        num_test / num_points select the first points (default all).
    """
    names = _metric_names(metrics)
    sample = make_sample(codes, factors, test, factor_bins)
    routed = _route(names, settings, parameters)
    runs = {name: scorer(name, sample, routed[name]) for name in names}
    return {name: run(_fresh(random_state)) for name, run in runs.items()}


def score_representation(representation, ground_truth_data, metrics=tuple(METRICS),
                         random_state=0, **settings):
    """Runs the metrics' samplers: draws from `ground_truth_data` (any object
    with disentanglement_lib's GroundTruthData methods) and encodes with
    `representation(observations [B, ...] numpy) -> codes [B, K]`.

    `metrics`, `random_state` and `settings` as in `score`, with the
    samplers' own defaults (e.g. num_train=10000, batch_size=16).
    """
    names = _metric_names(metrics)
    if not callable(representation):
        raise TypeError("representation must be a callable observations -> codes, "
                        "got %s" % type(representation).__name__)
    routed = _route(names, settings, sampler_parameters)
    return {name: METRICS[name](ground_truth_data, representation,
                                _fresh(random_state), **routed[name])
            for name in names}


def _metric_names(metrics):
    names = [metrics] if isinstance(metrics, str) else list(metrics)
    if not names:
        raise ValueError("no metric to score")
    _check_names(names)
    return names


def _check_names(names):
    for name in names:
        if name not in METRICS:
            raise ValueError("unknown metric %r; metrics: %s"
                             % (name, ", ".join(METRICS)))


def _route(names, settings, parameters_of):
    """{metric: settings}: per-metric dicts, plus every shared setting the
    metric takes; a setting no listed metric takes is a TypeError."""
    shared = {k: v for k, v in settings.items() if k not in METRICS}
    own = {k: v for k, v in settings.items() if k in METRICS}
    for name, value in own.items():
        if name not in names:
            raise TypeError("settings for %s, which is not among the metrics %s"
                            % (name, ", ".join(names)))
        if not isinstance(value, dict):
            raise TypeError("%s=... takes a dict of that metric's settings, got %s"
                            % (name, type(value).__name__))
    routed = {}
    for name in names:
        accepted = parameters_of(name)
        _check_settings(name, own.get(name, {}), accepted)
        routed[name] = {k: v for k, v in shared.items() if k in accepted}
        routed[name].update(own.get(name, {}))
    for key in shared:
        if not any(key in parameters_of(name) for name in names):
            raise TypeError("none of the metrics %s takes the setting %r"
                            % (", ".join(names), key))
    return routed


def _check_settings(name, settings, accepted):
    unknown = sorted(set(settings) - accepted)
    if unknown:
        raise TypeError("%s has no setting %r; its settings: %s"
                        % (name, unknown[0], ", ".join(sorted(accepted))))


def _fresh(random_state):
    if isinstance(random_state, np.random.RandomState):
        return random_state
    return np.random.RandomState(random_state)
