"""bin/distill: feature-structure distillation (FSD) from gin configs.

    bin/distill --gin_config=gin_configs/fsd_glue.gin \
        --gin_bindings='glue_distillation.data_dir = "/data/glue/RTE"' --output_dir=DIR
"""

from absl import app, flags

from tfdisent import gin_config
from tfdisent.cli import common


def main(argv):
    # pylint: disable=import-outside-toplevel,unused-import
    from tfdisent.distill import encoder_pipeline, glue_pipeline  # noqa: F401  (register their gin names)
    from tfdisent.distill import run as distill_run
    flag_values = flags.FLAGS
    gin_config.parse(flag_values.gin_config, flag_values.gin_bindings)
    distill_run.prepare_output_dir(flag_values.output_dir, flag_values.overwrite)
    results = distill_run.run_distillation(flag_values.output_dir, seed=flag_values.seed)
    print("results: %s/results/json/%s_results.json (%d values)"
          % (flag_values.output_dir, distill_run.RESULTS_NAME, len(results)))


def run():
    common.quiet_tensorflow()
    common.define_gin_flags()
    flags.DEFINE_string("output_dir", None, "Directory for checkpoints, logs and results.")
    flags.DEFINE_bool("overwrite", False, "Replace a non-empty output directory.")
    flags.DEFINE_integer("seed", 0, "Random seed.")
    flags.mark_flag_as_required("output_dir")
    app.run(common.run_main(main))
