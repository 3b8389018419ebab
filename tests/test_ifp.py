"""The annealing test: schedule, IFP extractor, thresholds, single-factor data."""

import numpy as np
import pytest

from tfdisent import data as datasets
from tfdisent.deft import annealing, ifp
from tfdisent.models.deft import AnnealingBeta, ExponentialBeta

STEPS = np.arange(8001)


def annealing_betas():
    return AnnealingBeta().beta(STEPS).numpy().astype(np.float64)


def test_annealing_schedule_values_of_the_reference():
    betas = annealing_betas()  # β_max 70, γ 15, T 8000
    np.testing.assert_allclose(betas[[0, 800, 1600, 2400]], [71, 16.619, 4.485, 1.778],
                               atol=1e-3)
    assert betas[8000] == pytest.approx(1.00002, abs=2e-6)
    for beta, step in ((20, 696), (10, 1094), (5, 1527), (2, 2266)):
        first = int(np.argmax(betas <= beta))
        assert abs(first - step) <= 1, (beta, first)


def test_moving_average_is_trailing():
    np.testing.assert_allclose(ifp.moving_average([0, 1, 2, 3, 10], 2),
                               [0, 0.5, 1.5, 2.5, 6.5])
    np.testing.assert_allclose(ifp.moving_average([4, 2], 5), [4, 3])


def planted_trace(beta_star, slope, betas):
    """KL = max(0, slope·(β* − β)), after what a fresh encoder does: KL ≈ 0 at
    step 0, a spike (5 nats, steps 3-29), then pressed to 0 by β."""
    kls = np.maximum(0.0, slope * (beta_star - betas))
    kls[3:30] = 5.0
    return kls


@pytest.mark.parametrize("beta_star", [45.3, 20.0, 5.05, 2.0])
def test_extractor_returns_the_planted_beta(beta_star):
    betas = annealing_betas()
    point = ifp.information_freezing_point(betas, planted_trace(beta_star, 1e5, betas))
    assert point.status == "ok"
    k = int(np.argmax(betas < beta_star))  # first step below β*
    assert abs(point.beta - beta_star) <= betas[k - 1] - betas[k]
    assert point.step == k


def test_smoothing_window_delays_a_step_onset_as_computed():
    betas = annealing_betas()
    kls = np.zeros_like(betas)
    kls[1000:] = 1.0  # trailing mean of 50: 6/50 > 0.1 first at step 1005
    point = ifp.information_freezing_point(betas, kls, threshold=0.1, window=50)
    assert point == ifp.IFP(betas[1005], 1005, "ok")


def test_statuses_when_no_release_is_seen():
    betas = annealing_betas()
    assert ifp.information_freezing_point(betas, np.ones_like(betas)).status \
        == "never_frozen"
    assert ifp.information_freezing_point(betas, np.zeros_like(betas)).status \
        == "never_released"
    spike_only = planted_trace(0.5, 1.0, betas)  # β* below the schedule's range
    assert ifp.information_freezing_point(betas, spike_only).status == "never_released"
    with pytest.raises(ValueError, match="same length"):
        ifp.information_freezing_point(betas, betas[:-1])


def test_statistics_skip_missing_ifps():
    assert ifp.ifp_statistics([2.0, None, 4.0, float("nan")]) == (3.0, 1.0)
    assert ifp.ifp_statistics([None]) == (None, None)


def test_thresholds_fall_between_ifp_clusters():
    statistics = {"0": (60.0, 5.0), "1": (58.0, 4.0), "2": (20.0, 2.0), "3": (5.0, 1.0)}
    thresholds = ifp.suggest_thresholds(statistics)
    # Clusters [54, 65], [18, 22], [4, 6]: geometric midpoints of the gaps, then 1.
    np.testing.assert_allclose(thresholds, [np.sqrt(54 * 22), np.sqrt(18 * 6), 1.0])
    ExponentialBeta(thresholds=thresholds)  # a valid DEFT schedule
    assert ifp.suggest_thresholds({"0": (60.0, 5.0), "1": (None, None)}) is None


@pytest.mark.parametrize("name,factor", [("sprites", 3), ("sprites", 1), ("xy_square", 0)])
def test_sweep_varies_exactly_one_factor(name, factor):
    data = datasets.get(name)
    anchor = data.sample_factors(1, np.random.RandomState(5))[0]
    factors, images = annealing.sweep_data(data, factor, anchor)
    varying = np.flatnonzero((factors != factors[0]).any(axis=0))
    np.testing.assert_array_equal(varying, [factor])
    np.testing.assert_array_equal(factors[:, factor], np.arange(data.factors_num_values[factor]))
    others = np.delete(np.arange(data.num_factors), factor)
    assert np.all(factors[:, others] == anchor[others])
    assert images.dtype == np.uint8 and len(images) == len(factors)
    assert len({im.tobytes() for im in images}) > 1  # the factor changes the image


def test_sweep_batches_draw_from_the_sweep_only():
    data = datasets.get("xy_square")
    _, images = annealing.sweep_data(data, 1, [3, 0])
    batches = annealing.sweep_batches(images, 32, seed=7, scale=data.uint8_scale)
    first, second = [b.numpy() for b in batches.take(2)]
    assert first.shape == (32, 64, 64, 1) and first.dtype == np.float32
    allowed = {im.astype(np.float32).tobytes() for im in images}
    assert all(im.tobytes() in allowed for im in np.concatenate([first, second]))
    assert not np.array_equal(first, second)
    again = next(iter(annealing.sweep_batches(images, 32, seed=7,
                                              scale=data.uint8_scale))).numpy()
    np.testing.assert_array_equal(first, again)


def test_anneal_records_the_trace_and_stops_early():
    data = datasets.get("xy_square")
    trace = annealing.anneal(data, 0, [0, 5], steps=40, batch_size=8,
                             reconstruction_threshold=1e9)  # met at the first step
    assert len(trace["kl"]) == 1 and trace["beta"][0] == pytest.approx(71.0)
    trace = annealing.anneal(data, 0, [0, 5], steps=6, batch_size=8)
    assert len(trace["kl"]) == 6
    np.testing.assert_allclose(trace["beta"], AnnealingBeta(total_steps=6).beta(
        np.arange(6)).numpy(), rtol=1e-6)
    assert np.all(trace["kl"] >= 0) and np.all(trace["reconstruction"] > 0)


def test_annealing_nets_need_64x64_images():
    assert annealing.check_shape([64, 64, 3]) == (64, 64, 3)
    with pytest.raises(ValueError, match="64x64"):
        annealing.check_shape((16, 16, 1))
