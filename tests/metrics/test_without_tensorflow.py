"""tfdisent.metrics and tfdisent.data work where TensorFlow cannot be imported."""

import subprocess
import sys

from no_tensorflow import ASSERT_BLOCKED, env_without_tensorflow
from tests.subprocess_utils import ROOT

SCRIPT = ASSERT_BLOCKED + """
import sys
import numpy as np
import tfdisent.data
import tfdisent.metrics
from tfdisent.metrics import saved_codes  # the loader of bin/evaluate --codes

data = tfdisent.data.get("sprites")

def encoder(images):  # a numpy stand-in for any framework's model
    return np.asarray(images).reshape(len(images), 64, 64).mean(axis=1)[:, ::8]

sampled = tfdisent.metrics.score_representation(encoder, data, ["mig", "irs"],
                                                num_train=64)
rs = np.random.RandomState(0)  # the samplers draw batches of 16
factors, images = map(np.concatenate, zip(*[data.sample(16, rs) for _ in range(4)]))
given = tfdisent.metrics.score(encoder(images), factors, "mig")
assert 0 <= sampled["mig"]["discrete_mig"] <= 1 and "IRS" in sampled["irs"], sampled
assert given["mig"] == sampled["mig"], (given, sampled)
loaded = sorted(m for m in sys.modules if m.split(".")[0] in
                ("tensorflow", "keras", "tf_keras", "tensorflow_probability"))
assert not loaded, loaded
print("ok")
"""


def test_metrics_and_data_import_and_score_without_tensorflow(tmp_path):
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env=env_without_tensorflow(tmp_path))
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "ok"
