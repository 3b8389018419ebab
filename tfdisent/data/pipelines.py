"""tf.data pipelines over any GroundTruthData.

Every dataset here is infinite and indexed by the batch number t: batch t is
rendered by one `tf.numpy_function` call from a RandomState seeded with
(seed, kind, input pipeline id, t). So batch t does not depend on what came
before it, `start_step=k` resumes exactly at batch k, and each replica's input
pipeline draws its own batches. Images stay uint8 through numpy and become
float32 in [0, 1] at the end of the map.

The factor samplers live in `tfdisent.data.sampling` (numpy only) and are
re-exported here.
"""

import numpy as np
import tensorflow as tf

from tfdisent.data.sampling import (  # pylint: disable=unused-import
        check_anchor, check_factor, fixed_factors, observations_in_batches,
        one_factor_varying_factors, reseeded_random_state, seeded_random_state,
        single_factor_sweep)

# Stream tags keep the kinds of pipeline on independent random streams.
_IID, _ONE_FACTOR_VARYING, _FIXED_FACTORS, _ANCHOR = range(4)


def draw_anchor(data, seed):
    """The anchor factor vector used when none is given: int64 [F]."""
    return data.sample_factors(1, seeded_random_state(seed, _ANCHOR))[0]


def split_pairs(batch):
    """The two halves of a batch, as the sample pairs (x1, x2) CFASL uses (an odd
    batch drops its last row)."""
    half = tf.shape(batch)[0] // 2
    return batch[:half], batch[half:2 * half]


def image_batches(data, batch_size, seed, start_step=0, with_factors=False,
                  input_context=None, factor_sampler=None):
    """Infinite batches of i.i.d. observations (and factors if `with_factors`),
    their factors drawn by `factor_sampler(num, random_state)` (default:
    uniform, `data.sample_factors`)."""
    sample = factor_sampler or data.sample_factors

    def factors_for(random_state, size):
        return sample(size, random_state)
    return _batches(data, factors_for, _IID, batch_size, seed, start_step,
                    with_factors, input_context)


def one_factor_varying_batches(data, factor, batch_size, seed, anchor=None,
                               start_step=0, with_factors=False, input_context=None):
    """Infinite batches where every factor equals `anchor` except `factor`, which
    is drawn uniformly per image. The anchor is drawn from `seed` if not given."""
    anchor = draw_anchor(data, seed) if anchor is None else check_anchor(data, anchor)
    factor = check_factor(data, factor)

    def factors_for(random_state, size):
        return one_factor_varying_factors(data, factor, anchor, size, random_state)
    return _batches(data, factors_for, _ONE_FACTOR_VARYING, batch_size, seed,
                    start_step, with_factors, input_context)


def fixed_factors_batches(data, fixed, batch_size, seed, start_step=0,
                          with_factors=False, input_context=None):
    """Infinite batches in which the factors listed in `fixed` hold one common
    (random, per batch) value and the others are drawn i.i.d."""
    fixed = [check_factor(data, f) for f in fixed]

    def factors_for(random_state, size):
        return fixed_factors(data, fixed, size, random_state)
    return _batches(data, factors_for, _FIXED_FACTORS, batch_size, seed, start_step,
                    with_factors, input_context)


def _batches(data, factors_for, kind, batch_size, seed, start_step, with_factors,
             input_context):
    """The shared machinery: batch t = render(factors_for(RandomState(seed, t)))."""
    pipeline_id = 0
    if input_context is not None:
        batch_size = input_context.get_per_replica_batch_size(batch_size)
        pipeline_id = input_context.input_pipeline_id
    if batch_size < 1 or start_step < 0:
        raise ValueError("need batch_size >= 1 and start_step >= 0")
    seeded_random_state(seed)  # validates the seed now rather than in the pipeline
    observation_shape = (batch_size,) + tuple(data.observation_shape)
    factor_shape = (batch_size, data.num_factors)
    scale = 1.0 / float(data.uint8_scale)

    def render(step):
        random_state = reseeded_random_state(seed, kind, pipeline_id, step)
        factors = factors_for(random_state, batch_size)
        images = data.observations_from_factors_uint8(factors, random_state)
        return factors.astype(np.int64), np.asarray(images, dtype=np.uint8)

    def render_batch(step):
        factors, images = tf.numpy_function(render, [step], [tf.int64, tf.uint8],
                                            stateful=False)
        images = tf.cast(tf.ensure_shape(images, observation_shape), tf.float32) * scale
        factors = tf.ensure_shape(factors, factor_shape)
        return (images, factors) if with_factors else images

    steps = tf.data.Dataset.range(start_step, np.iinfo(np.int64).max)
    return steps.map(render_batch, num_parallel_calls=tf.data.AUTOTUNE,
                     deterministic=True).prefetch(tf.data.AUTOTUNE)
