"""disentanglement_lib's abstract_reasoning_study_v1 (van Steenkiste et al.,
NeurIPS 2019, "Are Disentangled Representations Helpful for Abstract Visual
Reasoning?"), both stages.

Stage 1 (config/abstract_reasoning_study_v1/stage1/sweep.py): the six
unsupervised models of unsupervised_study_v1 with its six settings each
(AnnealedVAE, FactorVAE, DIP-VAE-I/II, β-TCVAE, β-VAE), seeds 0-4, on the
dataset given (the reference: shapes3d and abstract_dsprites; here the
registry's dataset, quantised for the PGMs by tfdisent.reasoning.pgm), 300 000
steps, scored with the whole metric suite. Stage 2 (stage2/example.gin): WReN
trained on PGMs over each stage-1 model's frozen representation
(gin_configs/reasoning/wren.gin, the "reasoning" evaluation of every run).
"""

from tfdisent.studies import unsupervised_study_v1
from tfdisent.studies.study import Column, MetricConfig, Selection, Study, sweep

SEEDS = range(5)


def runs_for(dataset):
    runs = []
    for model, config, grid in unsupervised_study_v1.MODELS:
        runs += sweep(model, [config], unsupervised_study_v1.STEPS, SEEDS, dataset, grid=grid)
    return runs


REASONING = MetricConfig("reasoning", ("reasoning/wren.gin",), step="abstract_reasoning")

STUDY = Study(
    name="abstract_reasoning",
    reproduces="van Steenkiste et al. 2019 (disentanglement_lib's "
               "abstract_reasoning_study_v1): WReN accuracy on PGMs over the "
               "representations of 180 unsupervised models per dataset, beside "
               "their disentanglement scores.",
    default_dataset="shapes3d",
    runs_for=runs_for,
    metrics=(MetricConfig("all", ("metrics/all.gin",)), REASONING),
    columns=unsupervised_study_v1.COLUMNS + (
        Column("WReN val", "reasoning", "best.val.accuracy", step="abstract_reasoning"),
        Column("WReN test", "reasoning", "best.test.accuracy", step="abstract_reasoning"),
    ),
    selection=Selection("all"),
)
