"""The all.gin metric suite against disentanglement_lib's own metric modules,
timed in the same run on the same data, representation and seeds.

    python bench/metrics.py [--model=linear|conv] [--num_train=10000]
                            [--cores=N] [--metrics=mig,dci,...] [--no_dlib]
                            [--rounds=1] [--alternatives]
                            [--unseeded_dlib_trees]

Every metric runs with all.gin's settings (sample sizes scaled by
`--num_train`: evaluation / test sets are num_train / 2 up to 5000, the
FactorVAE variance sample is num_train, downstream keeps the sizes <=
num_train) from RandomState(0). Ours run as `bin/evaluate` runs the suite:
one process, the sampling cache shared across metrics, the per-factor fits
in `--cores` worker processes. disentanglement_lib's run metric by metric
interleaved with ours (the machine may be shared: compare within one run);
`--rounds=R` repeats the whole suite R times (each from an empty sampling
cache) and keeps each metric's fastest time on either side.

Models (`--model`):
  linear: 5 factors with dSprites' sizes (3, 6, 40, 32, 32) whose
    observations are the factor vectors; codes: a fixed noisy linear mix
    (10 codes). Measures the metrics' own work.
  conv: the `sprites` dataset (64x64 dSprites-like renders) encoded by an
    untrained β-VAE with disentanglement_lib's conv encoder, exported and
    loaded as a SavedModel (what bin/evaluate scores, 64 images per call),
    each code divided by its standard deviation on a fixed sample so that
    codes are active. Needs TensorFlow.

disentanglement_lib 1.5 is imported without TensorFlow through two shims (an
empty `gin.tf` module; gin's `blacklist=` keyword renamed `denylist=`). Its
`GradientBoostingClassifier()` (DCI, boosted downstream) gets
`random_state=0` like ours, so ties between features break the same way and
the scores can be compared exactly (`--unseeded_dlib_trees` leaves it as
released). If it
is not installed (`pip install --no-deps disentanglement-lib==1.5`) its
column is skipped with a message on stderr. InfoMEC and m-FVM have no
disentanglement_lib counterpart.

Prints one JSON object: `seconds` / `dlib_seconds` and `scores` /
`dlib_scores` and `observations` / `dlib_observations` (images encoded) per
metric, `suite_seconds` (all our metrics),
`dlib_suite_seconds`, `suite_seconds_on_dlib_metrics` and `ratio` (ours /
dlib on the metrics both ran), `max_abs_score_difference` per metric (not
of "num_active_dims": dlib's IRS reports a sum of code values under that
key), and `dlib_errors` (a dlib metric that failed,
e.g. its modularity on samples too small to hold every factor value). With
`--alternatives`, `alternatives` times the faster non-default estimators
(DCI `importance="random_forest"`, downstream
`predictor="hist_gradient_boosting_classifier"`) and gives their largest
score change against the default.
"""

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
import types

import numpy as np

DSPRITES_SIZES = (3, 6, 40, 32, 32)


def limit_cores(cores):
    """Pins this process (and every worker it starts) to `cores` cores."""
    if cores is None:
        return
    available = sorted(os.sched_getaffinity(0))
    if not 1 <= cores <= len(available):
        sys.exit("error: --cores must be in [1, %d], got %d" % (len(available), cores))
    os.sched_setaffinity(0, available[:cores])


# --- models -----------------------------------------------------------------

def linear_model():
    from tfdisent.data.ground_truth import GroundTruthData

    class FactorObservations(GroundTruthData):
        """Observations are the factor vectors (float32)."""
        factors_num_values = list(DSPRITES_SIZES)
        observation_shape = (len(DSPRITES_SIZES),)

        def sample_observations_from_factors(self, factors, random_state):
            return np.asarray(factors, dtype=np.float32)

    rs = np.random.RandomState(0)
    weights = 0.15 * rs.normal(size=(len(DSPRITES_SIZES), 10))
    weights[:, :len(DSPRITES_SIZES)] += np.eye(len(DSPRITES_SIZES))
    scale = 1.0 / (np.array(DSPRITES_SIZES) - 1.0)
    hashing = rs.normal(size=(len(DSPRITES_SIZES), 10)) * 1e3

    def representation(observations):
        x = np.asarray(observations, np.float64)
        return (x * scale) @ weights + 0.05 * np.sin(x @ hashing)

    return FactorObservations(), representation


def conv_model(directory):
    import keras

    from tfdisent import export
    from tfdisent.data import registry
    from tfdisent.models.regularizers import BetaVAE
    from tfdisent.models.vae import VAE
    from tfdisent.nets import dlib
    from tfdisent.representation import SavedModelRepresentation

    keras.utils.set_random_seed(0)
    data = registry.get("sprites")
    shape = tuple(data.observation_shape)
    model = VAE(shape, regularizer=BetaVAE(4.0), encoder=dlib.conv_encoder(shape, 10),
                decoder=dlib.deconv_decoder(10, shape))
    model.build_for(shape)
    path = export.export(model, os.path.join(directory, "saved_model"))
    encoder = SavedModelRepresentation(path, "representation", batch_size=64)
    # Untrained codes barely vary (FactorVAE would prune them all): rescale
    # each code to unit spread over a fixed sample (also warms the encoder).
    std = encoder(data.sample_observations(1024, np.random.RandomState(1))).std(0)

    def representation(observations):
        return encoder(observations) / std

    representation.deterministic = True  # the metrics may reuse codes
    representation.batch_size = encoder.batch_size  # rows per SavedModel call
    return data, representation


class Counting:
    """Counts the observations a representation function encodes."""

    def __init__(self, function):
        self.function = function
        self.observations = 0
        self.deterministic = getattr(function, "deterministic", False)
        self.batch_size = getattr(function, "batch_size", 1)

    def __call__(self, observations):
        self.observations += len(observations)
        return self.function(observations)


# --- the suite ----------------------------------------------------------------

def suite(num_train):
    """name -> (our function, kwargs, dlib function name or None, dlib kwargs,
    dlib gin bindings), at all.gin's settings."""
    from tfdisent.metrics import (beta_vae, dci, downstream, factor_vae, infomec,
                                  irs, mfvm, mig, modularity_explicitness, sap,
                                  unsupervised)
    n = num_train
    test = min(5000, max(n // 2, 1))
    sizes = tuple(s for s in (10, 100, 1000, 10000) if s <= n)
    bins = ["discretizer.discretizer_fn = @histogram_discretizer",
            "discretizer.num_bins = 20"]
    iid = dict(num_train=n, batch_size=16)
    split = dict(num_train=n, num_test=test, batch_size=16)
    return {
        "beta_vae": (beta_vae.compute_beta_vae_sklearn,
                     dict(batch_size=64, num_train=n, num_eval=test),
                     "beta_vae.compute_beta_vae_sklearn",
                     dict(batch_size=64, num_train=n, num_eval=test), []),
        "factor_vae": (factor_vae.compute_factor_vae,
                       dict(batch_size=64, num_train=n, num_eval=test,
                            num_variance_estimate=n, prune_threshold=0.05),
                       "factor_vae.compute_factor_vae",
                       dict(batch_size=64, num_train=n, num_eval=test,
                            num_variance_estimate=n),
                       ["prune_dims.threshold = 0.05"]),
        "mig": (mig.compute_mig, iid, "mig.compute_mig", iid, bins),
        "dci": (dci.compute_dci, split, "dci.compute_dci", split, []),
        "sap": (sap.compute_sap, dict(split, continuous_factors=False),
                "sap_score.compute_sap", dict(split, continuous_factors=False), []),
        "modularity_explicitness": (
                modularity_explicitness.compute_modularity_explicitness, split,
                "modularity_explicitness.compute_modularity_explicitness", split,
                bins),
        "irs": (irs.compute_irs, dict(iid, diff_quantile=0.99), "irs.compute_irs",
                dict(iid, diff_quantile=0.99), bins),
        "unsupervised": (unsupervised.compute_unsupervised_metrics, iid,
                         "unsupervised_metrics.unsupervised_metrics", iid, bins),
        "downstream_logistic": (
                downstream.compute_downstream_task,
                dict(num_train=sizes, num_test=test, batch_size=16,
                     predictor="logistic_regression_cv"),
                "downstream_task.compute_downstream_task",
                dict(num_train=sizes, num_test=test, batch_size=16),
                ["predictor.predictor_fn = @logistic_regression_cv"]),
        "downstream_boosted": (
                downstream.compute_downstream_task,
                dict(num_train=sizes, num_test=test, batch_size=16,
                     predictor="gradient_boosting_classifier"),
                "downstream_task.compute_downstream_task",
                dict(num_train=sizes, num_test=test, batch_size=16),
                ["predictor.predictor_fn = @gradient_boosting_classifier"]),
        "infomec": (infomec.compute_infomec, dict(num_points=n), None, None, []),
        "mfvm": (mfvm.compute_mfvm, {}, None, None, []),
    }


def alternatives(num_train):
    """The faster, non-default estimators: name -> (the suite metric they
    replace, function, kwargs)."""
    from tfdisent.metrics import dci, downstream
    calls = suite(num_train)
    return {
        "dci_random_forest": ("dci", dci.compute_dci,
                              dict(calls["dci"][1], importance="random_forest")),
        "downstream_hist_boosted": (
                "downstream_boosted", downstream.compute_downstream_task,
                dict(calls["downstream_boosted"][1],
                     predictor="hist_gradient_boosting_classifier")),
    }


def run_alternatives(data, representation, num_train, defaults):
    """Seconds, scores and the largest score change of each alternative
    against the default estimator's scores `defaults` (name -> scores)."""
    out = {}
    for name, (default, function, kwargs) in alternatives(num_train).items():
        seconds, scores = timed(function, data, representation,
                                np.random.RandomState(0), **kwargs)
        scores = summary(scores)
        out[name] = dict(replaces=default, seconds=round(seconds, 3),
                         scores=scores, max_abs_score_difference=max_difference(
                                 scores, defaults[default])
                         if default in defaults else None)
    return out


def import_dlib_metrics():
    """disentanglement_lib.evaluation.metrics without TensorFlow, or None."""
    import gin
    sys.modules.setdefault("gin.tf", types.ModuleType("gin.tf"))
    configurable = gin.configurable

    def renamed(*args, blacklist=None, **kwargs):
        if blacklist is not None:
            kwargs["denylist"] = blacklist
        return configurable(*args, **kwargs)

    gin.configurable = renamed
    try:
        from disentanglement_lib.evaluation import metrics
        from disentanglement_lib.evaluation.metrics import (  # noqa: F401
                beta_vae, dci, downstream_task, factor_vae, irs, mig,
                modularity_explicitness, sap_score, unsupervised_metrics)
    except ImportError as e:
        print("disentanglement_lib column skipped: %s (pip install --no-deps "
              "disentanglement-lib==1.5)" % e, file=sys.stderr)
        return None
    finally:
        gin.configurable = configurable
    return metrics


def seed_dlib_boosted_trees(metrics, seed):
    """Gives disentanglement_lib's `GradientBoostingClassifier()` (DCI and the
    boosted downstream predictor) `random_state=seed`, as ours has, so that
    its tie-breaking is reproducible and the scores comparable exactly; the
    work is unchanged."""
    import functools
    from sklearn import ensemble
    seeded = types.SimpleNamespace(GradientBoostingClassifier=functools.partial(
            ensemble.GradientBoostingClassifier, random_state=seed))
    metrics.dci.ensemble = seeded
    metrics.utils.ensemble = seeded


def dlib_function(metrics, dotted):
    module, function = dotted.split(".")
    return getattr(getattr(metrics, module), function)


@contextlib.contextmanager
def dlib_bindings(bindings):
    import gin
    gin.clear_config()
    gin.parse_config(bindings)
    try:
        yield
    finally:
        gin.clear_config()


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    with _quiet():
        result = function(*args, **kwargs)
    return time.perf_counter() - start, result


@contextlib.contextmanager
def _quiet():
    import warnings
    with warnings.catch_warnings():  # dlib's classifiers warn per fit
        warnings.simplefilter("ignore")
        yield


def summary(scores):
    """The scalar scores (downstream: the mean test accuracies)."""
    return {k: round(float(v), 6) for k, v in scores.items()
            if np.ndim(v) == 0 and (":" not in k or "mean_test" in k)}


# disentanglement_lib's IRS "num_active_dims" is np.sum(active codes' values),
# not a count (irs.py); ours counts the codes.
NOT_COMPARED = {"num_active_dims"}


def max_difference(ours, theirs):
    shared = set(ours) & set(theirs) - NOT_COMPARED
    return max((abs(ours[k] - theirs[k]) for k in shared), default=None)


def run(data, representation, names, num_train, dlib, rounds=1):
    """Every metric, ours then dlib's; `rounds` passes over the whole suite
    (each from an empty sampling cache), the fastest kept per metric."""
    out = {k: {} for k in ("seconds", "dlib_seconds", "scores", "dlib_scores",
                           "max_abs_score_difference", "dlib_errors",
                           "observations", "dlib_observations")}
    for _ in range(rounds):
        suite_round(data, representation, names, num_train, dlib, out)
    both = list(out["dlib_seconds"])
    out["suite_seconds"] = round(sum(out["seconds"].values()), 3)
    out["dlib_suite_seconds"] = (round(sum(out["dlib_seconds"].values()), 3)
                                 if dlib is not None else None)
    out["suite_seconds_on_dlib_metrics"] = round(
            sum(out["seconds"][n] for n in both), 3)
    out["ratio"] = (out["suite_seconds_on_dlib_metrics"] / out["dlib_suite_seconds"]
                    if both and out["dlib_suite_seconds"] else None)
    return out


def record(out, side, name, seconds, scores, observations):
    prefix = "dlib_" if side else ""
    print("%s%s: %.1f s" % (name, " (disentanglement_lib)" if side else "",
                            seconds), file=sys.stderr, flush=True)
    best = out[prefix + "seconds"].get(name, float("inf"))
    out[prefix + "seconds"][name] = round(min(best, seconds), 3)
    out[prefix + "scores"][name] = summary(scores)
    out[prefix + "observations"][name] = observations


def suite_round(data, representation, names, num_train, dlib, out):
    from tfdisent.metrics import utils
    utils.clear_sampling_cache()
    ours_fn, theirs_fn = Counting(representation), Counting(representation)
    for name in names:
        function, kwargs, dlib_name, dlib_kwargs, bindings = suite(num_train)[name]
        before = ours_fn.observations
        seconds, scores = timed(function, data, ours_fn, np.random.RandomState(0),
                                **kwargs)
        record(out, False, name, seconds, scores, ours_fn.observations - before)
        if dlib is None or dlib_name is None:
            continue
        before = theirs_fn.observations
        try:
            with dlib_bindings(bindings):
                seconds, scores = timed(dlib_function(dlib, dlib_name), data,
                                        theirs_fn, np.random.RandomState(0),
                                        **dlib_kwargs)
        except Exception as e:  # e.g. dlib's modularity on tiny samples
            out["dlib_errors"][name] = "%s: %s" % (type(e).__name__,
                                                   str(e).splitlines()[0])
            continue
        record(out, True, name, seconds, scores, theirs_fn.observations - before)
        out["max_abs_score_difference"][name] = max_difference(
                out["scores"][name], out["dlib_scores"][name])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["linear", "conv"], default="linear")
    parser.add_argument("--num_train", type=int, default=10000)
    parser.add_argument("--cores", type=int, default=None,
                        help="pin the run to this many cores (default: all)")
    parser.add_argument("--metrics", default=None,
                        help="comma-separated subset of the metric names")
    parser.add_argument("--no_dlib", action="store_true",
                        help="time our suite only")
    parser.add_argument("--unseeded_dlib_trees", action="store_true",
                        help="leave dlib's boosted trees unseeded (its code as "
                             "released; scores then differ on feature ties)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="passes over the suite; the fastest kept per metric")
    parser.add_argument("--alternatives", action="store_true",
                        help="also time the non-default faster estimators")
    args = parser.parse_args()
    limit_cores(args.cores)
    from tfdisent.metrics import utils
    names = args.metrics.split(",") if args.metrics else list(suite(args.num_train))
    unknown = sorted(set(names) - set(suite(args.num_train)))
    if unknown:
        sys.exit("error: unknown metric %s; metrics: %s"
                 % (unknown[0], ", ".join(suite(args.num_train))))
    dlib = None if args.no_dlib else import_dlib_metrics()
    if dlib is not None and not args.unseeded_dlib_trees:
        seed_dlib_boosted_trees(dlib, 0)
    with tempfile.TemporaryDirectory() as directory:
        data, representation = (conv_model(directory) if args.model == "conv"
                                else linear_model())
        with utils.num_workers(args.cores):
            result = run(data, representation, names, args.num_train, dlib,
                         args.rounds)
            if args.alternatives:
                result["alternatives"] = run_alternatives(
                        data, representation, args.num_train, result["scores"])
    print(json.dumps(dict(model=args.model, num_train=args.num_train,
                          cores=utils.available_cores(), **result), indent=2))


if __name__ == "__main__":
    main()
