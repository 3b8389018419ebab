"""The weakly-supervised study (Locatello et al., ICML 2020, "Weakly-Supervised
Disentanglement Without Compromises").

disentanglement_lib has no sweep for this paper (its config/ holds only a test
config), so the grid is the paper's, as recalled here and not checked against
its PDF: GroupVAE and ML-VAE, each with label and adaptive (Ada) aggregation,
β ∈ {1, 2, 4, 6, 8, 16} on the β-VAE objective, k = 1 and k drawn per pair
(k = -1, the paper's "Rnd"), 10 seeds, on disentanglement_lib's shared study
settings (shared.gin: batch 64, Adam 1e-4, 300 000 steps; the repository does
not say the paper used them). Scored with the standard metric suite on the mean
representation, as the paper's main figures.
"""

from tfdisent.studies import unsupervised_study_v1
from tfdisent.studies.study import MetricConfig, Selection, Study, sweep

STEPS = 300000
SEEDS = range(10)
BETAS = (1., 2., 4., 6., 8., 16.)
KS = (1, -1)
MODELS = (
    ("Ada-GVAE", "ada_gvae.gin"),
    ("Ada-ML-VAE", "ada_ml_vae.gin"),
    ("GVAE (labels)", "gvae_labels.gin"),
    ("ML-VAE (labels)", "ml_vae_labels.gin"),
)


def runs_for(dataset):
    runs = []
    for model, config in MODELS:
        runs += sweep(model, [config], STEPS, SEEDS, dataset,
                      grid=[("k", "weak_pairs.k", KS), ("beta", "beta_vae.beta", BETAS)])
    return runs


# The paper's six metrics: unsupervised_study_v1's columns without IRS.
COLUMNS = unsupervised_study_v1.COLUMNS[:6]

STUDY = Study(
    name="weakly_supervised",
    reproduces="Locatello et al. 2020 (ICML), 'Weakly-Supervised Disentanglement Without "
               "Compromises': GroupVAE / ML-VAE with label and adaptive aggregation over "
               "β and k.",
    default_dataset="sprites",
    runs_for=runs_for,
    metrics=(MetricConfig("all", ("metrics/all.gin",)),),
    columns=COLUMNS,
    selection=Selection("all"),
)
