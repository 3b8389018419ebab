"""all.gin: the metrics that sample i.i.d. points ask for the same sample, so
the suite draws and encodes it once (generate_batch_factor_code's cache),
and the two downstream configurations share theirs."""

import gin
import numpy as np

from metrics_fixtures import CountingRepresentation, IdentityData
from tfdisent import evaluate, gin_config
from tfdisent.metrics import utils

IID = ["mig", "dci", "sap_score", "modularity_explicitness", "irs",
       "unsupervised_metrics", "infomec"]
DOWNSTREAM = ["downstream_logistic/downstream_task",
              "downstream_boosted/downstream_task"]


def test_all_gin_iid_metrics_share_one_sample():
    evaluate.register_metrics()
    gin.clear_config()
    try:
        gin_config.parse(["gin_configs/metrics/all.gin"], [])
        metrics = evaluate._gin_metrics(
                evaluate.evaluation_settings()["evaluation_fn"])
        data, representation = IdentityData((3, 4, 5)), CountingRepresentation()
        sizes = {}
        for label in IID:
            parameter = "num_points" if label == "infomec" else "num_train"
            sizes[label] = gin.query_parameter("%s.%s" % (label, parameter))
        assert set(sizes.values()) == {10000}
        utils.clear_sampling_cache()
        with gin.unlock_config():  # smaller samples, still all the same size
            for label in IID:
                parameter = "num_points" if label == "infomec" else "num_train"
                gin.bind_parameter("%s.%s" % (label, parameter), 400)
                if label in ("dci", "sap_score", "modularity_explicitness"):
                    gin.bind_parameter("%s.num_test" % label, 200)
            for label in DOWNSTREAM:
                gin.bind_parameter("%s.num_train" % label, [10, 40])
                gin.bind_parameter("%s.num_test" % label, 50)
        # In all.gin's order: the downstream tasks run before InfoMEC.
        suite = [label for label in metrics if label in IID + DOWNSTREAM]
        assert suite.index("infomec") > suite.index(DOWNSTREAM[1])
        scores = evaluate.run_metrics({label: metrics[label] for label in suite},
                                      data, representation, 0)
    finally:
        gin.clear_config()
    assert not evaluate.failed_metrics(scores)
    assert all("%s.elapsed_time" % label in scores for label in suite)
    # One 400-point training sample and one 200-point test sample for the
    # i.i.d. metrics, and one set (10 + 50 + 40 + 50) for both downstream tasks.
    assert representation.observations == 600 + 150
