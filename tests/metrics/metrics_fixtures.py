"""Tiny ground-truth data and representations with known scores."""

import numpy as np

from tfdisent.data.ground_truth import GroundTruthData


class IdentityData(GroundTruthData):
    """F factors with the given numbers of values; an observation is its
    factor vector as float32 (so a representation sees the factors)."""

    def __init__(self, factor_sizes=(4, 5, 6)):
        self._sizes = list(factor_sizes)

    @property
    def factors_num_values(self):
        return self._sizes

    @property
    def observation_shape(self):
        return (len(self._sizes),)

    def sample_observations_from_factors(self, factors, random_state):
        return np.asarray(factors, dtype=np.float32)


class NoisyIdentityData(IdentityData):
    """As IdentityData, plus uniform observation noise drawn from the state
    (checks that samplers keep the draw order)."""

    def sample_observations_from_factors(self, factors, random_state):
        noise = random_state.uniform(0, 0.1, size=np.shape(factors))
        return (np.asarray(factors) + noise).astype(np.float32)


def identity(observations):
    return np.array(observations, dtype=np.float64)


def duplicated(observations):
    codes = identity(observations)
    return np.hstack([codes, codes])


def constant(observations):
    return np.zeros((len(observations), 3))


class RandomCodes:
    """Codes independent of the observations (seeded, so runs repeat)."""

    def __init__(self, num_codes=3, seed=0):
        self.num_codes = num_codes
        self.random_state = np.random.RandomState(seed)

    def __call__(self, observations):
        return self.random_state.normal(size=(len(observations), self.num_codes))


class CountingRepresentation:
    """Identity codes; counts calls and observations seen."""

    def __init__(self):
        self.calls = 0
        self.observations = 0

    def __call__(self, observations):
        self.calls += 1
        self.observations += len(observations)
        return identity(observations)


def dlib_beta_vae_points(data, representation, batch_size, num_points, random_state):
    """disentanglement_lib's per-point loop of the BetaVAE score
    (beta_vae.py `_generate_training_batch` / `_generate_training_sample`)."""
    points, labels = None, []
    for i in range(num_points):
        index = random_state.randint(data.num_factors)
        factors1 = data.sample_factors(batch_size, random_state)
        factors2 = data.sample_factors(batch_size, random_state)
        factors2[:, index] = factors1[:, index]
        codes1 = representation(
                data.sample_observations_from_factors(factors1, random_state))
        codes2 = representation(
                data.sample_observations_from_factors(factors2, random_state))
        feature_vector = np.mean(np.abs(codes1 - codes2), axis=0)
        if points is None:
            points = np.zeros((num_points, feature_vector.shape[0]))  # float64
        points[i, :] = feature_vector
        labels.append(index)
    return points, np.array(labels)
