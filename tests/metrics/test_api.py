"""The public array API: the same numbers as the samplers on the same points,
factors as raw values, incomplete grids, settings and one-line errors."""

import numpy as np
import pytest

from metrics_fixtures import IdentityData, NoisyIdentityData
from tfdisent import metrics
from tfdisent.data.ground_truth import all_factor_rows
from tfdisent.metrics import api, utils

SIZES = (3, 4, 5)
NUM_TRAIN, NUM_TEST = 320, 160  # multiples of the samplers' batch of 16
MIX = np.array([[1.0, 0.3, 0.0], [0.0, 1.0, 0.2], [0.1, 0.0, 1.0], [0.5, 0.5, 0.5]])
# Small but study-shaped settings, per metric, for both paths.
FAST = {"dci": {"importance": "random_forest"},
        "downstream_task": {"num_train": (NUM_TRAIN,)},
        "reduced_downstream_task": {"num_train": (NUM_TRAIN,)},
        "unified_scores": {"matrices": ("mutual_information_matrix", "accuracy_svm_matrix")}}


def mixed(observations):
    """A fixed, slightly entangled linear code with 4 dimensions."""
    return np.asarray(observations, np.float64) @ MIX.T


@pytest.fixture(autouse=True)
def empty_cache():
    utils.clear_sampling_cache()


def sampler_settings(name):
    settings = dict(FAST.get(name, {}))
    size = api.FIXED_SAMPLE[name].size
    settings.setdefault(size, NUM_TRAIN)
    if api.FIXED_SAMPLE[name].uses_test:
        settings["num_test"] = NUM_TEST
    return settings


@pytest.mark.parametrize("name", metrics.FIXED_SAMPLE_METRICS)
def test_score_equals_the_sampler_on_the_points_it_drew(name):
    data = NoisyIdentityData(SIZES)
    expected = metrics.METRICS[name](data, mixed, np.random.RandomState(5),
                                     **sampler_settings(name))
    random_state = np.random.RandomState(5)
    (codes, factors), test = utils.train_and_test_codes(
            data, mixed, NUM_TRAIN, NUM_TEST, random_state, 16)
    # InfoMEC's tie-breaking noise comes after the draw in the sampler: hand
    # the score the random state where the draw left it.
    got = metrics.score(codes, factors, name, test=test, random_state=random_state,
                        **{name: FAST.get(name, {})})[name]
    assert got.keys() == expected.keys()
    for key in expected:
        np.testing.assert_array_equal(got[key], expected[key], err_msg=key)


@pytest.mark.parametrize("name", [n for n, spec in api.FIXED_SAMPLE.items()
                                  if spec.uses_test])
def test_one_array_split_in_order_equals_the_sampler(name):
    data = NoisyIdentityData(SIZES)
    expected = metrics.METRICS[name](data, mixed, np.random.RandomState(5),
                                     **sampler_settings(name))
    train, test = utils.train_and_test_codes(data, mixed, NUM_TRAIN, NUM_TEST,
                                             np.random.RandomState(5), 16)
    # The first num_train points train, the next num_test test, as drawn.
    codes, factors = (np.concatenate(a) for a in zip(train, test))
    assert metrics.score(codes, factors, name,
                         **{name: sampler_settings(name)})[name] == expected


@pytest.mark.parametrize("name", metrics.SAMPLED_METRICS)
def test_sampled_metrics_on_grid_codes_equal_the_sampler_on_the_dataset(name):
    settings = {"beta_vae_sklearn": dict(batch_size=8, num_train=60, num_eval=30),
                "factor_vae_score": dict(batch_size=8, num_train=60, num_eval=30,
                                         num_variance_estimate=100),
                "mfvm": dict(batch_size=8, num_votes=40, num_variance_estimate=100),
                "fairness": dict(num_train=100, num_test_points_per_class=10,
                                 predictor="logistic_regression_cv"),
                "strong_downstream_task": dict(num_train=(60,), num_test=40, n_experiment=1,
                                               predictor="logistic_regression_cv"),
                }[name]
    noisy_codes = np.random.RandomState(1).normal(size=(np.prod(SIZES), 2))
    grid = all_factor_rows(SIZES)
    table = dict(zip(map(tuple, grid), np.hstack([mixed(grid), noisy_codes])))

    def lookup(observations):  # the same codes as a function of the factors
        return np.stack([table[tuple(row)] for row in np.asarray(observations, int)])

    expected = metrics.METRICS[name](IdentityData(SIZES), lookup,
                                     np.random.RandomState(3), **settings)
    shuffled = np.random.RandomState(0).permutation(len(grid))
    got = metrics.score(lookup(grid)[shuffled], grid[shuffled], name, random_state=3,
                        **{name: settings})[name]
    assert got == expected
    assert metrics.score_representation(lookup, IdentityData(SIZES), name,
                                        random_state=3, **settings)[name] == expected


def test_sampled_metrics_need_the_full_grid_in_one_line():
    grid = all_factor_rows(SIZES)
    for rows, held in ((grid[1:], "59 distinct"), (np.vstack([grid, grid[:1]]), "60 distinct")):
        with pytest.raises(ValueError, match=r"factor_vae_score .* full factor grid, "
                           r"each combination exactly once \(3 x 4 x 5 = 60 rows\); "
                           r"the %d rows hold %s" % (len(rows), held)):
            metrics.score(mixed(rows), rows, "factor_vae_score")


def test_incomplete_grids_work_for_the_fixed_sample_metrics():
    grid = all_factor_rows(SIZES)
    # Every point with factor 0 = 1 and factor 1 = 2 is missing (N != 60).
    rows = np.repeat(grid[~((grid[:, 0] == 1) & (grid[:, 1] == 2))], 4, axis=0)
    codes = rows + np.random.RandomState(0).uniform(0, 0.1, rows.shape)
    scores = metrics.score(codes, rows, test=(codes[::3], rows[::3]),
                           dci={"importance": "random_forest"})
    assert set(scores) == set(metrics.FIXED_SAMPLE_METRICS)
    assert scores["mig"]["discrete_mig"] > 0.8
    assert scores["modularity_explicitness"]["explicitness_score_test"] > 0.9
    # A test class the training points lack is still defined.
    test_rows = rows.copy()
    test_rows[0, 2] = 9
    explicit = metrics.score(codes, rows, "modularity_explicitness",
                             test=(codes, test_rows))["modularity_explicitness"]
    assert 0.5 < explicit["explicitness_score_test"] <= 1.0


def test_raw_factor_values_score_as_their_class_indices():
    rs = np.random.RandomState(0)
    factors = np.stack([rs.randint(0, n, 300) for n in (3, 25, 5)], axis=1)
    codes = mixed(factors + rs.uniform(0, 0.5, factors.shape))
    levels = [np.array([0.5, 0.7, 1.3]), np.sort(rs.uniform(0, 6.28, 25)),
              np.geomspace(0.1, 10.0, 5)]
    raw = np.stack([levels[j][factors[:, j]] for j in range(3)], axis=1)
    settings = dict(dci={"importance": "random_forest"}, num_train=200, num_test=100)
    # (InfoMEC and the downstream task only label-encode; left out for time.)
    names = [n for n in metrics.FIXED_SAMPLE_METRICS
             if n not in ("infomec", "downstream_task")]
    assert metrics.score(codes, raw, names, **settings) == (
            metrics.score(codes, factors, names, **settings))
    np.testing.assert_array_equal(api.factor_classes(raw), factors)


def test_continuous_factors_are_binned_on_request_only():
    rs = np.random.RandomState(0)
    factors = np.stack([rs.uniform(0, 1, 400), rs.randint(0, 3, 400)], axis=1)
    codes = factors + rs.normal(0, 0.01, factors.shape)
    with pytest.raises(ValueError, match=r"factor 0 has 400 distinct values in 400 "
                       r"points: it looks continuous; give class indices, or factor_bins=B "
                       r"\(evaluation.factor_bins = B\)"):
        metrics.score(codes, factors, "mig")
    binned = utils.histogram_discretize(factors[:, :1], 10)[:, 0]
    np.testing.assert_array_equal(api.factor_classes(factors, factor_bins=10),
                                  np.stack([binned, factors[:, 1]], axis=1))
    assert metrics.score(codes, factors, "mig", factor_bins=10) == metrics.score(
            codes, np.stack([binned, factors[:, 1]], axis=1), "mig")


def test_test_factors_share_the_training_labels():
    raw = np.array([[0.5], [0.7], [0.9], [0.5]] * 10)
    sample = api.make_sample(raw, raw, test=(raw[:4], [[0.9], [0.5], [0.9], [0.7]]))
    np.testing.assert_array_equal(sample.factors[:4, 0], [0, 1, 2, 0])
    np.testing.assert_array_equal(sample.test[1][:, 0], [2, 0, 2, 1])


def test_shared_and_per_metric_settings():
    rs = np.random.RandomState(0)
    factors = rs.randint(0, 6, size=(500, 2))
    codes = factors + rs.uniform(0, 1, factors.shape)
    shared = metrics.score(codes, factors, ["mig", "irs"], num_bins=3)
    assert shared["mig"] == metrics.score(codes, factors, "mig",
                                          mig={"num_bins": 3})["mig"]
    assert shared["mig"] != metrics.score(codes, factors, "mig")["mig"]
    assert shared["irs"] == metrics.score(codes, factors, "irs", num_bins=3)["irs"]
    own = metrics.score(codes, factors, ["mig", "irs"], num_bins=3, mig={"num_bins": 20})
    assert own["mig"] == metrics.score(codes, factors, "mig")["mig"]
    first = metrics.score(codes, factors, "mig", num_train=100)["mig"]
    assert first == metrics.score(codes[:100], factors[:100], "mig")["mig"]


def test_an_int_seed_gives_every_metric_its_own_random_state():
    rs = np.random.RandomState(0)
    factors = rs.randint(0, 4, size=(300, 3))
    codes = factors + rs.normal(0, 0.3, factors.shape)
    alone = metrics.score(codes, factors, "infomec", random_state=7)
    after = metrics.score(codes, factors, ["mig", "infomec"], random_state=7)
    np.testing.assert_equal(alone["infomec"], after["infomec"])


def test_unsupervised_scores_need_no_factors():
    codes = np.random.RandomState(0).normal(size=(200, 3))
    assert metrics.score(codes, None, "unsupervised_metrics") == metrics.score(
            codes, np.random.RandomState(1).randint(0, 2, (200, 1)),
            "unsupervised_metrics")


@pytest.mark.parametrize("call, error, message", [
    (lambda c, f: metrics.score(c[:, 0], f), ValueError,
     r"^codes must be a 2-D array \(one row per point\), got shape \(100,\)$"),
    (lambda c, f: metrics.score(c, f[:90]), ValueError,
     r"^codes \[N, K\] and factors \[N, F\] need one row per point; got 100 and 90 rows$"),
    (lambda c, f: metrics.score(np.where(c > 2.05, np.nan, c), f), ValueError,
     r"^codes contain \d+ NaN or infinite values \(the first at row \d+, column \d+\)$"),
    (lambda c, f: metrics.score(c, np.hstack([f, np.ones((100, 1))])), ValueError,
     r"^factor 2 takes the single value 1 in all 100 points; .* \(leave the column out\)$"),
    (lambda c, f: metrics.score(c, f, "mig", num_train=500), ValueError,
     r"^mig.num_train = 500 but the codes have 100 points$"),
    (lambda c, f: metrics.score(c, f, "dci", test=(c[:, :1], f)), ValueError,
     r"^the test codes have 1 columns, the codes 2$"),
    (lambda c, f: metrics.score(c, f, "dci"), ValueError,
     r"^dci needs test points: give a test set \(codes_test, factors_test\), or "
     r"set its num_train \(and num_test\)"),
    (lambda c, f: metrics.score(c, f, "dci", num_train=80, num_test=30), ValueError,
     r"^dci.num_test = 30 but the codes after the 80 training points \(there is no "
     r"test set\) have 20 points$"),
    (lambda c, f: metrics.score(c, f, "mig", num_bin=3), TypeError,
     r"^none of the metrics mig takes the setting 'num_bin'$"),
    (lambda c, f: metrics.score(c, f, "mig", mig={"batch_size": 3}), TypeError,
     r"^mig has no setting 'batch_size'; its settings: num_bins, num_train$"),
    (lambda c, f: metrics.score(c, f, "mig", irs={}), TypeError,
     r"^settings for irs, which is not among the metrics mig$"),
    (lambda c, f: metrics.score(c, f, "nope"), ValueError, r"^unknown metric 'nope'"),
    (lambda c, f: metrics.score(c, None, "mig"), ValueError,
     r"^mig needs the factors of the points$"),
    (lambda c, f: metrics.score(c.astype(str), f), ValueError,
     r"^codes must be numbers, got an array of dtype <U32$"),
])
def test_bad_inputs_are_one_line(call, error, message):
    rs = np.random.RandomState(0)
    factors = rs.randint(0, 3, size=(100, 2))
    codes = factors + rs.uniform(0, 0.1, factors.shape)
    with pytest.raises(error, match=message) as raised:
        call(codes, factors)
    assert "\n" not in str(raised.value)


def test_score_representation_runs_the_samplers():
    data = NoisyIdentityData(SIZES)
    got = metrics.score_representation(mixed, data, ["mig", "irs"], random_state=2,
                                       num_train=160)
    assert got == {"mig": metrics.METRICS["mig"](data, mixed, np.random.RandomState(2),
                                                 num_train=160),
                   "irs": metrics.METRICS["irs"](data, mixed, np.random.RandomState(2),
                                                 num_train=160)}
    with pytest.raises(TypeError, match="representation must be a callable"):
        metrics.score_representation(np.zeros(3), data, "mig")


def test_every_array_setting_reaches_its_core():
    """The fixed-sample cores take exactly the sampler's other settings."""
    import inspect

    for name, spec in api.FIXED_SAMPLE.items():
        settings = api.parameters(name) - {spec.size, "num_test"}
        if spec.sizes_to_core:
            settings.add(spec.size)
        core = {"mig": "mig._compute_mig", "dci": "dci._compute_dci",
                "sap_score": "sap._compute_sap",
                "modularity_explicitness":
                        "modularity_explicitness._compute_modularity_explicitness",
                "irs": "irs._compute_irs", "unsupervised_metrics":
                        "unsupervised._compute_unsupervised",
                "downstream_task": "downstream.downstream_accuracies",
                "infomec": "infomec.infomec",
                "reduced_downstream_task": "reduced_downstream.reduced_scores",
                "unified_scores": "unified.unified_scores"}[name]
        module, function = core.split(".")
        accepted = set(inspect.signature(getattr(getattr(metrics, module), function))
                       .parameters)
        if spec.sizes_to_core:
            accepted.add(spec.size)
        assert settings <= accepted, (name, settings - accepted)


def split_train_test(observations, train_percentage):
    """Port of disentanglement_lib's evaluation/metrics/utils.py::split_train_test
    ([dims, N] arrays)."""
    num_train = int(np.ceil(observations.shape[1] * train_percentage))
    return observations[:, :num_train], observations[:, num_train:]


def test_dlib_on_fixed_data_split_is_num_train_of_the_points():
    """compute_{dci,sap}_on_fixed_data(train_percentage=p) = score(num_train=ceil(N p))."""
    from tfdisent.metrics import dci, sap

    rs = np.random.RandomState(0)
    ys = rs.randint(0, 4, size=(2, 301))  # disentanglement_lib's [F, N] layout
    mus = np.vstack([ys, ys[:1]]) + rs.normal(0, 0.5, (3, 301))
    (mus_train, mus_test), (ys_train, ys_test) = (split_train_test(mus, 0.7),
                                                  split_train_test(ys, 0.7))
    num_train = int(np.ceil(301 * 0.7))
    got = metrics.score(mus.T, ys.T, ["dci", "sap_score"], num_train=num_train,
                        dci={"importance": "random_forest"})
    assert got["dci"] == dci._compute_dci(mus_train.T, ys_train.T, mus_test.T, ys_test.T,
                                          importance="random_forest")
    assert got["sap_score"] == sap._compute_sap(mus_train.T, ys_train.T, mus_test.T,
                                                ys_test.T, continuous_factors=False)
