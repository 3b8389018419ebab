"""bin/reason: WReN on PGMs over a trained representation (or the factors).

    bin/reason --input_dir=MODEL_DIR --output_dir=OUT --gin_config=gin_configs/reasoning/wren.gin
    bin/reason --output_dir=OUT --gin_config=gin_configs/reasoning/wren.gin \\
        --gin_bindings='abstract_reasoning.embedding = "values"' --gin_bindings='dataset.name = "shapes3d"'
"""

from absl import app, flags

from tfdisent.cli import common

FLAGS = flags.FLAGS
flags.DEFINE_string("input_dir", None, "A bin/train model directory whose SavedModel's "
                    "representation WReN reads (frozen); none for the factor baselines "
                    "(abstract_reasoning.embedding = \"values\" / \"onehot\") and \"cnn\".")
flags.DEFINE_string("output_dir", None, "Where results/ and checkpoints go.", required=True)
flags.DEFINE_bool("overwrite", False, "Replace an existing output directory.")
common.define_gin_flags(seed_binding="abstract_reasoning.random_seed")


def main(argv):
    common.quiet_tensorflow()
    from tfdisent import gin_config
    from tfdisent.reasoning import reason
    gin_config.parse(FLAGS.gin_config or ["reasoning/wren.gin"], common.gin_bindings())
    final = reason.reason(FLAGS.input_dir, FLAGS.output_dir, FLAGS.overwrite)
    print("best validation accuracy %.3f (test %.3f) at step %d; results in %s/results" % (
            final["best.val.accuracy"], final["best.test.accuracy"], final["best.step"],
            FLAGS.output_dir))


def run():
    app.run(common.run_main(main))
