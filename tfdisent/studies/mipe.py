"""The MIPE-transformation study (Yang et al., AISTATS 2024).

β-VAE, β-TCVAE and CLG-VAE, each without and with MIPE, on the official
code's networks and optimiser (the mipe gin files; "without" drops the IPE
units), scored as the official code scores them: FVM (prune threshold 0),
MIG, SAP and DCI on the sampled code before any IPE transform
(gin_configs/metrics/mipe_paper.gin). Seeds 1-10 (the paper's count is not
published; an assumption). The paper's tables were not obtainable, so the
report has no published column.
"""

from tfdisent.studies.study import Column, MetricConfig, Selection, Study, sweep

SEEDS = range(1, 11)
STEPS = 300000  # the epochs are not published: CFASL's budget (as mipe.gin)

# (row, gin file, bindings that remove MIPE from it)
MODELS = (
    ("β-VAE", "mipe_beta_vae.gin", ("vae.extensions = []",)),
    ("MIPE (β-VAE)", "mipe_beta_vae.gin", ()),
    ("β-TCVAE", "mipe.gin", ("vae.extensions = []",)),
    ("MIPE (β-TCVAE)", "mipe.gin", ()),
    ("CLG-VAE", "clg_vae.gin", ("optimizer.learning_rate = 0.0004", "model.batch_size = 256")),
    ("MIPE (CLG-VAE)", "mipe_clg_vae.gin", ()),
)


def runs_for(dataset):
    runs = []
    for model, config, bindings in MODELS:
        runs += sweep(model, [config], STEPS, SEEDS, dataset, bindings=bindings)
    return runs


STUDY = Study(
    name="mipe",
    reproduces="MIPE-transformation (Yang et al., AISTATS 2024): each base VAE "
               "with and without MIPE, FVM / MIG / SAP / DCI on the sampled code.",
    default_dataset="sprites",
    runs_for=runs_for,
    metrics=(MetricConfig("paper", ("metrics/mipe_paper.gin",)),),
    columns=(
        Column("FVM", "paper", "factor_vae_score.train_accuracy", 100.),
        Column("MIG", "paper", "mig.discrete_mig", 100.),
        Column("SAP", "paper", "sap_score.SAP_score", 100.),
        Column("DCI", "paper", "dci.disentanglement", 100.),
    ),
    selection=Selection("all"),
)
