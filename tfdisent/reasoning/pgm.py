"""Procedurally generated matrices (PGMs) over ground-truth factors, as in
disentanglement_lib's abstract-reasoning study (van Steenkiste et al., 2019;
`evaluation/abstract_reasoning/pgm_data.py` and `pgm_utils.py`).

A PGM is a 3x3 matrix of panels, each a factor vector of a (quantised)
dataset. A *design* picks `num_relations` distinct factors to be *active*:
each of them is constant along every row (one value per row, drawn uniformly;
the reference assigns no other relation). Every other factor is *non-active*:
its 3x3 values are redrawn uniformly until the first two rows are neither all
constant nor all distinct (the last row is not checked). The bottom-right
panel is the answer; `num_solutions - 1` distractors are drawn that break the
design, i.e. substituting one for the answer leaves an active factor
non-constant in the last row:

* easy: the bottom-right panel of a fresh PGM with a newly drawn design of as
  many relations;
* hard: a random walk from the answer, each step redrawing one random active
  factor and every non-active factor.

Each distractor gets up to 100 candidates. The number of relations is
`1 + choice(3, p=relations_dist)`, from the `pgm_type` (`PGM_TYPES`; parsed as
the reference does, by prefix easy/hard and suffix 1/2/3/mixed).

The released code has two defects, fixed here by default and reproduced draw
for draw by flags of `PGMSampler`:

* `PGMDataset.sample` never passes the sampling strategy, so "hard" types get
  easy distractors (`replicate_official_sampling_strategy=True`);
* its duplicate check is a no-op, so two answers may be equal
  (`replicate_official_duplicate_check=True`). By default a candidate equal to
  an already chosen distractor is rejected (one equal to the answer keeps the
  design, so it is always rejected), and the answer is unique among the
  candidates.

With both flags on, `PGMSampler.sample` makes exactly the reference's
random-state calls, so it returns the reference's PGM for the same seed.

Datasets are quantised as in the study (`Quantized`, `QUANTIZATION_CAPS`):
at most `cap` values per factor, value v rendered as the true value
floor(v * (true / quantised)), in float64 as the reference computes it.

Refused settings (one-line ValueError, when the sampler is built): an unknown
`pgm_type`; fewer factors than the type's largest number of relations (the
reference raises only on the draws that need them); any factor with fewer than
3 quantised values. Every factor can be made active and the reference's
`Relation` requires at least as many values as columns for every factor, so
such factors are refused rather than left out of the choice of active factors
(which would change the draws for all datasets the reference accepts).

`pgm_batches` serves the PGMs as an infinite tf.data pipeline; TensorFlow is
imported there only, so the rest of this module needs numpy alone.
"""

import numpy as np

from tfdisent.data.ground_truth import GroundTruthData
from tfdisent.data.sampling import checked_factors, seeded_random_state

NUM_ROWS = NUM_COLS = 3
MAX_ALTERNATIVE_TRIES = 100
MAX_NON_ACTIVE_TRIES = 1000
# Random stream of `pgm_batches`, apart from the tags of tfdisent.data.pipelines.
STREAM_TAG = 1019

PGM_TYPES = ("easy1", "easy2", "easy3", "easy_mixed",
             "hard1", "hard2", "hard3", "hard_mixed")
SAMPLING_STRATEGIES = ("easy", "hard")
# Suffix -> probabilities of 1, 2, 3 relations.
RELATIONS_DISTS = {"1": [1., 0., 0.], "2": [0., 1., 0.], "3": [0., 0., 1.],
                   "mixed": [1. / 3., 1. / 3., 1. / 3.]}

# The reference's abstract_shapes3d caps: floor/wall/object hue 10, scale 8->4,
# shape 4, orientation 15->4 (rendered as {0, 3, 7, 11}).
SHAPES3D_CAPS = (10, 10, 10, 4, 4, 4)
# The abstract_dsprites analogue. The reference's AbstractDSprites has
# background colour 5, object colour 6, shape 3, scale 6, posX 32, posY 32,
# capped at [5, 6, 3, 3, 4, 4]; the sprites grid has no colours but an
# orientation (40). Shape 3, scale 6->3 ({0, 2, 4}) and positions 32->4
# ({0, 8, 16, 24}) are capped as there; orientation 40->3 gives angles 0, 120
# and 240 degrees ({0, 13, 26}), which stay distinct under the square's 90 and
# the ellipse's 180 degree symmetry (4 values, {0, 10, 20, 30}, would not).
SPRITES_CAPS = (3, 3, 3, 4, 4)
QUANTIZATION_CAPS = {
        "shapes3d": SHAPES3D_CAPS, "shapes3d_file": SHAPES3D_CAPS,
        "sprites": SPRITES_CAPS, "color_sprites": SPRITES_CAPS,
        "noisy_sprites": SPRITES_CAPS, "scream_sprites": SPRITES_CAPS,
        "dsprites_full": SPRITES_CAPS, "color_dsprites": SPRITES_CAPS,
        "noisy_dsprites": SPRITES_CAPS, "scream_dsprites": SPRITES_CAPS,
        # The reference generates from dummy_data unquantised.
        "dummy": (5,) * 10,
}
DEFAULT_CAP = 4


class Quantized(GroundTruthData):
    """A dataset with at most `caps[i]` values of factor i: quantised value v is
    rendered as the true value floor(v * (true / quantised)) (the reference's
    `Quantizer`)."""

    def __init__(self, data, caps):
        caps = tuple(int(cap) for cap in caps)
        if len(caps) != data.num_factors or min(caps) < 1:
            raise ValueError("quantisation caps %s do not fit dataset %r: need %d caps >= 1"
                             % (list(caps), data.name, data.num_factors))
        self.data = data
        self.caps = caps
        self.name = data.name
        self.true_num_values = np.asarray(data.factors_num_values, dtype=np.int64)
        self._num_values = np.minimum(self.true_num_values, caps)

    @property
    def factors_num_values(self):
        return self._num_values.tolist()

    @property
    def factor_names(self):
        return self.data.factor_names

    @property
    def observation_shape(self):
        return self.data.observation_shape

    @property
    def uint8_scale(self):
        return self.data.uint8_scale

    @property
    def observations_determined_by_factors(self):
        return self.data.observations_determined_by_factors

    def true_factors(self, factors):
        """The wrapped dataset's factor rows for quantised rows: int64 [N, F]."""
        factors = checked_factors(factors, self.factors_num_values)
        ratios = self.true_num_values / self._num_values
        return np.floor(factors * ratios).astype(np.int64)

    def observations_from_factors_uint8(self, factors, random_state):
        return self.data.observations_from_factors_uint8(self.true_factors(factors),
                                                         random_state)

    def sample_observations_from_factors(self, factors, random_state):
        return self.data.sample_observations_from_factors(self.true_factors(factors),
                                                          random_state)


def quantized(data, caps=None):
    """`data` wrapped in `Quantized`, by default with the caps of its name in
    `QUANTIZATION_CAPS`, else `DEFAULT_CAP` for every factor."""
    if caps is None:
        caps = QUANTIZATION_CAPS.get(data.name, (DEFAULT_CAP,) * data.num_factors)
    return Quantized(data, caps)


def parse_pgm_type(pgm_type):
    """(sampling strategy, relations_dist) by the reference's prefix/suffix rules."""
    name = str(pgm_type)
    strategy = next((s for s in SAMPLING_STRATEGIES if name.startswith(s)), None)
    suffix = next((s for s in RELATIONS_DISTS if name.endswith(s)), None)
    if strategy is None or suffix is None:
        raise ValueError("unknown pgm_type %r; known types: %s" % (pgm_type, ", ".join(PGM_TYPES)))
    return strategy, RELATIONS_DISTS[suffix]


def draw_active_factors(random_state, num_factors, num_relations):
    """The factors constant along rows, int64 [num_relations] in the order drawn:
    each pops a uniform position of the remaining factor list."""
    remaining = list(range(num_factors))
    return np.array([remaining.pop(random_state.choice(len(remaining)))
                     for _ in range(num_relations)], dtype=np.int64)


def draw_matrix(random_state, num_values, active):
    """A (3, 3, F) int64 matrix obeying the design, drawn factor by factor."""
    matrix = np.zeros((NUM_ROWS, NUM_COLS, len(num_values)), dtype=np.int64)
    for factor, count in enumerate(num_values):
        if factor in active:
            matrix[:, :, factor] = random_state.choice(count, size=NUM_ROWS)[:, None]
        else:
            matrix[:, :, factor] = draw_non_active(random_state, count)
    return matrix


def draw_non_active(random_state, count):
    """Uniform (3, 3) values whose first two rows are neither all constant nor
    all distinct (redrawn up to 1000 times)."""
    for _ in range(MAX_NON_ACTIVE_TRIES):
        values = random_state.choice(count, size=(NUM_ROWS, NUM_COLS))
        if not rows_related(values[:-1]):
            return values
    raise ValueError("could not draw a non-active factor with %d values" % count)


def rows_related(rows):
    """True if every row is constant, or every row has distinct values."""
    distinct = 1 + np.count_nonzero(np.diff(np.sort(rows, axis=1), axis=1), axis=1)
    return bool(np.all(distinct == 1) or np.all(distinct == rows.shape[1]))


def keeps_design(matrix, active, panel):
    """True if `panel` as the bottom-right panel of `matrix` keeps every active
    factor constant along the last row (non-active factors ignore that row)."""
    return bool(np.all(panel[active] == matrix[-1, 0, active]))


def easy_candidates(random_state, num_values, matrix, active):
    """Yields bottom-right panels of fresh PGMs with as many relations."""
    while True:
        design = draw_active_factors(random_state, len(num_values), len(active))
        yield draw_matrix(random_state, num_values, design)[-1, -1]


def hard_candidates(random_state, num_values, matrix, active):
    """Yields the steps of a random walk from the answer panel: each redraws one
    random active factor, then every non-active factor in order."""
    num_values = np.asarray(num_values, dtype=np.int64)
    non_active = np.setdiff1d(np.arange(len(num_values)), active)
    panel = matrix[-1, -1]
    while True:
        panel = panel.copy()
        factor = random_state.choice(active)
        panel[factor] = random_state.choice(num_values[factor])
        panel[non_active] = random_state.randint(0, num_values[non_active])
        yield panel


CANDIDATES = {"easy": easy_candidates, "hard": hard_candidates}


def draw_alternative(candidates, matrix, active, chosen, reject_duplicates):
    """The first of 100 candidates that breaks the design (and, if
    `reject_duplicates`, equals no panel in `chosen`); None if none does."""
    for _, panel in zip(range(MAX_ALTERNATIVE_TRIES), candidates):
        if keeps_design(matrix, active, panel):
            continue
        if reject_duplicates and any(np.array_equal(panel, other) for other in chosen):
            continue
        return panel
    return None


class PGMSampler:
    """Draws PGM instances of `pgm_type` over `data`.

    `data` is quantised with `quantized` unless it is a `Quantized` already
    (`self.data`). `sample(random_state)` returns one instance as a dict:

    * "context" uint8 [8, H, W, C]: the first 8 panels, row-major;
    * "answers" uint8 [S, H, W, C]: the distractors with the answer inserted
      at "position" (int64 scalar); S = `num_solutions`;
    * "context_factors" int64 [8, F], "answers_factors" int64 [S, F]: their
      quantised factor values; "*_factor_values" float32: v / (K - 1) - 0.5;
      "*_factors_onehot" float32 [., sum K]: one one-hot per factor.
    """

    def __init__(self, data, pgm_type="easy_mixed", num_solutions=6,
                 replicate_official_sampling_strategy=False,
                 replicate_official_duplicate_check=False):
        self.data = data if isinstance(data, Quantized) else quantized(data)
        self.pgm_type = pgm_type
        strategy, self.relations_dist = parse_pgm_type(pgm_type)
        self.strategy = "easy" if replicate_official_sampling_strategy else strategy
        self.reject_duplicates = not replicate_official_duplicate_check
        self.num_solutions = int(num_solutions)
        self.num_values = np.asarray(self.data.factors_num_values, dtype=np.int64)
        self._check_settings()

    def _check_settings(self):
        name, num_values = self.data.name, self.num_values
        max_relations = 1 + int(np.flatnonzero(self.relations_dist)[-1])
        if len(num_values) < max_relations:
            raise ValueError("pgm_type %r needs %d factors for its relations; dataset %r has %d"
                             % (self.pgm_type, max_relations, name, len(num_values)))
        if np.any(num_values < NUM_COLS):
            small = [self.data.factor_names[i] for i in np.flatnonzero(num_values < NUM_COLS)]
            raise ValueError("PGMs need >= %d values per factor; dataset %r has %s with "
                             "quantised sizes %s" % (NUM_COLS, name, small, num_values.tolist()))
        if self.num_solutions < 2:
            raise ValueError("num_solutions must be >= 2, got %d" % self.num_solutions)

    def sample_pgm_factors(self, random_state):
        """The quantised factors of one PGM: matrix int64 (3, 3, F) and
        distractors int64 (S - 1, F)."""
        num_relations = 1 + random_state.choice(len(self.relations_dist),
                                                p=self.relations_dist)
        active = draw_active_factors(random_state, len(self.num_values), num_relations)
        matrix = draw_matrix(random_state, self.num_values, active)
        alternatives = []
        for _ in range(self.num_solutions - 1):
            alternatives.append(self._alternative(random_state, matrix, active, alternatives))
        return matrix, np.array(alternatives)

    def _alternative(self, random_state, matrix, active, chosen):
        candidates = CANDIDATES[self.strategy](random_state, self.num_values, matrix, active)
        panel = draw_alternative(candidates, matrix, active, chosen, self.reject_duplicates)
        if panel is None:
            raise ValueError("could not draw a distractor for pgm_type %r on dataset %r in %d tries"
                             % (self.pgm_type, self.data.name, MAX_ALTERNATIVE_TRIES))
        return panel

    def sample(self, random_state, images=True):
        """One PGM instance (see the class docstring). Without `images`
        (only for a dataset whose images draw nothing from the random state,
        so the draws stay the same) the panels are not rendered."""
        matrix, alternatives = self.sample_pgm_factors(random_state)
        panels = alternative_images = None
        if images:
            render = self.data.observations_from_factors_uint8
            panels = np.stack([render(row, random_state) for row in matrix])
            alternative_images = render(alternatives, random_state)
        position = random_state.choice(self.num_solutions)
        return self._instance(matrix, alternatives, panels, alternative_images, position)

    def sample_batch(self, num, random_state, images=True):
        """`num` instances drawn in turn, stacked along a new first axis."""
        instances = [self.sample(random_state, images) for _ in range(num)]
        return {key: np.stack([instance[key] for instance in instances])
                for key in instances[0]}

    def _instance(self, matrix, alternatives, panels, alternative_images, position):
        num_panels = NUM_ROWS * NUM_COLS
        context_factors = matrix.reshape(num_panels, -1)[:-1]
        answers_factors = np.insert(alternatives, position, matrix[-1, -1], axis=0)
        instance = {}
        if panels is not None:
            images = panels.reshape((num_panels,) + panels.shape[2:])
            instance = {"context": images[:-1],
                        "answers": np.insert(alternative_images, position, images[-1], axis=0)}
        return {
                **instance,
                "position": np.int64(position),
                "context_factors": context_factors,
                "answers_factors": answers_factors,
                "context_factor_values": self.range_embed(context_factors),
                "answers_factor_values": self.range_embed(answers_factors),
                "context_factors_onehot": self.onehot_embed(context_factors),
                "answers_factors_onehot": self.onehot_embed(answers_factors),
        }

    def range_embed(self, factors):
        """Factor values mapped linearly to [-0.5, 0.5]: float32 [N, F]."""
        max_values = self.num_values.astype(np.float32) - np.float32(1)
        return np.asarray(factors, dtype=np.float32) / max_values - np.float32(0.5)

    def onehot_embed(self, factors):
        """One one-hot per factor, concatenated: float32 [N, sum K]."""
        return np.concatenate([np.eye(count, dtype=np.float32)[factors[:, i]]
                               for i, count in enumerate(self.num_values)], axis=1)

    def shapes(self, batch_size):
        """{key: (shape, numpy dtype)} of a batch of `batch_size` instances."""
        context, answers = NUM_ROWS * NUM_COLS - 1, self.num_solutions
        image = tuple(self.data.observation_shape)
        factors, onehot = len(self.num_values), int(self.num_values.sum())
        return {"context": ((batch_size, context) + image, np.uint8),
                "answers": ((batch_size, answers) + image, np.uint8),
                "position": ((batch_size,), np.int64),
                "context_factors": ((batch_size, context, factors), np.int64),
                "answers_factors": ((batch_size, answers, factors), np.int64),
                "context_factor_values": ((batch_size, context, factors), np.float32),
                "answers_factor_values": ((batch_size, answers, factors), np.float32),
                "context_factors_onehot": ((batch_size, context, onehot), np.float32),
                "answers_factors_onehot": ((batch_size, answers, onehot), np.float32)}


def pgm_batches(data, batch_size, seed, pgm_type="easy_mixed", start_step=0, images=True,
                **flags):
    """Infinite tf.data batches of PGM instances (`PGMSampler(data, pgm_type,
    **flags)`): batch t holds `batch_size` instances drawn in turn from
    `seeded_random_state(seed, STREAM_TAG, t)`, so it does not depend on
    earlier batches and `start_step=k` resumes at batch k. Images become
    float32 in [0, 1] (divided by the dataset's `uint8_scale`). `images=False`
    leaves the panels out (factors only): the same PGMs on a dataset whose
    images are a function of the factors, other ones on a noisy renderer."""
    import tensorflow as tf

    sampler = PGMSampler(data, pgm_type, **flags)
    if batch_size < 1 or start_step < 0:
        raise ValueError("need batch_size >= 1 and start_step >= 0")
    seeded_random_state(seed)  # validates the seed now rather than in the pipeline
    shapes = {key: value for key, value in sampler.shapes(batch_size).items()
              if images or key not in ("context", "answers")}
    keys = sorted(shapes)
    scale = float(sampler.data.uint8_scale)

    def render_arrays(step):
        batch = sampler.sample_batch(batch_size, seeded_random_state(seed, STREAM_TAG, int(step)),
                                     images)
        return [np.asarray(batch[key], shapes[key][1]) for key in keys]

    def render_batch(step):
        arrays = tf.numpy_function(render_arrays, [step],
                                   [tf.as_dtype(shapes[key][1]) for key in keys], stateful=False)
        batch = {}
        for key, array in zip(keys, arrays):
            array = tf.ensure_shape(array, shapes[key][0])
            batch[key] = tf.cast(array, tf.float32) / scale if array.dtype == tf.uint8 else array
        return batch

    steps = tf.data.Dataset.range(start_step, np.iinfo(np.int64).max)
    return steps.map(render_batch, num_parallel_calls=tf.data.AUTOTUNE,
                     deterministic=True).prefetch(tf.data.AUTOTUNE)
