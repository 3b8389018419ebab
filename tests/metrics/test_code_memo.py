"""A factor vector drawn again keeps its first code (`code_memo`): the sampled
metrics' points must stay those of the per-draw path, with fewer images
rendered and encoded, and reuse must stay off wherever it could change them."""

import numpy as np
import pytest

from metrics_fixtures import IdentityData, dlib_beta_vae_points, identity
from test_batched_sampling import reference_generate, reference_votes, same_next_draw
from tfdisent.data import registry
from tfdisent.metrics import beta_vae, code_memo, factor_vae, utils


class ReusableData(IdentityData):
    """IdentityData that declares its observations a function of the factors
    and counts the rows it renders."""

    observations_determined_by_factors = True

    def __init__(self, factor_sizes=(3, 4, 5)):
        super().__init__(factor_sizes)
        self.rendered = 0

    def sample_observations_from_factors(self, factors, random_state):
        self.rendered += len(factors)
        return super().sample_observations_from_factors(factors, random_state)


class DeterministicCodes:
    """Codes of a function that declares itself deterministic; with
    `batch_size`, calls `function` on `batch_size` rows at a time, as
    `SavedModelRepresentation` does."""

    deterministic = True

    def __init__(self, function=identity, batch_size=None):
        self.function = function
        self.encoded = 0
        self.call_sizes = set()
        if batch_size is not None:
            self.batch_size = batch_size

    def __call__(self, observations):
        self.encoded += len(observations)
        size = getattr(self, "batch_size", len(observations))
        batches = [observations[i:i + size] for i in range(0, len(observations), size)]
        self.call_sizes.update(len(b) for b in batches)
        return np.concatenate([self.function(b) for b in batches])


@pytest.fixture(autouse=True)
def no_remembered_codes():
    utils.clear_sampling_cache()
    yield
    utils.clear_sampling_cache()


def test_beta_vae_points_reuse_codes_and_equal_the_per_draw_path():
    data, codes = ReusableData(), DeterministicCodes()
    ours, reference = np.random.RandomState(4), np.random.RandomState(4)
    features, labels = beta_vae.sample_beta_vae_points(data, codes, ours, 16, 90)
    ref_features, ref_labels = dlib_beta_vae_points(IdentityData((3, 4, 5)), identity, 16, 90,
                                                    reference)
    np.testing.assert_array_equal(labels, ref_labels)
    np.testing.assert_array_equal(features, ref_features)
    assert same_next_draw(ours, reference)
    # 2880 draws of 60 combinations: each is rendered and encoded about once
    # per chunk of 1024 rows (3 chunks) at most.
    assert data.rendered == codes.encoded <= 3 * 60


@pytest.mark.parametrize("num_fixed", [1, 2])
def test_fixed_factor_votes_reuse_codes_and_equal_the_per_draw_path(num_fixed):
    variances, active = np.array([1.0, 2.0, 3.0]), np.array([True, True, True])
    data, codes = ReusableData(), DeterministicCodes()
    ours, reference = np.random.RandomState(5), np.random.RandomState(5)
    fixed, dims = factor_vae.sample_fixed_factor_votes(
            data, codes, ours, 150, 10, variances, active, num_fixed)
    ref_fixed, ref_dims = reference_votes(IdentityData((3, 4, 5)), 10, 150, reference,
                                          variances, active, num_fixed)
    np.testing.assert_array_equal(fixed, ref_fixed)
    np.testing.assert_array_equal(dims, ref_dims)
    assert same_next_draw(ours, reference)
    assert codes.encoded <= 2 * 60 < 1500


def test_i_i_d_points_reuse_codes_across_calls():
    data, codes = ReusableData(), DeterministicCodes()
    ours, reference = np.random.RandomState(6), np.random.RandomState(6)
    first = utils.draw_factor_code(data, codes, 2100, ours, 16)
    encoded = codes.encoded
    second = utils.draw_factor_code(data, codes, 2100, ours, 16)
    for points in (first, second):
        ref_codes, ref_factors = reference_generate(IdentityData((3, 4, 5)), 2100, reference, 16)
        np.testing.assert_array_equal(points[0], ref_codes)
        np.testing.assert_array_equal(points[1], ref_factors)
    assert same_next_draw(ours, reference)
    # Every combination was drawn by the first call: the second encodes none.
    assert encoded <= 3 * 60 and codes.encoded == encoded


def test_codes_come_from_the_representation_not_the_factors():
    """Reused rows get the code the representation gave them (here a
    non-linear map, so a wrong row would show)."""
    def function(observations):
        return np.sin(np.asarray(observations, np.float64) @ [[1.0, 0.3], [2.0, -1.0],
                                                              [0.5, 4.0]])
    ours = beta_vae.sample_beta_vae_points(ReusableData(), DeterministicCodes(function),
                                           np.random.RandomState(7), 8, 300)
    reference = dlib_beta_vae_points(IdentityData((3, 4, 5)), function, 8, 300,
                                     np.random.RandomState(7))
    np.testing.assert_array_equal(ours[0], reference[0])


def test_new_observations_are_padded_to_full_calls():
    """Every call of a representation that cuts its input into batches is a
    full batch, as without reuse (codes may depend on the call's size)."""
    data, codes = ReusableData(), DeterministicCodes(batch_size=16)
    features, _ = beta_vae.sample_beta_vae_points(data, codes, np.random.RandomState(4),
                                                  16, 90)
    reference, _ = dlib_beta_vae_points(IdentityData((3, 4, 5)), identity, 16, 90,
                                        np.random.RandomState(4))
    np.testing.assert_array_equal(features, reference)
    assert codes.call_sizes == {16} and codes.encoded % 16 == 0
    assert codes.encoded == data.rendered  # padding rows are rendered too


def test_reuse_is_off_unless_both_sides_declare_it(monkeypatch):
    data, codes = ReusableData(), DeterministicCodes()
    assert code_memo.memo_for(data, codes) is not None
    assert code_memo.memo_for(IdentityData((3, 4, 5)), codes) is None
    assert code_memo.memo_for(data, identity) is None
    with code_memo.reusing_codes(False):
        assert code_memo.memo_for(data, codes) is None
    monkeypatch.setattr(code_memo, "MAX_GRID_SIZE", 59)
    assert code_memo.memo_for(data, codes) is None


def test_datasets_declare_whether_observations_are_functions_of_factors():
    assert registry.get("sprites").observations_determined_by_factors
    assert registry.get("shapes3d").observations_determined_by_factors
    assert registry.get("xy_square").observations_determined_by_factors
    assert not registry.get("noisy_sprites").observations_determined_by_factors
    assert not registry.get("color_sprites").observations_determined_by_factors
    assert not registry.get("dummy").observations_determined_by_factors


def test_off_switch_encodes_every_draw():
    data, codes = ReusableData(), DeterministicCodes()
    with code_memo.reusing_codes(False):
        beta_vae.sample_beta_vae_points(data, codes, np.random.RandomState(4), 16, 90)
    assert codes.encoded == data.rendered == 90 * 32


def test_a_memo_too_large_for_its_codes_keeps_nothing_and_changes_nothing(monkeypatch):
    monkeypatch.setattr(code_memo, "MAX_VALUES", 10)
    data, codes = ReusableData(), DeterministicCodes()
    features, _ = beta_vae.sample_beta_vae_points(data, codes, np.random.RandomState(4),
                                                  16, 90)
    reference, _ = dlib_beta_vae_points(IdentityData((3, 4, 5)), identity, 16, 90,
                                        np.random.RandomState(4))
    np.testing.assert_array_equal(features, reference)
    # Only repeats within a chunk are skipped: each of 3 chunks encodes its
    # distinct rows (up to 60).
    assert 60 < codes.encoded <= 3 * 60


def test_memo_belongs_to_one_dataset_and_representation():
    data, codes = ReusableData(), DeterministicCodes()
    memo = code_memo.memo_for(data, codes)
    assert code_memo.memo_for(data, codes) is memo
    assert code_memo.memo_for(data, DeterministicCodes()) is not memo
    other = code_memo.memo_for(data, codes)
    assert other is not memo  # only the current pair is kept
    utils.clear_sampling_cache()
    assert code_memo.memo_for(data, codes) is not other


class DeclaredButNoisy(ReusableData):
    def sample_observations_from_factors(self, factors, random_state):
        random_state.uniform()
        return super().sample_observations_from_factors(factors, random_state)


def test_a_wrong_declaration_is_an_error_not_silent_reuse():
    with pytest.raises(RuntimeError, match="consumed the random state"):
        beta_vae.sample_beta_vae_points(DeclaredButNoisy(), DeterministicCodes(),
                                        np.random.RandomState(0), 8, 10)


def test_a_conv_encoder_gives_the_same_points_with_and_without_reuse():
    """The assumption reuse rests on, on this machine's TensorFlow: in calls
    of one size, a conv encoder codes an image the same, bit for bit,
    whatever else is in the call."""
    import keras

    keras.utils.set_random_seed(0)
    data = registry.get("xy_square")
    encoder = keras.Sequential([
            keras.Input(data.observation_shape),
            keras.layers.Conv2D(8, 4, strides=2, activation="relu"),
            keras.layers.Conv2D(8, 4, strides=2, activation="relu"),
            keras.layers.Flatten(), keras.layers.Dense(4)])
    codes = DeterministicCodes(lambda images: encoder.predict_on_batch(images), 64)
    points = {}
    for reuse in (False, True):
        utils.clear_sampling_cache()
        with code_memo.reusing_codes(reuse):
            points[reuse] = beta_vae.sample_beta_vae_points(
                    data, codes, np.random.RandomState(3), 16, 80)
    np.testing.assert_array_equal(points[True][0], points[False][0])
    assert codes.encoded < 2 * 80 * 32  # the second pass reused codes
