"""semi_supervised_cpu: the few-labels paper's headline at this machine's
scale. S²-β-VAE with 100 labelled points (90 train) against its unsupervised
base, the same β-VAE, networks and number of steps, on the procedural
`shapes3d`, 5 seeds each.

The CPU forces what cpu_evidence's disentanglement_lib rows use: 5 000 steps
of batch 64 (plus 64 labelled images a step for S²) at Adam 5e-4.
"""

from tfdisent.studies import cpu_evidence
from tfdisent.studies.study import Claim, Comparison

S2 = "S²-β-VAE (100 labels)"
ROWS = (
    ("β-VAE", "beta_vae.gin", ("beta_vae.beta = 4.",)),
    (S2, "s2_beta_vae.gin", ("beta_vae.beta = 4.", "semi_supervised.num_labelled = 100",
                             "semi_supervised.gamma_sup = 4.")),
)

COMPARISONS = (
    Comparison(
        "S²-β-VAE with 100 labels against the unsupervised β-VAE", cpu_evidence.DATASET,
        ("β-VAE", S2), tuple(Claim(S2, "β-VAE", column) for column in ("MIG", "DCI-D", "FVM")),
        source="Locatello et al. 2020 (ICLR): a supervised loss on 0.01 % of the data "
               "labelled improves disentanglement over the unsupervised model",
        note="β = 4 in both rows; xent loss, γ_sup = 4, fixed annealer, perfect labels, "
             "the subset drawn from the run's seed; disentanglement_lib's conv nets and "
             "Bernoulli loss; Adam 5e-4, batch 64, 5 000 steps"),
)

STUDY = cpu_evidence.cpu_slice("semi_supervised_cpu",
                               __doc__.strip().split("\n\n")[0].replace("\n", " "),
                               ROWS, COMPARISONS)
