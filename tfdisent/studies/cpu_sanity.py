"""cpu_sanity: a study small enough for a 2-core machine (about an hour).

AE, β-VAE, β-TCVAE, QLAE and CFASL, 3 seeds each, on `xy_square` and
`sprites`, a few thousand steps, scored with MIG, DCI, the FactorVAE score
and InfoMEC on reduced samples. It checks that the methods separate in the
expected direction at CPU scale; it reproduces no published number.

CPU-scale deviations (written into the report): every model but CFASL runs
on disentanglement_lib's conv nets (the deterministic variant for AE and
QLAE; the official QLAE networks train at ~13 images/s here); Adam 5e-4 and
batch 64 for every model, so that a few thousand steps mean the same budget
for all; metric samples reduced (below).
"""

from tfdisent.studies.study import Column, MetricConfig, Selection, Study, sweep

SEEDS = (0, 1, 2)
STEPS = {"xy_square": 2000, "sprites": 2000}
COMMON = ("model.batch_size = 64", "optimizer.learning_rate = 0.0005")
DLIB_NETS = ("encoder.encoder_fn = @conv_encoder", "decoder.decoder_fn = @deconv_decoder")
DETERMINISTIC_NETS = ("encoder.encoder_fn = @deterministic_conv_encoder",
                      "decoder.decoder_fn = @deconv_decoder")

# (row, gin file, bindings, metric bindings)
MODELS = (
    ("AE", "ae.gin", DETERMINISTIC_NETS, ()),
    ("β-VAE", "beta_vae.gin", DLIB_NETS + ("beta_vae.beta = 4.",), ()),
    ("β-TCVAE", "beta_tc_vae.gin", DLIB_NETS + ("beta_tc_vae.beta = 6.",), ()),
    ("QLAE", "qlae.gin", DETERMINISTIC_NETS,
     ("infomec.discrete_latents = True",)),
    ("CFASL (β-TCVAE)", "cfasl.gin", (), ()),
)


def runs_for(dataset):
    runs = []
    for name in ("xy_square", "sprites"):
        for model, config, bindings, metric_bindings in MODELS:
            runs += sweep(model, [config], STEPS[name], SEEDS, name,
                          bindings=bindings + COMMON, metric_bindings=metric_bindings)
    return runs


METRICS = (MetricConfig("sanity", (
    "metrics/mig.gin", "metrics/dci.gin", "metrics/factor_vae.gin", "metrics/infomec.gin"), (
    "mig.num_train = 5000",
    "dci.num_train = 2000",
    "dci.num_test = 1000",
    "factor_vae_score.num_train = 1000",
    "factor_vae_score.num_eval = 500",
    "factor_vae_score.num_variance_estimate = 5000",
    "infomec.num_points = 5000",
    "evaluation.evaluation_fn = [@mig, @dci, @factor_vae_score, @infomec]",
)),)

STUDY = Study(
    name="cpu_sanity",
    reproduces="No paper: a CPU-scale sanity study (5 models x 2 datasets x 3 seeds, "
               "a few thousand steps) that the methods separate as their papers "
               "say. Metric samples reduced: MIG 5,000 points; DCI 2,000 / 1,000; "
               "FactorVAE score 1,000 / 500 votes of 64, variance from 5,000; "
               "InfoMEC 5,000 points.",
    default_dataset="xy_square",
    runs_for=runs_for,
    metrics=METRICS,
    columns=(
        Column("MIG", "sanity", "mig.discrete_mig"),
        Column("DCI-D", "sanity", "dci.disentanglement"),
        Column("DCI-C", "sanity", "dci.completeness"),
        Column("DCI-I", "sanity", "dci.informativeness_test"),
        Column("FactorVAE", "sanity", "factor_vae_score.eval_accuracy"),
        Column("InfoM", "sanity", "infomec.infom"),
        Column("InfoE", "sanity", "infomec.infoe"),
        Column("InfoC", "sanity", "infomec.infoc"),
    ),
    selection=Selection("all"),
    fixed_datasets=True,
)
