"""Seconds per metric and for the whole suite at disentanglement_lib's study
defaults, on a fixed synthetic representation.

    python bench/metrics.py [--num_train=10000] [--metrics=mig,dci,...]

Data: 5 factors with dSprites' sizes (3, 6, 40, 32, 32) whose observations
are the factor vectors; representation: 10 codes, a fixed noisy linear mix of
the scaled factors (deterministic, so the sampling cache is exact). Every
metric runs with seed 0 from an empty sampling cache. `--num_train` below
10000 shortens the run: the evaluation / test sets and the FactorVAE variance
sample scale with it, downstream keeps the sizes <= num_train.

Prints one JSON object: `seconds` per metric, `suite_seconds` (their sum),
`scores`, and `shared_sampling`: the sampling pass of the six metrics that
draw i.i.d. points (MIG, DCI, SAP, modularity, IRS, unsupervised) with one
sampling per metric versus the shared, memoised pass.
"""

import argparse
import json
import time

import numpy as np

from tfdisent.data.ground_truth import GroundTruthData
from tfdisent.metrics import (beta_vae, dci, downstream, factor_vae, irs, mfvm,
                              mig, modularity_explicitness, sap, unsupervised,
                              utils)

DSPRITES_SIZES = (3, 6, 40, 32, 32)


class FactorObservations(GroundTruthData):
    """Observations are the factor vectors (float32)."""

    @property
    def factors_num_values(self):
        return list(DSPRITES_SIZES)

    @property
    def observation_shape(self):
        return (len(DSPRITES_SIZES),)

    def sample_observations_from_factors(self, factors, random_state):
        return np.asarray(factors, dtype=np.float32)


class NoisyLinearMix:
    """codes = scaled factors @ W + 0.05 * deterministic pseudo-noise."""

    def __init__(self, num_codes=10):
        rs = np.random.RandomState(0)
        self.weights = 0.15 * rs.normal(size=(len(DSPRITES_SIZES), num_codes))
        self.weights[:, :len(DSPRITES_SIZES)] += np.eye(len(DSPRITES_SIZES))
        self.scale = 1.0 / (np.array(DSPRITES_SIZES) - 1.0)
        self.hash = rs.normal(size=(len(DSPRITES_SIZES), num_codes)) * 1e3
        self.observations = 0

    def __call__(self, observations):
        self.observations += len(observations)
        x = np.asarray(observations, np.float64)
        return (x * self.scale) @ self.weights + 0.05 * np.sin(x @ self.hash)


def metric_calls(num_train):
    """name -> (compute function, keyword arguments) at study defaults."""
    num_test = min(5000, max(num_train // 2, 1))
    sizes = tuple(n for n in (10, 100, 1000, 10000) if n <= num_train)
    return {
            "beta_vae": (beta_vae.compute_beta_vae_sklearn,
                         dict(num_train=num_train, num_eval=num_test)),
            "factor_vae": (factor_vae.compute_factor_vae,
                           dict(num_train=num_train, num_eval=num_test,
                                num_variance_estimate=num_train)),
            "mfvm": (mfvm.compute_mfvm, {}),
            "mig": (mig.compute_mig, dict(num_train=num_train)),
            "dci": (dci.compute_dci, dict(num_train=num_train,
                                          num_test=num_test)),
            "dci_random_forest": (dci.compute_dci, dict(
                    num_train=num_train, num_test=num_test,
                    importance="random_forest")),
            "sap": (sap.compute_sap, dict(num_train=num_train,
                                          num_test=num_test)),
            "modularity_explicitness": (
                    modularity_explicitness.compute_modularity_explicitness,
                    dict(num_train=num_train, num_test=num_test)),
            "irs": (irs.compute_irs, dict(num_train=num_train)),
            "unsupervised": (unsupervised.compute_unsupervised_metrics,
                             dict(num_train=num_train)),
            "downstream_logistic_regression_cv": (
                    downstream.compute_downstream_task,
                    dict(num_train=sizes, num_test=num_test)),
            "downstream_gradient_boosting": (
                    downstream.compute_downstream_task,
                    dict(num_train=sizes, num_test=num_test,
                         predictor="gradient_boosting_classifier")),
    }


def shared_sampling(data, num_train, num_test):
    """The sampling pass of the six i.i.d. metrics: (draws with test set?)."""
    plan = [False, True, True, True, False, False]  # mig dci sap mod irs unsup

    def run(shared):
        representation = NoisyLinearMix()
        utils.clear_sampling_cache()
        start = time.perf_counter()
        for with_test in plan:
            if not shared:
                utils.clear_sampling_cache()
            random_state = np.random.RandomState(0)
            utils.generate_batch_factor_code(data, representation, num_train,
                                             random_state, 16)
            if with_test:
                utils.generate_batch_factor_code(data, representation, num_test,
                                                 random_state, 16)
        return time.perf_counter() - start, representation.observations

    separate_seconds, separate_observations = run(shared=False)
    shared_seconds, shared_observations = run(shared=True)
    return {"separate_seconds": round(separate_seconds, 3),
            "shared_seconds": round(shared_seconds, 3),
            "speedup": round(separate_seconds / shared_seconds, 1),
            "separate_observations_encoded": separate_observations,
            "shared_observations_encoded": shared_observations}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num_train", type=int, default=10000)
    parser.add_argument("--metrics", default=None,
                        help="comma-separated subset of the metric names")
    args = parser.parse_args()
    calls = metric_calls(args.num_train)
    names = args.metrics.split(",") if args.metrics else list(calls)
    data = FactorObservations()
    seconds, scores = {}, {}
    for name in names:
        compute, kwargs = calls[name]
        utils.clear_sampling_cache()
        start = time.perf_counter()
        result = compute(data, NoisyLinearMix(), np.random.RandomState(0),
                         **kwargs)
        seconds[name] = round(time.perf_counter() - start, 3)
        scores[name] = {k: round(float(v), 4) for k, v in result.items()
                        if ":" not in k or "mean_test" in k}
    suite = [n for n in names if n != "dci_random_forest"]
    print(json.dumps({
            "num_train": args.num_train,
            "seconds": seconds,
            "suite_seconds": round(sum(seconds[n] for n in suite), 3),
            "scores": scores,
            "shared_sampling": shared_sampling(
                    data, args.num_train, min(5000, max(args.num_train // 2, 1))),
    }, indent=2))


if __name__ == "__main__":
    main()
