"""bin/evaluate: score a SavedModel, or saved codes, with metric gin configs
into OUT/results."""

from absl import app, flags

from tfdisent.cli import common

FLAGS = flags.FLAGS
flags.DEFINE_string("model_dir", None, "Model directory (its saved_model/ is "
                    "scored, its results/ carried forward).")
flags.DEFINE_string("saved_model", None, "A SavedModel directory to score "
                    "instead of --model_dir.")
flags.DEFINE_string("codes", None, "A file of saved codes to score instead of a "
                    "model: .npz with arrays codes, factors (optional codes_test, "
                    "factors_test), a codes .npy with factors .npy beside it, or "
                    ".h5 (sets evaluation.codes).")
flags.DEFINE_string("output_dir", None, "Where results/ is written.", required=True)
flags.DEFINE_bool("overwrite", False, "Replace an existing output directory.")
common.define_gin_flags(seed_binding="evaluation.random_seed")


def main(argv):
    common.quiet_tensorflow()
    from tfdisent import evaluate  # heavy import after flag parsing
    bindings = common.gin_bindings()
    if FLAGS.codes is not None:
        bindings.append("evaluation.codes = %r" % FLAGS.codes)
    scores = evaluate.evaluate_with_gin(
            FLAGS.output_dir, model_dir=FLAGS.model_dir,
            saved_model=FLAGS.saved_model, gin_config_files=FLAGS.gin_config,
            gin_bindings=bindings, overwrite=FLAGS.overwrite)
    # Each failed metric has printed its one line; the others' results are kept.
    return 1 if evaluate.failed_metrics(scores) else 0


def run():
    app.run(common.run_main(main))
