"""evaluate: SavedModel representations, dataset "auto", results, failures."""

import glob
import io
import os

import gin
import numpy as np
import pytest

import evaluation_fixtures as fx
from tfdisent import evaluate, gin_config, metrics, results
from tfdisent.data.ground_truth import all_factor_rows
from tfdisent.metrics import utils
from tfdisent.representation import SavedModelRepresentation

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
METRIC_CONFIGS = os.path.join(REPO, "gin_configs", "metrics")
SMALL = ["mig.num_train = 600", "infomec.num_points = 600"]


@pytest.fixture(scope="module")
def saved_models(tmp_path_factory):
    root = tmp_path_factory.mktemp("saved_models")
    return {
        "full": fx.build_saved_model(str(root / "full")),
        "representation_only": fx.build_saved_model(
                str(root / "representation_only"), signatures=("representation",)),
    }


@pytest.fixture
def model_dir(tmp_path, saved_models):
    return fx.make_model_dir(str(tmp_path), saved_models["full"])


def _evaluate(output_dir, bindings, **kwargs):
    utils.clear_sampling_cache()
    return evaluate.evaluate_with_gin(str(output_dir), gin_bindings=bindings, **kwargs)


def _aggregate(output_dir):
    return results.load_aggregate(os.path.join(str(output_dir), "results"))


def test_suite_writes_namespaced_results_and_carries_train_forward(tmp_path, model_dir):
    out = tmp_path / "eval"
    scores = _evaluate(out, ["evaluation.evaluation_fn = [@mig, @infomec]",
                             'dataset.name = "auto"'] + SMALL, model_dir=model_dir)

    assert {os.path.relpath(p, out) for p in glob.glob(str(out / "results/*/*"))} == {
            "results/gin/train.gin", "results/gin/evaluation.gin",
            "results/json/train_config.json", "results/json/train_results.json",
            "results/json/evaluation_config.json",
            "results/json/evaluation_results.json",
            "results/aggregate/train.json", "results/aggregate/evaluation.json"}
    aggregate = _aggregate(out)
    assert aggregate["train_results.loss"] == 1.5
    assert aggregate["evaluation_config.dataset.name"] == "'factor_pixels'"
    assert aggregate["evaluation_config.mig.num_train"] == "600"
    # The SavedModel reads the factors back exactly: an identity code.
    assert aggregate["evaluation_results.mig.discrete_mig"] > 0.95
    assert aggregate["evaluation_results.infomec.infom"] > 0.95
    assert aggregate["evaluation_results.infomec.infoe"] > 0.99
    assert np.shape(aggregate["evaluation_results.infomec.nmi_matrix"]) == (3, 3)
    for key in ("mig.elapsed_time", "infomec.elapsed_time", "elapsed_time", "uuid"):
        assert "evaluation_results." + key in aggregate
    assert evaluate.failed_metrics(scores) == {}


def test_single_metric_keeps_bare_keys_and_equals_its_suite_run(tmp_path, model_dir):
    alone = _evaluate(tmp_path / "alone", ["evaluation.evaluation_fn = @mig"] + SMALL,
                      model_dir=model_dir)
    suite = _evaluate(tmp_path / "suite",
                      ["evaluation.evaluation_fn = [@infomec, @mig]"] + SMALL,
                      model_dir=model_dir)
    assert set(alone) == {"discrete_mig", "elapsed_time"}
    # Each metric starts from RandomState(seed): the same points either way.
    assert alone["discrete_mig"] == suite["mig.discrete_mig"]
    assert "evaluation_results.discrete_mig" in _aggregate(tmp_path / "alone")


def test_metric_failure_is_recorded_and_the_others_kept(tmp_path, model_dir, capsys):
    # m-FVM needs k < number of factors (3): k = 5 fails.
    scores = _evaluate(tmp_path / "out", ["evaluation.evaluation_fn = [@mfvm, @mig]",
                                          "mfvm.num_fixed = [5]"] + SMALL,
                       model_dir=model_dir)
    assert scores["mig.discrete_mig"] > 0.95
    assert scores["mfvm.error"].startswith("ValueError: ")
    assert evaluate.failed_metrics(scores) == {"mfvm.error": scores["mfvm.error"]}
    assert _aggregate(tmp_path / "out")["evaluation_results.mfvm.error"] == scores["mfvm.error"]
    stderr = capsys.readouterr().err.strip().splitlines()
    assert stderr == ["error: metric mfvm failed: " + scores["mfvm.error"]]


def test_run_metrics_single_failure_uses_bare_error_key():
    def broken(data, representation_function, random_state):
        raise RuntimeError("no\nsecond line")

    log = io.StringIO()
    scores = evaluate.run_metrics({"broken": broken}, None, None, 0, log=log)
    assert scores == {"error": "RuntimeError: no"}
    assert log.getvalue() == "error: metric broken failed: RuntimeError: no\n"


def test_metrics_of_a_suite_share_the_sampled_points():
    from tfdisent.metrics import infomec, mig

    encoded = []

    def representation(images):
        encoded.append(len(images))
        return np.asarray(images).reshape(len(images), -1)

    utils.clear_sampling_cache()
    scores = evaluate.run_metrics(
            {"mig": lambda *args: mig.compute_mig(*args, num_train=600),
             "infomec": lambda *args: infomec.compute_infomec(*args, num_points=600)},
            fx.FactorPixels(), representation, random_seed=0)
    assert sum(encoded) == 600
    assert scores["mig.discrete_mig"] > 0.95 and scores["infomec.infom"] > 0.95


def test_shared_dlib_bindings_reach_only_the_metrics_that_read_them(tmp_path, model_dir):
    _evaluate(tmp_path / "out", ["evaluation.evaluation_fn = [@mig, @infomec, @mfvm]",
                                 "discretizer.num_bins = 7", "prune_dims.threshold = 0.3",
                                 "mfvm.num_votes = 20"] + SMALL, model_dir=model_dir)
    config = _aggregate(tmp_path / "out")
    assert config["evaluation_config.mig.num_bins"] == "7"
    assert config["evaluation_config.infomec.histogram_bins"] == "None"
    assert config["evaluation_config.mfvm.prune_threshold"] == "0.06"

    _evaluate(tmp_path / "own", ["evaluation.evaluation_fn = @mig", "mig.num_bins = 9",
                                 "discretizer.num_bins = 7"] + SMALL, model_dir=model_dir)
    assert _aggregate(tmp_path / "own")["evaluation_config.mig.num_bins"] == "9"


def test_shared_bindings_name_existing_parameters():
    evaluate.register_metrics()
    import inspect
    for parameter, readers in evaluate.SHARED_BINDINGS.values():
        for name in readers:
            signature = inspect.signature(evaluate._metric_functions[name])
            assert parameter in signature.parameters, (name, parameter)


def test_output_dir_is_not_replaced_without_overwrite(tmp_path, model_dir):
    out = tmp_path / "out"
    out.mkdir()
    (out / "stale.txt").write_text("old")
    bindings = ["evaluation.evaluation_fn = @mig"] + SMALL
    with pytest.raises(FileExistsError, match="--overwrite"):
        _evaluate(out, bindings, model_dir=model_dir)
    _evaluate(out, bindings, model_dir=model_dir, overwrite=True)
    assert not (out / "stale.txt").exists() and (out / "results").is_dir()


def test_output_dir_may_not_hold_the_model(tmp_path, model_dir):
    with pytest.raises(ValueError, match="would contain the model"):
        _evaluate(tmp_path, ["evaluation.evaluation_fn = @mig"], model_dir=model_dir,
                  overwrite=True)
    assert os.path.isdir(model_dir)


def test_missing_signature_is_one_clear_error(tmp_path, saved_models):
    with pytest.raises(ValueError, match="no 'gaussian_encoder' signature .*representation"):
        _evaluate(tmp_path / "out", ["evaluation.evaluation_fn = @mig",
                                     "evaluation.representation = 'mean'",
                                     "dataset.name = 'factor_pixels'"],
                  saved_model=saved_models["representation_only"])
    assert not (tmp_path / "out").exists()


def test_reconstruction_reads_the_reconstructions_signature(tmp_path, model_dir,
                                                           saved_models):
    # The stand-in reconstructs every image exactly.
    scores = _evaluate(tmp_path / "out", ["evaluation.evaluation_fn = [@reconstruction, @mig]",
                                          "reconstruction.num_points = 300",
                                          "mig.num_train = 300"], model_dir=model_dir)
    assert scores["reconstruction.squared_error"] == 0.0
    assert scores["reconstruction.num_points"] == 300
    assert scores["reconstruction.bernoulli_cross_entropy"] > 0
    without = fx.build_saved_model(str(tmp_path / "no_reconstructions"),
                                   signatures=("representation",))
    scores = _evaluate(tmp_path / "without", ["evaluation.evaluation_fn = [@reconstruction, @mig]",
                                              "dataset.name = 'factor_pixels'",
                                              "mig.num_train = 300"], saved_model=without)
    assert "no 'reconstructions' signature" in scores["reconstruction.error"]
    assert "mig.discrete_mig" in scores


def test_reconstruction_refuses_saved_codes(tmp_path):
    path = _codes_file(tmp_path, codes=np.zeros((10, 2)), factors=np.zeros((10, 2)))
    with pytest.raises(ValueError, match="reconstruction scores a model, not saved codes"):
        _evaluate(tmp_path / "out", ["evaluation.evaluation_fn = @reconstruction",
                                     "evaluation.codes = %r" % path])


def test_dataset_shape_mismatch_is_one_clear_error(tmp_path, model_dir):
    with pytest.raises(ValueError, match=r"shape \(1, 4, 1\) but .* expects .*\(None, 1, 3, 1\)"):
        _evaluate(tmp_path / "out", ["evaluation.evaluation_fn = @mig",
                                     "dataset.name = 'factor_pixels'",
                                     "dataset.options = {'factor_sizes': (3, 4, 5, 2)}"],
                  model_dir=model_dir)


def test_unknown_gin_name_is_a_value_error(tmp_path, model_dir):
    with pytest.raises(ValueError, match="No configurable matching reference '@nope'"):
        _evaluate(tmp_path / "out", ["evaluation.evaluation_fn = @nope"],
                  model_dir=model_dir)


def test_auto_dataset_needs_the_train_results(tmp_path, saved_models):
    bindings = ["evaluation.evaluation_fn = @mig"] + SMALL
    with pytest.raises(ValueError, match="bind dataset.name explicitly"):
        _evaluate(tmp_path / "out", bindings, saved_model=saved_models["full"])
    scores = _evaluate(tmp_path / "out", bindings + ["dataset.name = 'factor_pixels'"],
                       saved_model=saved_models["full"])
    assert scores["discrete_mig"] > 0.95


def test_auto_dataset_reads_name_and_options_next_to_a_saved_model(tmp_path, saved_models):
    model_dir = fx.make_model_dir(str(tmp_path), saved_models["full"],
                                  options={"factor_sizes": (3, 4, 5)})
    _evaluate(tmp_path / "out", ["evaluation.evaluation_fn = @mig"] + SMALL,
              saved_model=os.path.join(model_dir, "saved_model"))
    aggregate = _aggregate(tmp_path / "out")
    assert aggregate["evaluation_config.dataset.options"] == "{'factor_sizes': (3, 4, 5)}"
    assert aggregate["train_results.loss"] == 1.5


def test_representation_choices(saved_models):
    data = fx.FactorPixels()
    images = data.sample_observations(130, np.random.RandomState(0))
    path = saved_models["full"]
    codes = SavedModelRepresentation(path, "representation", batch_size=64)(images)
    assert codes.shape == (130, 3)
    np.testing.assert_allclose(codes, SavedModelRepresentation(path, "mean")(images))
    np.testing.assert_allclose(
            codes, data.sample(130, np.random.RandomState(0))[0], atol=1e-5)

    sampled = SavedModelRepresentation(path, "sampled", random_seed=4)
    # Only the sampled codes vary from call to call (no code reuse for them).
    assert SavedModelRepresentation(path, "mean").deterministic
    assert not sampled.deterministic
    first = sampled(images)
    noise = (first - codes) / np.exp(-1.0)  # logvar = -2
    assert abs(noise.std() - 1.0) < 0.15 and abs(noise.mean()) < 0.15
    assert not np.allclose(sampled(images), first)  # fresh noise per call
    sampled.reset_noise(4)
    np.testing.assert_array_equal(sampled(images), first)


def test_representation_errors(tmp_path, saved_models):
    with pytest.raises(FileNotFoundError, match="no SavedModel"):
        SavedModelRepresentation(str(tmp_path))
    with pytest.raises(ValueError, match="must be one of"):
        SavedModelRepresentation(saved_models["full"], "median")


UDR_CONFIGS = sorted(glob.glob(os.path.join(METRIC_CONFIGS, "udr*.gin")))


@pytest.mark.parametrize("config", sorted(set(glob.glob(os.path.join(METRIC_CONFIGS, "*.gin")))
                                          - set(UDR_CONFIGS)), ids=os.path.basename)
def test_metric_gin_files_parse_with_unique_labels(config):
    evaluate.register_metrics()
    gin.clear_config()
    try:
        gin_config.parse([config], [])
        functions = evaluate.evaluation_settings()["evaluation_fn"]
        metrics = evaluate._gin_metrics(functions)
        assert gin.query_parameter("dataset.name") == "auto"
    finally:
        gin.clear_config()
    if os.path.basename(config) == "all.gin":
        assert len(metrics) == 12 and "downstream_boosted/downstream_task" in metrics


@pytest.mark.parametrize("config", UDR_CONFIGS, ids=os.path.basename)
def test_udr_configs_are_bin_udrs(config):
    from tfdisent import udr  # noqa: F401  (registers udr_sklearn)
    gin.clear_config()
    try:
        gin_config.parse([config], [])
        reference = gin.query_parameter("evaluation.evaluation_fn")
        assert reference.configurable.name == "udr_sklearn"
        assert gin.query_parameter("udr_sklearn.num_data_points") == 1000
    finally:
        gin.clear_config()


# --- saved codes (evaluation.codes, bin/evaluate --codes) ----------------------

CODES_SUITE = ["evaluation.evaluation_fn = [@mig, @dci]", "mig.num_train = 600",
               "dci.num_train = 600", "dci.num_test = 300",
               "dci.importance = 'random_forest'"]


def _codes_file(tmp_path, name="codes.npz", **arrays):
    path = str(tmp_path / name)
    np.savez(path, **arrays)
    return path


def _model_points(saved_model, num_train=600, num_test=300):
    """The points the samplers draw from the SavedModel with seed 0."""
    return utils.train_and_test_codes(fx.FactorPixels(), SavedModelRepresentation(saved_model),
                                      num_train, num_test, np.random.RandomState(0), 16)


def test_saved_codes_score_as_the_model_they_came_from(tmp_path, model_dir, saved_models):
    (codes, factors), (codes_test, factors_test) = _model_points(saved_models["full"])
    path = _codes_file(tmp_path, codes=codes, factors=factors, codes_test=codes_test,
                       factors_test=factors_test)
    from_model = _evaluate(tmp_path / "from_model", CODES_SUITE, model_dir=model_dir)
    from_codes = _evaluate(tmp_path / "from_codes",
                           CODES_SUITE + ["evaluation.codes = %r" % path])
    for key in ("mig.discrete_mig", "dci.disentanglement", "dci.completeness",
                "dci.informativeness_test"):
        assert from_codes[key] == from_model[key], key

    out = tmp_path / "from_codes" / "results"
    assert {os.path.relpath(p, out) for p in glob.glob(str(out / "*/*"))} == {
            "gin/evaluation.gin", "json/evaluation_config.json",
            "json/evaluation_results.json", "aggregate/evaluation.json"}
    aggregate = _aggregate(tmp_path / "from_codes")
    assert aggregate["evaluation_config.evaluation.codes"] == repr(path)
    # Every setting used is recorded, the sampler defaults included.
    assert aggregate["evaluation_config.mig.num_train"] == "600"
    assert aggregate["evaluation_config.mig.num_bins"] == "20"
    assert aggregate["evaluation_config.dci.importance"] == "'random_forest'"
    assert "evaluation_config.mig.batch_size" not in aggregate


def test_saved_codes_without_a_test_set_split_in_drawing_order(tmp_path, saved_models):
    (codes, factors), (codes_test, factors_test) = _model_points(saved_models["full"])
    split = _codes_file(tmp_path, codes=np.concatenate([codes, codes_test]),
                        factors=np.concatenate([factors, factors_test]))
    separate = _codes_file(tmp_path, "separate.npz", codes=codes, factors=factors,
                           codes_test=codes_test, factors_test=factors_test)
    one = _evaluate(tmp_path / "one", CODES_SUITE + ["evaluation.codes = %r" % split])
    two = _evaluate(tmp_path / "two", CODES_SUITE + ["evaluation.codes = %r" % separate])
    assert one["dci.completeness"] == two["dci.completeness"]


def test_saved_codes_take_shared_and_scoped_bindings(tmp_path):
    rs = np.random.RandomState(0)
    factors = rs.randint(0, 5, size=(400, 2))
    codes = factors + rs.uniform(0, 1, factors.shape)
    path = _codes_file(tmp_path, codes=codes, factors=factors)
    scores = _evaluate(tmp_path / "out", [
            "evaluation.evaluation_fn = [@mig, @fine/mig]", "evaluation.codes = %r" % path,
            "discretizer.num_bins = 4", "fine/mig.num_bins = 30",
            "mig.num_train = 400"])
    assert scores["mig.discrete_mig"] == metrics.score(codes, factors, "mig",
                                                       num_bins=4)["mig"]["discrete_mig"]
    assert scores["fine/mig.discrete_mig"] == metrics.score(
            codes, factors, "mig", num_bins=30)["mig"]["discrete_mig"]
    assert _aggregate(tmp_path / "out")["evaluation_config.fine/mig.num_bins"] == "30"


def test_sampled_metrics_on_saved_codes_need_the_full_grid(tmp_path):
    grid = all_factor_rows((3, 4, 5))
    bindings = ["evaluation.evaluation_fn = [@mig, @factor_vae_score]", "mig.num_train = 59",
                "factor_vae_score.num_train = 50", "factor_vae_score.num_eval = 20",
                "factor_vae_score.num_variance_estimate = 60"]
    full = _codes_file(tmp_path, "grid.npz", codes=grid + 0.1, factors=grid)
    scores = _evaluate(tmp_path / "full", bindings + ["evaluation.codes = %r" % full])
    assert scores["factor_vae_score.eval_accuracy"] == 1.0
    holes = _codes_file(tmp_path, "holes.npz", codes=grid[1:] + 0.1, factors=grid[1:])
    # Checked with everything else before any metric runs.
    with pytest.raises(ValueError, match="^factor_vae_score draws points for factor "
                       "values it chooses, so on given codes it needs the codes of "
                       "the full factor grid"):
        _evaluate(tmp_path / "holes", bindings + ["evaluation.codes = %r" % holes])
    assert not (tmp_path / "holes").exists()


@pytest.mark.parametrize("arrays, bindings, message", [
    (dict(codes=np.zeros((10, 2, 2)), factors=np.zeros((10, 1))), [],
     r"codes must be a 2-D array \(one row per point\), got shape \(10, 2, 2\)"),
    (dict(codes=np.ones((10, 2)), factors=np.zeros((9, 1))), [],
     r"codes \[N, K\] and factors \[N, F\] need one row per point; got 10 and 9 rows"),
    (dict(codes=np.full((10, 2), np.nan), factors=np.arange(10)[:, None] % 2), [],
     r"codes contain 20 NaN or infinite values \(the first at row 0, column 0\)"),
    (dict(codes=np.ones((10, 2)), factors=np.stack([np.arange(10) % 2, np.ones(10)], 1)),
     [], r"factor 1 takes the single value 1 in all 10 points"),
    (dict(codes=np.random.RandomState(0).rand(10, 2), factors=np.arange(10)[:, None] % 2),
     ["mig.num_train = 11"], r"^mig.num_train = 11 but the codes have 10 points$"),
])
def test_bad_saved_codes_are_one_line_and_write_nothing(tmp_path, arrays, bindings, message):
    path = _codes_file(tmp_path, **arrays)
    with pytest.raises(ValueError, match=message) as raised:
        _evaluate(tmp_path / "out", ["evaluation.evaluation_fn = @mig",
                                     "evaluation.codes = %r" % path] + bindings)
    assert "\n" not in str(raised.value)
    assert not (tmp_path / "out").exists()


def test_saved_codes_are_neither_a_model_nor_overwritten(tmp_path, model_dir):
    path = _codes_file(tmp_path, codes=np.eye(4), factors=np.eye(4))
    bindings = ["evaluation.evaluation_fn = @mig", "evaluation.codes = %r" % path]
    with pytest.raises(ValueError, match="--codes scores saved codes; give it without "
                       "--model_dir and --saved_model"):
        _evaluate(tmp_path / "out", bindings, model_dir=model_dir)
    with pytest.raises(ValueError, match="would contain the model"):
        _evaluate(tmp_path, bindings, overwrite=True)
    assert os.path.isfile(path)


def test_raw_continuous_factors_of_saved_codes_are_binned_on_request(tmp_path):
    rs = np.random.RandomState(0)
    factors = np.stack([rs.uniform(0, 1, 300), rs.randint(0, 3, 300)], axis=1)
    codes = factors + rs.normal(0, 0.01, factors.shape)
    path = _codes_file(tmp_path, codes=codes, factors=factors)
    bindings = ["evaluation.evaluation_fn = @mig", "evaluation.codes = %r" % path,
                "mig.num_train = 300"]
    with pytest.raises(ValueError, match="factor 0 has 300 distinct values in 300 points"):
        _evaluate(tmp_path / "raw", bindings)
    scores = _evaluate(tmp_path / "binned", bindings + ["evaluation.factor_bins = 10"])
    assert scores["discrete_mig"] == metrics.score(codes, factors, "mig",
                                                   factor_bins=10)["mig"]["discrete_mig"]


@pytest.mark.parametrize("reuse", [True, False])
def test_reuse_codes_binding_switches_code_reuse(tmp_path, model_dir, monkeypatch, reuse):
    from tfdisent.metrics import code_memo

    seen = []
    memo_for = code_memo.memo_for

    def spy(data, representation):
        seen.append(code_memo._enabled[-1])
        return memo_for(data, representation)
    monkeypatch.setattr(code_memo, "memo_for", spy)
    _evaluate(tmp_path / "out", ["evaluation.evaluation_fn = @mig",
                                 "evaluation.reuse_codes = %s" % reuse] + SMALL,
              model_dir=model_dir)
    assert seen and set(seen) == {reuse}
    assert code_memo._enabled == [True]  # the context is left
