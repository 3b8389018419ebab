"""bin/visualize: pictures of a trained model (reconstructions, prior samples,
latent traversals, factor and metric plots, method pictures) written to
MODEL_DIR/visualizations (see tfdisent/visualize/model.py for the layout)."""

from absl import app, flags

from tfdisent.cli import common

FLAGS = flags.FLAGS
flags.DEFINE_string("model_dir", None, "A bin/train model directory.", required=True)
flags.DEFINE_string("output_dir", None, "Default: MODEL_DIR/visualizations.")
flags.DEFINE_bool("overwrite", False, "Replace an existing output directory.")
flags.DEFINE_multi_string("evaluation_dir", [], "bin/evaluate output directories "
                          "(repeatable); default: those found below MODEL_DIR.")
flags.DEFINE_integer("num_samples", 16, "Images in the reconstructions and samples.")
flags.DEFINE_integer("num_traversals", 3, "Base images with latent traversals.")
flags.DEFINE_integer("num_values", 10, "Values per traversal row.")
flags.DEFINE_integer("num_frames", 20, "Frames per animated traversal.")
flags.DEFINE_integer("num_points", 5000, "Images encoded for the latent statistics "
                     "and the factor plots.")
flags.DEFINE_integer("seed", 0, "Seeds the images shown and the prior samples.")


def main(argv):
    common.quiet_tensorflow()
    from tfdisent.visualize import model  # heavy import after flag parsing
    paths = model.visualize(
            FLAGS.model_dir, FLAGS.output_dir, overwrite=FLAGS.overwrite,
            num_samples=FLAGS.num_samples, num_traversals=FLAGS.num_traversals,
            num_values=FLAGS.num_values, num_frames=FLAGS.num_frames,
            num_points=FLAGS.num_points, seed=FLAGS.seed,
            evaluation_dirs=FLAGS.evaluation_dir)
    print("%d files written to %s" % (len(paths), FLAGS.output_dir or
                                      model.default_output_dir(FLAGS.model_dir)))


def run():
    app.run(common.run_main(main))
