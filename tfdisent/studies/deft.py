"""The DEFT study (Distilling Entangled Factors; erow/disentanglement_lib).

DEFT with both stage schedules (exponential β with thresholds, the
"reproduce DEFT" script; fixed-length piecewise β, the 2021 configs) against
β-VAE and β-TCVAE at the same budget (200 000 steps, batch 256, 10 latents),
seeds 0-9, scored with MIG, DCI and the FactorVAE score (the metrics of the
author's grid scripts). The β schedules' step counts scale with
--steps_scale. No published table was obtainable.
"""

from tfdisent.studies.study import Column, MetricConfig, Selection, Study, sweep

SEEDS = range(10)
STEPS = 200000
SAME_BUDGET = ("model.batch_size = 256",)


def runs_for(dataset):
    return (sweep("DEFT (exponential)", ["deft.gin"], STEPS, SEEDS, dataset,
                  scaled_bindings=[("exponential_beta.total_steps", STEPS)])
            + sweep("DEFT (piecewise)", ["deft_piecewise.gin"], 70000, SEEDS, dataset,
                    scaled_bindings=[("piecewise_beta.stage_steps", 6000)])
            + sweep("β-VAE", ["beta_vae.gin"], STEPS, SEEDS, dataset,
                    grid=[("beta", "beta_vae.beta", (1., 4., 16.))], bindings=SAME_BUDGET)
            + sweep("β-TCVAE", ["beta_tc_vae.gin"], STEPS, SEEDS, dataset,
                    grid=[("beta", "beta_tc_vae.beta", (2., 6., 10.))],
                    bindings=SAME_BUDGET))


STUDY = Study(
    name="deft",
    reproduces="DEFT (Distilling Entangled Factors): DEFT's two schedules against "
               "β-VAE and β-TCVAE, MIG / DCI / FactorVAE score.",
    default_dataset="sprites",  # the author's example: --dataset=dsprites_noshape
    runs_for=runs_for,
    metrics=(MetricConfig("mig", ("metrics/mig.gin",)),
             MetricConfig("dci", ("metrics/dci.gin",)),
             MetricConfig("factor_vae", ("metrics/factor_vae.gin",))),
    columns=(Column("MIG", "mig", "discrete_mig"),
             Column("DCI", "dci", "disentanglement"),
             Column("FactorVAE", "factor_vae", "eval_accuracy")),
    selection=Selection("best", column="MIG"),
)
