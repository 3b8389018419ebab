"""The benchmarks run and print one JSON object (timings are not asserted)."""

import json
import os
import subprocess
import sys

import pytest

from tests.subprocess_utils import ROOT, env


def bench(script, *args):
    done = subprocess.run([sys.executable, os.path.join(ROOT, "bench", script), *args],
                          capture_output=True, text=True, env=env(), cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    return json.loads(out[out.index("{"):])  # one object (possibly indented)


@pytest.mark.slow
@pytest.mark.parametrize("model,keys", [
    ("beta_vae", {"tfdisent_images_per_second", "reference_images_per_second", "ratio"}),
    ("cfasl", {"cfasl_images_per_second", "beta_tc_vae_images_per_second"}),
])
def test_train_bench_prints_both_rates(model, keys):
    result = bench("train.py", "--model=%s" % model, "--steps=2", "--warmup=1",
                   "--batch_size=8", "--rounds=1")
    assert keys <= set(result) and all(result[k] > 0 for k in keys)


def test_data_bench_prints_rates_per_dataset():
    result = bench("data.py", "--seconds=0.2", "--datasets=sprites")
    assert "sprites" in json.dumps(result) and "train_images_per_second" in result


def test_metrics_bench_prints_seconds():
    result = bench("metrics.py", "--num_train=200", "--metrics=mig,sap")
    assert set(result["seconds"]) >= {"mig", "sap"}
