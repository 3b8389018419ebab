"""The semi-supervised study (Locatello et al., ICLR 2020, "Disentangling
Factors of Variation Using Few Labels").

disentanglement_lib has no sweep for this paper (its config/ holds only a test
config). The regularisation grids below are disentanglement_lib's
unsupervised_study_v1 values (sweep.py), which the paper's S²-models extend;
the supervised part is the paper's, as recalled here and not checked against
its PDF: γ_sup ∈ {1, 2, 4, 8, 16}, the supervised losses disentanglement_lib
offers (xent, l2, cov, embed with σ learned), 100 and 1 000 labelled points
(90 % train, as its README), perfect and binned labels, 3 seeds. Each row is
also trained without labels by unsupervised_study_v1. Shared study settings
(shared.gin: batch 64, Adam 1e-4, 300 000 steps).
"""

from tfdisent.studies import unsupervised_study_v1
from tfdisent.studies.study import Column, MetricConfig, Selection, Study, gin_reference, sweep

STEPS = unsupervised_study_v1.STEPS
SEEDS = range(3)
# (row, gin file, the unsupervised model whose unsupervised_study_v1 grid it takes)
MODELS = (
    ("S²-β-VAE", "s2_beta_vae.gin", "β-VAE"),
    ("S²-β-TCVAE", "s2_beta_tc_vae.gin", "β-TCVAE"),
    ("S²-FactorVAE", "s2_factor_vae.gin", "FactorVAE"),
    ("S²-DIP-VAE-I", "s2_dip_vae.gin", "DIP-VAE-I"),
)
UNSUPERVISED_GRIDS = {model: grid for model, _, grid in unsupervised_study_v1.MODELS}
SUPERVISION = (
    ("loss", "semi_supervised.loss", tuple(gin_reference("@supervised_%s()" % name)
                                           for name in ("xent", "l2", "cov", "embed"))),
    ("gamma_sup", "semi_supervised.gamma_sup", (1., 2., 4., 8., 16.)),
    ("labels", "semi_supervised.num_labelled", (100, 1000)),
    ("labeller", "semi_supervised.labeller",
     (gin_reference("@perfect_labeller()"), gin_reference("@bin_labeller()"))),
)
EMBED = ('supervised_embed.sigma = "learn"',)


def runs_for(dataset):
    runs = []
    for model, config, unsupervised in MODELS:
        runs += sweep(model, [config], STEPS, SEEDS, dataset,
                      grid=[*UNSUPERVISED_GRIDS[unsupervised], *SUPERVISION], bindings=EMBED)
    runs += sweep("Supervised", ["s2_supervised.gin"], STEPS, SEEDS, dataset,
                  grid=[SUPERVISION[0], *SUPERVISION[2:]], bindings=EMBED)
    return runs


COLUMNS = (
    Column("FactorVAE", "all", "factor_vae_score.eval_accuracy"),
    Column("MIG", "all", "mig.discrete_mig"),
    Column("DCI", "all", "dci.disentanglement"),
    Column("SAP", "all", "sap_score.SAP_score"),
)

STUDY = Study(
    name="semi_supervised",
    reproduces="Locatello et al. 2020 (ICLR), 'Disentangling Factors of Variation Using "
               "Few Labels': S²-versions of four VAEs and the supervised baseline over "
               "losses, γ_sup, label budgets and label quality.",
    default_dataset="sprites",
    runs_for=runs_for,
    metrics=(MetricConfig("all", ("metrics/all.gin",)),),
    columns=COLUMNS,
    selection=Selection("all"),
)
