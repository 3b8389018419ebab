"""bin/train: train a model from gin configs into a model directory."""

from absl import app, flags

from tfdisent.cli import common

FLAGS = flags.FLAGS
flags.DEFINE_string("model_dir", None, "Where the run is written.", required=True)
flags.DEFINE_bool("overwrite", False, "Replace an existing model directory.")
flags.DEFINE_enum("strategy", "default", ["default", "mirrored", "multi_worker"],
                  "tf.distribute strategy.")
flags.DEFINE_integer("seed", None, "Overrides model.random_seed.")
common.define_gin_flags()


def main(argv):
    if len(argv) > 1:
        raise ValueError("unexpected arguments: %s" % " ".join(argv[1:]))
    common.quiet_tensorflow()
    from tfdisent import train  # heavy import after flag parsing
    bindings = list(FLAGS.gin_bindings)
    if FLAGS.seed is not None:
        bindings.append("model.random_seed = %d" % FLAGS.seed)
    train.train_with_gin(FLAGS.model_dir, FLAGS.overwrite, FLAGS.gin_config,
                         bindings, FLAGS.strategy)


def run():
    app.run(common.run_main(main))
