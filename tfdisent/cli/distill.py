"""bin/distill: feature-structure distillation (FSD) from gin configs.

    bin/distill --gin_config=gin_configs/fsd_glue.gin \
        --gin_bindings='glue_distillation.data_dir = "/data/glue/RTE"' --output_dir=DIR
"""

from absl import app, flags

from tfdisent import gin_config
from tfdisent.cli import common


# The BERT / GLUE path needs the [text] extra.
TEXT_MODULES = ("keras_hub", "tensorflow_text")


def register_pipelines():
    """Imports the pipelines (registering their gin names); returns the
    missing [text] module that keeps the GLUE pipeline out, or None."""
    # pylint: disable=import-outside-toplevel,unused-import
    from tfdisent.distill import encoder_pipeline  # noqa: F401
    try:
        from tfdisent.distill import glue_pipeline  # noqa: F401
    except ModuleNotFoundError as e:
        if e.name not in TEXT_MODULES:
            raise
        return e.name
    return None


def parse_gin(config_files, bindings, missing_text_module):
    try:
        gin_config.parse(config_files, bindings)
    except ValueError as e:
        if missing_text_module and "glue_distillation" in str(e):
            raise ModuleNotFoundError(
                "the BERT/GLUE path of bin/distill needs the [text] extra (%s is not "
                "installed): pip install 'tfdisent[text]'" % missing_text_module) from None
        raise


def main(argv):
    # pylint: disable=import-outside-toplevel
    missing_text_module = register_pipelines()
    from tfdisent.distill import run as distill_run
    flag_values = flags.FLAGS
    parse_gin(flag_values.gin_config, flag_values.gin_bindings, missing_text_module)
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
