"""tf.data pipelines: determinism per (seed, step), resume, factor structure."""

import numpy as np
import pytest
import tensorflow as tf

from tfdisent import data as datasets
from tfdisent.data import pipelines


@pytest.fixture(scope="module")
def sprites():
    return datasets.get("sprites")


def take(dataset, count):
    return [tuple(np.asarray(part) for part in element) if isinstance(element, tuple)
            else np.asarray(element) for element in dataset.take(count)]


def test_image_batches_shapes_and_values(sprites):
    dataset = pipelines.image_batches(sprites, 8, seed=0, with_factors=True)
    images_spec, factors_spec = dataset.element_spec
    assert images_spec.shape == (8, 64, 64, 1) and images_spec.dtype == tf.float32
    assert factors_spec.shape == (8, 5) and factors_spec.dtype == tf.int64
    images, factors = take(dataset, 1)[0]
    assert set(np.unique(images)) == {0.0, 1.0}
    np.testing.assert_array_equal(
            images, sprites.sample_observations_from_factors(factors, np.random.RandomState(0)))


def test_batches_depend_only_on_seed_and_step(sprites):
    first = take(pipelines.image_batches(sprites, 8, seed=5, with_factors=True), 4)
    again = take(pipelines.image_batches(sprites, 8, seed=5, with_factors=True), 4)
    other_seed = take(pipelines.image_batches(sprites, 8, seed=6, with_factors=True), 1)
    resumed = take(pipelines.image_batches(sprites, 8, seed=5, start_step=2,
                                           with_factors=True), 2)
    for (images, factors), (images_again, factors_again) in zip(first, again):
        np.testing.assert_array_equal(images, images_again)
        np.testing.assert_array_equal(factors, factors_again)
    assert not np.array_equal(first[0][1], first[1][1])  # batches differ
    assert not np.array_equal(first[0][1], other_seed[0][1])
    for (images, factors), (images_resumed, factors_resumed) in zip(first[2:], resumed):
        np.testing.assert_array_equal(images, images_resumed)
        np.testing.assert_array_equal(factors, factors_resumed)


def test_random_variants_are_reproducible_in_the_pipeline():
    noisy = datasets.get("noisy_sprites")
    first = take(pipelines.image_batches(noisy, 4, seed=1), 2)
    again = take(pipelines.image_batches(noisy, 4, seed=1, start_step=1), 1)
    np.testing.assert_array_equal(first[1], again[0])
    assert first[0].shape == (4, 64, 64, 3) and 0 < first[0].mean() < 1


def test_input_context_splits_batch_and_seeds_each_pipeline(sprites):
    contexts = [tf.distribute.InputContext(num_input_pipelines=2, input_pipeline_id=i,
                                           num_replicas_in_sync=2) for i in range(2)]
    per_replica = [take(pipelines.image_batches(sprites, 8, seed=0, with_factors=True,
                                                input_context=context), 1)[0]
                   for context in contexts]
    assert per_replica[0][0].shape == (4, 64, 64, 1)
    assert not np.array_equal(per_replica[0][1], per_replica[1][1])


def test_split_pairs():
    first, second = pipelines.split_pairs(tf.reshape(tf.range(10), (5, 2)))
    np.testing.assert_array_equal(first, [[0, 1], [2, 3]])
    np.testing.assert_array_equal(second, [[4, 5], [6, 7]])


def test_one_factor_varying_batches(sprites):
    anchor = np.array([2, 3, 10, 4, 20])
    dataset = pipelines.one_factor_varying_batches(sprites, 2, 32, seed=0, anchor=anchor,
                                                   with_factors=True)
    for images, factors in take(dataset, 2):
        np.testing.assert_array_equal(np.delete(factors, 2, axis=1),
                                      np.tile(np.delete(anchor, 2), (32, 1)))
        assert len(np.unique(factors[:, 2])) > 10
        assert images.shape == (32, 64, 64, 1)
    # Without an anchor, one is drawn from the seed and held for every batch.
    drawn = take(pipelines.one_factor_varying_batches(sprites, 0, 16, seed=3,
                                                      with_factors=True), 2)
    anchor = pipelines.draw_anchor(sprites, 3)
    for _, factors in drawn:
        np.testing.assert_array_equal(factors[:, 1:], np.tile(anchor[1:], (16, 1)))
    assert set(np.unique(drawn[0][1][:, 0])) == {0, 1, 2}


def test_single_factor_sweep(sprites):
    rows = pipelines.single_factor_sweep(sprites, 1, [1, 0, 5, 6, 7])
    np.testing.assert_array_equal(rows, [[1, value, 5, 6, 7] for value in range(6)])


def test_fixed_factors_batches(sprites):
    dataset = pipelines.fixed_factors_batches(sprites, [0, 3], 64, seed=0, with_factors=True)
    held = []
    for _, factors in take(dataset, 6):
        assert (factors[:, [0, 3]] == factors[0, [0, 3]]).all()
        assert all(len(np.unique(factors[:, free])) > 1 for free in (1, 2, 4))
        held.append(tuple(factors[0, [0, 3]]))
    assert len(set(held)) > 1  # the held values change from batch to batch


def test_observations_in_batches(sprites):
    factors = sprites.sample_factors(10, np.random.RandomState(0))
    batches = list(pipelines.observations_in_batches(sprites, factors, 4))
    assert [len(batch) for batch in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate(batches),
                                  sprites.sample_observations_from_factors(factors, None))


def test_non_image_observations_flow_through():
    identity = datasets.get("identity", num_factors=3, num_values=7)
    observations, factors = take(pipelines.image_batches(identity, 16, seed=0,
                                                         with_factors=True), 1)[0]
    assert observations.shape == (16, 3) and observations.dtype == np.float32
    np.testing.assert_array_equal(observations, factors)


def test_bad_arguments_raise(sprites):
    with pytest.raises(ValueError, match="factor 5 out of range"):
        pipelines.one_factor_varying_batches(sprites, 5, 8, seed=0)
    with pytest.raises(ValueError, match="out of range"):
        pipelines.one_factor_varying_batches(sprites, 0, 8, seed=0, anchor=[0, 0, 0, 0, 32])
    with pytest.raises(ValueError, match=">= 0"):
        pipelines.image_batches(sprites, 8, seed=-1)
    with pytest.raises(ValueError, match="factor -1"):
        pipelines.fixed_factors_batches(sprites, [-1], 8, seed=0)


def test_reseeded_random_state_is_the_seeded_stream():
    """The pipeline's reused per-thread RandomState gives exactly the stream
    of a freshly built one, also after a draw that leaves a cached Gaussian."""
    from tfdisent.data.sampling import reseeded_random_state, seeded_random_state
    for stream in [(0, 0, 0, 1), (3, 1, 2, 7), (3, 1, 2, 8)]:
        reused = reseeded_random_state(*stream)
        fresh = seeded_random_state(*stream)
        np.testing.assert_array_equal(reused.normal(size=3), fresh.normal(size=3))
        np.testing.assert_array_equal(reused.randint(1000, size=5), fresh.randint(1000, size=5))
    with pytest.raises(ValueError, match="must be >= 0"):
        reseeded_random_state(1, -1)


def test_batch_t_is_rendered_from_its_own_seeded_state():
    noisy = datasets.get("noisy_sprites")  # rendering draws noise from the state
    for step, images in enumerate(take(pipelines.image_batches(noisy, 4, seed=3), 3)):
        state = pipelines.seeded_random_state(3, 0, 0, step)
        factors = noisy.sample_factors(4, state)
        expected = noisy.observations_from_factors_uint8(factors, state) / 255.0
        np.testing.assert_allclose(images, expected, rtol=1e-6)
