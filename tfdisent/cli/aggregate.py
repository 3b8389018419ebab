"""bin/aggregate: collect evaluation results into one mean ± std table."""

from absl import app, flags

from tfdisent.cli import common

FLAGS = flags.FLAGS
flags.DEFINE_string("input", None, "Glob of aggregate JSON files, e.g. "
                    "'runs/*/eval/results/aggregate/evaluation.json' (** allowed).",
                    required=True)
flags.DEFINE_string("output", None, "FILE.csv, FILE.md, or FILE (writes both).",
                    required=True)
flags.DEFINE_list("group_by", None, "Configuration keys to group runs by "
                  "(default: every *_config key except seeds).")
flags.DEFINE_string("values", "evaluation_results.", "Prefix of the result keys "
                    "summarised (e.g. train_results.; curves. for the metrics during training of "
                    "MODEL_DIR/results/aggregate/train.json inputs).")


def main(argv):
    from tfdisent import aggregate
    _, rows = aggregate.aggregate(FLAGS.input, FLAGS.output, FLAGS.group_by,
                                  FLAGS.values)
    print("%d rows written to %s" % (len(rows), FLAGS.output))


def run():
    app.run(common.run_main(main))
