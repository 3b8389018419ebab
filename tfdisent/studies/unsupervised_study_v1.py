"""disentanglement_lib's unsupervised_study_v1 (Locatello et al., ICML 2019).

6 models x 6 hyper-parameters x 50 seeds = 1800 runs per dataset, ordered as
dlib's sweep (model, then hyper-parameter, then seed innermost), 300 000
steps each, scored with the whole metric suite on the mean representation.
The paper's figures show every setting, so the table has one row per
(model, setting).
"""

from tfdisent.studies.study import Column, MetricConfig, Selection, Study, sweep

STEPS = 300000
SEEDS = range(50)

# (row, gin file, [(label, parameter, values)]): values from dlib's sweep.py.
MODELS = (
    ("β-VAE", "beta_vae.gin", [("beta", "beta_vae.beta", (1., 2., 4., 6., 8., 16.))]),
    ("AnnealedVAE", "annealed_vae.gin",
     [("c_max", "annealed_vae.c_max", (5., 10., 25., 50., 75., 100.))]),
    ("FactorVAE", "factor_vae.gin",
     [("gamma", "factor_vae.gamma", (10., 20., 30., 40., 50., 100.))]),
    ("DIP-VAE-I", "dip_vae_i.gin",
     [("lambda_od", "dip_vae.lambda_od", (1., 2., 5., 10., 20., 50.))]),
    ("DIP-VAE-II", "dip_vae_ii.gin",
     [("lambda_od", "dip_vae.lambda_od", (1., 2., 5., 10., 20., 50.))]),
    ("β-TCVAE", "beta_tc_vae.gin",
     [("beta", "beta_tc_vae.beta", (1., 2., 4., 6., 8., 10.))]),
)


def runs_for(dataset):
    runs = []
    for model, config, grid in MODELS:
        runs += sweep(model, [config], STEPS, SEEDS, dataset, grid=grid)
    return runs


COLUMNS = (
    Column("BetaVAE", "all", "beta_vae_sklearn.eval_accuracy"),
    Column("FactorVAE", "all", "factor_vae_score.eval_accuracy"),
    Column("MIG", "all", "mig.discrete_mig"),
    Column("DCI", "all", "dci.disentanglement"),
    Column("Modularity", "all", "modularity_explicitness.modularity_score"),
    Column("SAP", "all", "sap_score.SAP_score"),
    Column("IRS", "all", "irs.IRS"),
)

STUDY = Study(
    name="unsupervised_study_v1",
    reproduces="Locatello et al. 2019, 'Challenging common assumptions...': the "
               "score distributions per model and hyper-parameter (Figs. 7-13).",
    default_dataset="sprites",
    runs_for=runs_for,
    metrics=(MetricConfig("all", ("metrics/all.gin",)),),
    columns=COLUMNS,
    selection=Selection("all"),
)
