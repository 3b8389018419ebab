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
    ("cfasl", {"cfasl_images_per_second", "beta_tc_vae_images_per_second", "ratio"}),
    ("mipe", {"mipe_images_per_second", "beta_tc_vae_images_per_second", "ratio"}),
    ("qlae", {"qlae_images_per_second", "ae_images_per_second", "ratio"}),
])
def test_train_bench_prints_both_rates(model, keys):
    result = bench("train.py", "--model=%s" % model, "--steps=2", "--warmup=1",
                   "--batch_size=8", "--rounds=1")
    assert keys <= set(result) and all(result[k] > 0 for k in keys)


@pytest.mark.slow
def test_cfasl_breakdown_times_every_variant_against_the_base():
    result = bench("cfasl.py", "--breakdown", "--steps=1", "--rounds=1", "--batch_size=4")
    assert set(result["ratio"]) == {"beta_tc_vae", "second_decoder_pass",
                                    "cfasl_without_codebook_losses", "cfasl_plain_losses",
                                    "cfasl"}
    assert result["ratio"]["beta_tc_vae"] == 1.0
    assert all(rate > 0 for rate in result["images_per_second"].values())


END_TO_END_KEYS = {"reference_images_per_second", "fit_images_per_second",
                   "fit_on_pipeline_images_per_second", "pipeline_ratio",
                   "end_to_end_images_per_second", "ratio", "fit_ratio"}


def test_tiny_end_to_end_bench_runs_bin_train_at_steps_per_execution():
    result = bench("train.py", "--tiny", "--steps=4", "--warmup=2", "--rounds=1",
                   "--batch_size=8", "--steps_per_execution=2")
    assert END_TO_END_KEYS <= set(result) and all(result[k] > 0 for k in END_TO_END_KEYS)
    assert (result["model"], result["dataset"], result["steps_per_execution"]) == \
        ("tiny_vae", "xy_square", 2)
    assert len(result["round_ratios"]) == 1 and result["round_ratios"][0] > 0
    assert result["median_round_ratio"] == result["round_ratios"][0]
    assert 1000 < result["parameters"] < 10000  # "a few thousand"


@pytest.mark.slow
def test_end_to_end_bench_trains_the_beta_vae_config_on_sprites():
    result = bench("train.py", "--end_to_end", "--steps=2", "--warmup=1", "--rounds=1",
                   "--batch_size=8")
    assert END_TO_END_KEYS <= set(result) and all(result[k] > 0 for k in END_TO_END_KEYS)
    assert (result["model"], result["dataset"]) == ("beta_vae", "sprites")


@pytest.mark.parametrize("flags", [["--model=cfasl"], ["--clock=process"]])
def test_train_bench_refuses_end_to_end_of_a_method_or_on_another_clock(flags):
    done = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "train.py"),
                           "--end_to_end", *flags],
                          capture_output=True, text=True, env=env(), cwd=ROOT, timeout=600)
    assert done.returncode != 0 and "--end_to_end" in done.stderr.strip().splitlines()[-1]


def test_data_bench_prints_rates_per_dataset():
    result = bench("data.py", "--seconds=0.2", "--datasets=sprites")
    assert "train_images_per_second" in result
    sprites = result["datasets"]["sprites"]
    assert sprites["pipeline_images_per_second"] > 0 and sprites["pipeline_cpu_ms_per_batch"] > 0


def test_metrics_bench_prints_seconds():
    result = bench("metrics.py", "--num_train=200", "--metrics=mig,sap")
    assert set(result["seconds"]) >= {"mig", "sap"}
    assert result["suite_seconds"] > 0 and "dlib_suite_seconds" in result


def test_shapes3d_render_bench_checks_the_bits():
    result = bench("shapes3d_render.py", "--rounds=1", "--batch_size=8")
    assert result["checked_images"] == 800 == result["identical_images"]
    assert set(result["milliseconds_per_batch"]) == {"ours", "reference"}
    assert 0 < result["mixed_pixels_per_view"] < 0.1 * 64 * 64


def test_sprites_render_bench_checks_the_bits():
    result = bench("sprites_render.py", "--rounds=1", "--batch_size=8")
    assert result["checked_images"] == 800 == result["identical_images"]
    assert set(result["milliseconds_per_batch"]) == {"ours", "reference"}
    assert result["fill_seconds"] > 0


def test_encoder_call_size_bench_compares_codes_bit_for_bit():
    result = bench("encoder_call_sizes.py", "--sizes=64,5")
    assert result["call_sizes"]["64"] == {"identical": True, "max_abs_difference": 0.0}
    assert set(result["call_sizes"]) == {"64", "5"}


def bench_common():
    sys.path.insert(0, os.path.join(ROOT, "bench"))
    try:
        import common  # pylint: disable=import-outside-toplevel
    finally:
        sys.path.pop(0)
    return common


def test_round_ratios_pair_each_round_and_rates_keep_the_best():
    """Round 2 is a slow stretch (everything 2x slower): the best rates ignore
    it, each round's ratio cancels it, and an unwarmed timer is only called
    for its rounds."""
    slowness, calls = [1.0, 2.0], []

    def slowed(n):
        return n * slowness[max(0, calls.count(("plain", 10)) - 1)]

    def plain(n):
        calls.append(("plain", n))
        return 0.01 * slowed(n)

    def whole_run(n):  # a training run that times its own steps, 0.02 s each
        calls.append(("run", n))
        return 0.02 * slowed(n)

    rates, ratios = bench_common().round_ratios(
        {"plain": plain, "run": whole_run}, batch_size=4, steps=10, warmup=2, rounds=2,
        unwarmed=["run"], numerator="run", denominator="plain")
    assert calls == [("plain", 2), ("plain", 10), ("run", 10), ("plain", 10), ("run", 10)]
    assert rates == pytest.approx({"plain": 40 / 0.1, "run": 40 / 0.2})
    assert ratios == pytest.approx([0.5, 0.5])
