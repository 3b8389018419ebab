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

from tfdisent.data import pairs
from tfdisent.data.sampling import (  # pylint: disable=unused-import
        check_anchor, check_factor, fixed_factors, observations_in_batches,
        one_factor_varying_factors, reseeded_random_state, seeded_random_state,
        single_factor_sweep)

# Stream tags keep the kinds of pipeline on independent random streams.
_IID, _ONE_FACTOR_VARYING, _FIXED_FACTORS, _ANCHOR, _PAIRS, _PAIR_VALUES, _LABELLED = range(7)


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


def pair_batches(data, batch_size, seed, k, start_step=0, with_factors=False,
                 input_context=None, factor_sampler=None, replicate_official_dynamics=False):
    """Infinite batches of `batch_size` pairs sharing all but k factors
    (tfdisent.data.pairs): {"images": [x1; x2] (2B images: the first image of
    every pair, then the second), "changed": [B, F] float32} and, with
    `with_factors`, "factors" [2B, F]. "changed" marks the changed factors;
    with `replicate_official_dynamics` it is disentanglement_lib's label,
    one-hot on the last index written (a zero row when none)."""
    k = pairs.check_k(data, k)
    sample = factor_sampler or data.sample_factors
    num_factors = data.num_factors

    def render(random_state, size, step, pipeline_id):
        first = sample(size, random_state)
        if replicate_official_dynamics:
            values = seeded_random_state(seed, _PAIR_VALUES, pipeline_id, step)
            second, last = pairs.official_pair_factors(data, first, k, random_state, values)
            changed = pairs.one_hot_rows(last, num_factors)
        else:
            second, changed = pairs.pair_factors(data, first, k, random_state)
        factors = np.concatenate([first, second])
        return {"images": data.observations_from_factors_uint8(factors, random_state),
                "changed": changed, "factors": factors}

    def spec(size):
        return {"images": ((2 * size,) + tuple(data.observation_shape), tf.uint8),
                "changed": ((size, num_factors), tf.float32),
                "factors": ((2 * size, num_factors), tf.int64)}
    return _step_batches(render, spec, data.uint8_scale, _PAIRS, batch_size, seed,
                         start_step, input_context, () if with_factors else ("factors",))


def labelled_batches(data, labelled_images, labels, batch_size, seed, start_step=0,
                     input_context=None, factor_sampler=None):
    """Infinite batches for semi-supervised training: {"images": B i.i.d.
    observations, "labelled_images": B labelled images (uint8 given),
    "labels": [B, F'] float32}. The labelled points come in a fixed cyclic
    order (batch t of pipeline p holds rows (tP + p)B, ... modulo their
    number), as disentanglement_lib's repeated labelled stream does."""
    sample = factor_sampler or data.sample_factors
    labelled_images = np.asarray(labelled_images, np.uint8)
    labels = np.asarray(labels, np.float32)
    pipelines = 1 if input_context is None else input_context.num_input_pipelines

    def render(random_state, size, step, pipeline_id):
        factors = sample(size, random_state)
        rows = (np.arange(size) + (step * pipelines + pipeline_id) * size) % len(labels)
        return {"images": data.observations_from_factors_uint8(factors, random_state),
                "labelled_images": labelled_images[rows], "labels": labels[rows]}

    def spec(size):
        return {"images": ((size,) + tuple(data.observation_shape), tf.uint8),
                "labelled_images": ((size,) + tuple(data.observation_shape), tf.uint8),
                "labels": ((size, labels.shape[1]), tf.float32)}
    return _step_batches(render, spec, data.uint8_scale, _LABELLED, batch_size, seed,
                         start_step, input_context)


def _batches(data, factors_for, kind, batch_size, seed, start_step, with_factors,
             input_context):
    """Batch t = the images (and factors) of factors_for(RandomState(seed, t))."""
    def render(random_state, size, step, pipeline_id):
        factors = factors_for(random_state, size)
        return {"images": data.observations_from_factors_uint8(factors, random_state),
                "factors": factors}

    def spec(size):
        return {"images": ((size,) + tuple(data.observation_shape), tf.uint8),
                "factors": ((size, data.num_factors), tf.int64)}
    batches = _step_batches(render, spec, data.uint8_scale, kind, batch_size, seed,
                            start_step, input_context, () if with_factors else ("factors",))
    if with_factors:
        return batches.map(lambda b: (b["images"], b["factors"]))
    return batches.map(lambda b: b["images"])


def _step_batches(render, spec, uint8_scale, kind, batch_size, seed, start_step,
                  input_context, drop=()):
    """The shared machinery: batch t is the dict of numpy arrays
    `render(RandomState(seed, kind, pipeline, t), batch_size, t, pipeline)`,
    with the shapes and dtypes `spec(batch_size)` gives ({key: (shape,
    dtype)}). uint8 arrays become float32 in [0, 1] at the end; keys in
    `drop` are left out."""
    pipeline_id = 0
    if input_context is not None:
        batch_size = input_context.get_per_replica_batch_size(batch_size)
        pipeline_id = input_context.input_pipeline_id
    if batch_size < 1 or start_step < 0:
        raise ValueError("need batch_size >= 1 and start_step >= 0")
    seeded_random_state(seed)  # validates the seed now rather than in the pipeline
    shapes = {key: value for key, value in spec(batch_size).items() if key not in drop}
    keys = sorted(shapes)
    scale = 1.0 / float(uint8_scale)

    def render_arrays(step):
        random_state = reseeded_random_state(seed, kind, pipeline_id, step)
        arrays = render(random_state, batch_size, int(step), pipeline_id)
        return [np.asarray(arrays[key], shapes[key][1].as_numpy_dtype) for key in keys]

    def render_batch(step):
        arrays = tf.numpy_function(render_arrays, [step], [shapes[k][1] for k in keys],
                                   stateful=False)
        batch = {}
        for key, array in zip(keys, arrays):
            shape, dtype = shapes[key]
            array = tf.ensure_shape(array, shape)
            batch[key] = tf.cast(array, tf.float32) * scale if dtype == tf.uint8 else array
        return batch

    steps = tf.data.Dataset.range(start_step, np.iinfo(np.int64).max)
    return steps.map(render_batch, num_parallel_calls=tf.data.AUTOTUNE,
                     deterministic=True).prefetch(tf.data.AUTOTUNE)
