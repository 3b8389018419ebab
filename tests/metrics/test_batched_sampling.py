"""The sampled metrics draw ahead and render / encode chunks at once; their
points must be those of the per-draw path (draw, render, encode, next draw),
kept here as the reference, for datasets whose rendering consumes the random
state (the sampler falls back to the sequential order) and for those whose
rendering does not (drawn ahead)."""

import numpy as np
import pytest

from metrics_fixtures import (CountingRepresentation, IdentityData,
                              NoisyIdentityData, dlib_beta_vae_points, identity)
from tfdisent.metrics import beta_vae, factor_vae, irs, mfvm, utils


class CountingData(IdentityData):
    """IdentityData that counts its rendering calls."""

    def __init__(self, factor_sizes=(3, 4, 5)):
        super().__init__(factor_sizes)
        self.render_calls = 0

    def sample_observations_from_factors(self, factors, random_state):
        self.render_calls += 1
        return super().sample_observations_from_factors(factors, random_state)


class RarelyNoisy(CountingData):
    """Rows with every factor at its largest value get noise drawn from the
    state, other rows none: the sampler draws ahead until a chunk holds such
    a row, then must roll back to the sequential order."""

    def __init__(self, factor_sizes=(3, 4, 5, 40)):
        super().__init__(factor_sizes)

    def sample_observations_from_factors(self, factors, random_state):
        observations = super().sample_observations_from_factors(factors,
                                                                random_state)
        rare = np.all(np.asarray(factors) == np.array(self._sizes) - 1, axis=1)
        observations[rare, 0] += random_state.uniform(size=int(rare.sum()))
        return observations


DATASETS = [lambda: CountingData(), lambda: NoisyIdentityData((3, 4, 5))]


# --- references: disentanglement_lib's per-draw loops -------------------------

def reference_votes(data, batch_size, num_points, random_state, variances,
                    active, num_fixed):
    """factor_vae.py `_generate_training_sample` per vote (num_fixed = 1;
    k distinct fixed factors for m-FVM)."""
    fixed_all, dims = [], []
    for _ in range(num_points):
        fixed = factor_vae.draw_fixed_factors(random_state, data.num_factors,
                                              num_fixed)
        factors = data.sample_factors(batch_size, random_state)
        factors[:, fixed] = factors[0, fixed]
        codes = identity(data.sample_observations_from_factors(factors, random_state))
        dims.append(factor_vae.lowest_variance_codes(codes[None], variances,
                                                     active, num_fixed)[0])
        fixed_all.append(np.sort(fixed))
    return np.array(fixed_all), np.array(dims)


def reference_generate(data, num_points, random_state, batch_size):
    """utils.py `generate_batch_factor_code`."""
    codes, factors, done = [], [], 0
    while done < num_points:
        size = min(batch_size, num_points - done)
        f, obs = data.sample(size, random_state)
        factors.append(f)
        codes.append(identity(obs))
        done += size
    return np.vstack(codes), np.vstack(factors)


def same_next_draw(a, b):
    return a.randint(1 << 30) == b.randint(1 << 30)


# --- tests ----------------------------------------------------------------------

@pytest.mark.parametrize("make_data", DATASETS + [lambda: RarelyNoisy()])
def test_beta_vae_points_equal_the_per_draw_path(make_data):
    ours, reference = np.random.RandomState(4), np.random.RandomState(4)
    features, labels = beta_vae.sample_beta_vae_points(
            make_data(), identity, ours, 16, 90)
    ref_features, ref_labels = dlib_beta_vae_points(make_data(), identity, 16, 90, reference)
    np.testing.assert_array_equal(labels, ref_labels)
    np.testing.assert_array_equal(features, ref_features)
    assert same_next_draw(ours, reference)


@pytest.mark.parametrize("make_data", DATASETS)
@pytest.mark.parametrize("num_fixed", [1, 2])
def test_fixed_factor_votes_equal_the_per_draw_path(make_data, num_fixed):
    variances = np.array([1.0, 2.0, 3.0])
    active = np.array([True, True, True])
    ours, reference = np.random.RandomState(5), np.random.RandomState(5)
    fixed, dims = factor_vae.sample_fixed_factor_votes(
            make_data(), identity, ours, 150, 10, variances, active, num_fixed)
    ref_fixed, ref_dims = reference_votes(make_data(), 10, 150, reference,
                                          variances, active, num_fixed)
    np.testing.assert_array_equal(fixed, ref_fixed)
    np.testing.assert_array_equal(dims, ref_dims)
    assert same_next_draw(ours, reference)


@pytest.mark.parametrize("make_data", DATASETS + [lambda: RarelyNoisy()])
def test_i_i_d_points_equal_the_per_draw_path(make_data):
    ours, reference = np.random.RandomState(6), np.random.RandomState(6)
    codes, factors = utils.draw_factor_code(make_data(), identity, 2100, ours, 16)
    ref_codes, ref_factors = reference_generate(make_data(), 2100, reference, 16)
    np.testing.assert_array_equal(codes, ref_codes)
    np.testing.assert_array_equal(factors, ref_factors)
    assert same_next_draw(ours, reference)


def render_calls(chunk_rows):
    return sum(-(-rows // utils.RENDER_ROWS) for rows in chunk_rows)


def test_deterministic_rendering_is_done_a_chunk_at_a_time():
    data, representation = CountingData(), CountingRepresentation()
    beta_vae.sample_beta_vae_points(data, representation,
                                    np.random.RandomState(0), 16, 100)
    # 200 batches of 16 in chunks of 32 points (1024 images): 4 encoder calls.
    assert representation.calls == 4
    assert data.render_calls == render_calls([1024] * 3 + [128]) < 200
    data = CountingData()
    utils.draw_factor_code(data, identity, 10000, np.random.RandomState(0), 16)
    # 625 batches of 16 in chunks of 64 batches.
    assert data.render_calls == render_calls([1024] * 9 + [784]) < 625


def test_rendering_that_consumes_the_state_is_rolled_back_once():
    data = RarelyNoisy()
    utils.draw_factor_code(data, identity, 6400, np.random.RandomState(4), 16)
    # 400 batches in chunks of 64: some chunks were drawn ahead (1 call),
    # then every batch is rendered alone.
    assert 7 < data.render_calls < 400


def test_sampled_metric_scores_equal_their_per_draw_reference():
    data = NoisyIdentityData((3, 4, 5))
    scores = beta_vae.compute_beta_vae_sklearn(
            data, identity, np.random.RandomState(1), batch_size=8,
            num_train=120, num_eval=60)
    reference = np.random.RandomState(1)
    train = dlib_beta_vae_points(data, identity, 8, 120, reference)
    evaluation = dlib_beta_vae_points(data, identity, 8, 60, reference)
    assert scores == dict(zip(("train_accuracy", "eval_accuracy"),
                              beta_vae.beta_vae_accuracies(*train, *evaluation)))
    utils.clear_sampling_cache()
    irs_scores = irs.compute_irs(data, identity, np.random.RandomState(2),
                                 num_train=500)
    codes, factors = reference_generate(data, 500, np.random.RandomState(2), 16)
    assert irs_scores == irs._compute_irs(codes, factors)


def test_mfvm_is_unchanged_by_drawing_ahead():
    """m-FVM (drawn ahead) equals m-FVM from the per-vote reference."""
    ahead = mfvm.compute_mfvm(CountingData((3, 4, 5, 6)), identity,
                              np.random.RandomState(3), batch_size=10,
                              num_votes=120, num_variance_estimate=100)
    votes = {}
    for k in (2, 3):
        state = np.random.RandomState(3)
        variances = factor_vae.estimate_code_variances(
                CountingData((3, 4, 5, 6)), identity, 100, state)
        active = factor_vae.prune_dims(variances, 0.06)
        seed = state.randint(2**31 - 1)
        votes[k] = reference_votes(CountingData((3, 4, 5, 6)), 10, 120,
                                   np.random.RandomState(seed), variances,
                                   active, k)
    assert ahead["mfvm_2"] == mfvm.mfvm_score(*votes[2])
    assert ahead["mfvm_3"] == mfvm.mfvm_score(*votes[3])


class NoisyCodes:
    """Codes with noise from the representation's own RandomState (as a
    sampled representation): equal to the sequential codes only if the calls
    come one at a time, in order. Fails if two calls overlap."""

    def __init__(self):
        self.random_state = np.random.RandomState(4)
        self.inside = False
        self.order = []

    def __call__(self, observations):
        assert not self.inside, "two encoder calls at once"
        self.inside = True
        try:
            self.order.append(float(np.asarray(observations).sum()))
            return identity(observations) + self.random_state.normal(
                    size=(len(observations), len(observations[0])))
        finally:
            self.inside = False


@pytest.mark.parametrize("make_data", [lambda: CountingData(), lambda: RarelyNoisy()])
def test_encoding_in_a_thread_keeps_the_calls_in_order(make_data):
    threaded, sequential = NoisyCodes(), NoisyCodes()
    features, labels = beta_vae.sample_beta_vae_points(
            make_data(), threaded, np.random.RandomState(3), 16, 300)
    ref_features, ref_labels = dlib_beta_vae_points(
            make_data(), sequential, 16, 300, np.random.RandomState(3))
    np.testing.assert_array_equal(labels, ref_labels)
    assert len(threaded.order) < len(sequential.order)  # chunks, not draws
    np.testing.assert_allclose(features, ref_features, rtol=1e-12)
