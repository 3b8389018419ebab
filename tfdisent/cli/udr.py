"""bin/udr: UDR scores of trained models against each other into OUT/results."""

from absl import app, flags

from tfdisent.cli import common

FLAGS = flags.FLAGS
flags.DEFINE_list("model_dirs", None, "Two or more bin/train model directories.",
                  required=True)
flags.DEFINE_string("output_dir", None, "Where results/ is written.", required=True)
flags.DEFINE_bool("overwrite", False, "Replace an existing output directory.")
common.define_gin_flags(seed_binding="evaluation.random_seed")


def main(argv):
    common.quiet_tensorflow()
    from tfdisent import udr  # heavy import after flag parsing
    scores = udr.udr_with_gin(FLAGS.model_dirs, FLAGS.output_dir,
                              FLAGS.gin_config or ["metrics/udr.gin"], common.gin_bindings(),
                              FLAGS.overwrite)
    for model_dir, score in zip(FLAGS.model_dirs, scores["model_scores"]):
        print("%.4f  %s" % (score, model_dir))


def run():
    app.run(common.run_main(main))
