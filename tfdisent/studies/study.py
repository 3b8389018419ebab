"""A study as data: an ordered list of runs, the metrics its paper reports,
the table's columns and the rule that picks the reported hyper-parameter.

Nothing here imports TensorFlow: a study lists and reports on any machine.
"""

import dataclasses
import itertools
import os
import re
from typing import Callable, Mapping, Optional, Tuple


@dataclasses.dataclass(frozen=True)
class Run:
    """One training run and its evaluation.

    Attributes:
      model: the table row ("β-VAE", "CFASL (β-TCVAE)").
      setting: the hyper-parameter label ("beta=4"), "" when there is one.
      seed: bound as model.random_seed.
      dataset: bound as dataset.name.
      gin_configs: config files, by name inside gin_configs/ ("beta_vae.gin").
      bindings: gin bindings of the model and setting.
      steps: the paper's number of training steps (scaled by --steps_scale).
      metric_bindings: extra bindings for every metric config of this run.
      scaled_bindings: (gin parameter, paper value) pairs of other step counts
        that --steps_scale scales with the training steps (schedules).
      distill_from: the name of another run of the study whose trained model
        this run distils (bin/distill with `gin_configs`, e.g. fsd_encoder.gin)
        instead of training; "" for a training run.
    """

    model: str
    setting: str
    seed: int
    dataset: str
    gin_configs: Tuple[str, ...]
    bindings: Tuple[str, ...]
    steps: int
    metric_bindings: Tuple[str, ...] = ()
    scaled_bindings: Tuple[Tuple[str, int], ...] = ()
    distill_from: str = ""

    @property
    def name(self):
        """A readable, unique directory name: dataset-model[-setting]-seedN."""
        parts = [self.dataset, self.model] + ([self.setting] if self.setting else [])
        return "-".join(slug(p) for p in parts) + "-seed%d" % self.seed

    def distill_bindings(self, teacher_dir):
        """The bindings bin/distill gets: the run's, then dataset and teacher."""
        return tuple(self.bindings) + (
            'dataset.name = "%s"' % self.dataset,
            'encoder_distillation.teacher_model_dir = "%s"' % teacher_dir)

    def train_bindings(self, steps_scale=1.0):
        """The bindings bin/train gets: the run's, then dataset, seed, steps."""
        steps = [("model.training_steps", self.steps)] + list(self.scaled_bindings)
        return tuple(self.bindings) + (
            'dataset.name = "%s"' % self.dataset,
            "model.random_seed = %d" % self.seed) + tuple(
            "%s = %d" % (name, scaled_steps(value, steps_scale)) for name, value in steps)


@dataclasses.dataclass(frozen=True)
class MetricConfig:
    """One evaluation of each run into RUN/metrics/<label>/results: a
    bin/evaluate call (step "evaluation") or a bin/reason one (step
    "abstract_reasoning": WReN on PGMs over the run's representation)."""

    label: str
    gin_configs: Tuple[str, ...]
    bindings: Tuple[str, ...] = ()
    step: str = "evaluation"

    @property
    def aggregate_file(self):
        """Its aggregate results, relative to the run directory."""
        return os.path.join("metrics", self.label, "results", "aggregate", self.step + ".json")


@dataclasses.dataclass(frozen=True)
class Column:
    """A table column: the value `key` of the metric config `metric` (as in
    <step>_results.<key> of its aggregate; step "train" reads the training
    results carried into it), multiplied by `scale` for display."""

    name: str
    metric: str
    key: str
    scale: float = 1.0
    step: str = "evaluation"

    @property
    def result_key(self):
        return "%s_results.%s" % (self.step, self.key)


@dataclasses.dataclass(frozen=True)
class Claim:
    """A paper's claim about two rows of a comparison, tested one-sided.

    direction: "greater" (row `first` above row `second` in `column`),
      "less", "not_less" (non-inferiority: held unless `first` is
      significantly below `second`) or "less_variance" (`first` spreads less
      over seeds than `second`).
    """

    first: str
    second: str
    column: str
    direction: str = "greater"

    def __post_init__(self):
        if self.direction not in CLAIM_DIRECTIONS:
            raise ValueError("claim direction must be one of %s, got %r"
                             % (", ".join(CLAIM_DIRECTIONS), self.direction))


CLAIM_DIRECTIONS = ("greater", "less", "not_less", "less_variance")


@dataclasses.dataclass(frozen=True)
class Comparison:
    """A group of rows of one dataset that a paper compares, with its claims.

    rows: model names (Run.model) in display order; source: where the claim
    comes from; note: the setting, as the report states it.
    """

    name: str
    dataset: str
    rows: Tuple[str, ...]
    claims: Tuple[Claim, ...]
    source: str = ""
    note: str = ""


@dataclasses.dataclass(frozen=True)
class Selection:
    """Which hyper-parameter setting of each model the table reports.

    kind:
      "all": one row per (model, setting);
      "fixed": `settings[model]` (models not listed: their only setting);
      "best": per model, the setting whose finished runs have the highest
        mean in `column` (the selection is written into the report).
    """

    kind: str = "all"
    settings: Mapping[str, str] = dataclasses.field(default_factory=dict)
    column: Optional[str] = None

    def __post_init__(self):
        if self.kind not in ("all", "fixed", "best"):
            raise ValueError("selection kind must be all, fixed or best, got %r"
                             % self.kind)
        if self.kind == "best" and not self.column:
            raise ValueError("a 'best' selection names the column it maximises")


@dataclasses.dataclass(frozen=True)
class Study:
    """A paper's study.

    Attributes:
      name: the --study name.
      reproduces: what table or figure it reproduces, and from where.
      default_dataset: used when --dataset is not given.
      runs_for: dataset name -> the ordered list of runs.
      metrics: the metric configs every run is scored with.
      columns: the table's columns.
      selection: the reported setting per model.
      published: {dataset: {model: {column name: "value"}}}, the paper's
        numbers shown beside ours; `published_source` says where they are from.
      fixed_datasets: the study's runs name their datasets themselves
        (--dataset is refused).
      comparisons: groups of rows with the claims the report tests.
      notes: markdown the report prints under its opening paragraph.
    """

    name: str
    reproduces: str
    default_dataset: str
    runs_for: Callable[[str], list]
    metrics: Tuple[MetricConfig, ...]
    columns: Tuple[Column, ...]
    selection: Selection = Selection()
    published: Mapping[str, Mapping[str, Mapping[str, str]]] = \
        dataclasses.field(default_factory=dict)
    published_source: str = ""
    fixed_datasets: bool = False
    comparisons: Tuple[Comparison, ...] = ()
    notes: str = ""

    def runs(self, dataset=None):
        """The ordered runs; index = --model_num."""
        if dataset and self.fixed_datasets:
            raise ValueError("study %s fixes its datasets; drop --dataset" % self.name)
        runs = list(self.runs_for(dataset or self.default_dataset))
        names = [r.name for r in runs]
        if len(set(names)) != len(names):
            raise ValueError("study %s has two runs with one name" % self.name)
        return runs


def scaled_steps(steps, scale):
    if scale <= 0:
        raise ValueError("--steps_scale must be positive, got %s" % scale)
    return max(1, int(round(steps * scale)))


def slug(text):
    """'CFASL (β-TCVAE)' -> 'cfasl_beta-tcvae'; 'beta=4' -> 'beta4'."""
    text = text.replace("β", "beta").replace("ε", "eps").replace("γ", "gamma") \
        .replace("λ", "lambda")
    text = re.sub(r"[=()]", "", text.lower())
    text = re.sub(r"[^a-z0-9.+-]+", "_", text)
    return text.strip("_")


def sweep(model, gin_configs, steps, seeds, dataset, grid=(), bindings=(),
          metric_bindings=(), scaled_bindings=()):
    """Runs of one model over the product of a grid and seeds, seeds
    innermost (as disentanglement_lib orders its sweeps).

    grid: [(label, gin parameter, values)], e.g. [("beta", "beta_vae.beta",
    (1., 2.))]; each combination becomes a setting "beta=1, eps=0.1".
    """
    labels = [g[0] for g in grid]
    parameters = [g[1] for g in grid]
    runs = []
    for values in itertools.product(*[g[2] for g in grid]):
        setting = ", ".join("%s=%s" % (l, _number(v)) for l, v in zip(labels, values))
        setting_bindings = tuple("%s = %r" % (p, v) for p, v in zip(parameters, values))
        for seed in seeds:
            runs.append(Run(model=model, setting=setting, seed=seed, dataset=dataset,
                            gin_configs=tuple(gin_configs),
                            bindings=tuple(bindings) + setting_bindings,
                            steps=steps, metric_bindings=tuple(metric_bindings),
                            scaled_bindings=tuple(scaled_bindings)))
    return runs


class gin_reference(str):  # pylint: disable=invalid-name
    """A grid value bound as written (a gin reference such as
    "@supervised_xent()"), not as a quoted string."""

    def __repr__(self):
        return str(self)


def _number(value):
    if isinstance(value, gin_reference):
        return value.lstrip("@").replace("()", "")
    return ("%g" % value) if isinstance(value, float) else str(value)
