"""bin/ifp: the annealing test, information freezing points of factors.

  bin/ifp --dataset=sprites --factor=1,3 --seeds=0,1 --anchors=2 --output_dir=DIR
writes DIR/ifp.json and DIR/ifp.png (see docs/methods/deft.md).
"""

from absl import app, flags

from tfdisent.cli import common

FLAGS = flags.FLAGS
flags.DEFINE_string("dataset", "sprites", "Registered dataset name.")
flags.DEFINE_list("factor", None, "Factor index or indices, e.g. 0,1,2.",
                  required=True)
flags.DEFINE_list("seeds", ["0"], "Training seeds (one run per seed and anchor).")
flags.DEFINE_integer("anchors", 1, "Number of anchor factor vectors per factor.")
flags.DEFINE_integer("steps", 8000, "Annealing length T (steps at most).")
flags.DEFINE_float("beta_max", 70.0, "β(t) = beta_max·exp(−gamma·t/T) + 1.")
flags.DEFINE_float("gamma", 15.0, "Decay rate of β.")
flags.DEFINE_integer("batch_size", 64, "Batch size.")
flags.DEFINE_float("learning_rate", 1e-3, "Adam learning rate.")
flags.DEFINE_float("reconstruction_threshold", 1.0,
                   "Early stop when the batch reconstruction loss (nats per "
                   "image) falls below this.")
flags.DEFINE_float("kl_threshold", 0.1, "IFP: KL (nats) the smoothed KL must exceed.")
flags.DEFINE_integer("window", 50, "IFP: moving-average window (steps).")
flags.DEFINE_string("output_dir", None, "Where ifp.json and ifp.png go.",
                    required=True)
flags.DEFINE_bool("overwrite", False, "Replace earlier outputs in output_dir.")


def _integers(name, values):
    try:
        return [int(v) for v in values]
    except ValueError:
        raise ValueError("--%s must be a comma-separated list of integers, got %s"
                         % (name, ",".join(values))) from None


def main(argv):
    common.quiet_tensorflow()
    factors, seeds = _integers("factor", FLAGS.factor), _integers("seeds", FLAGS.seeds)
    if FLAGS.steps < 1 or FLAGS.anchors < 1 or FLAGS.batch_size < 1:
        raise ValueError("--steps, --anchors and --batch_size must be >= 1")
    from tfdisent.deft import annealing  # heavy import after flag parsing
    report = annealing.run(
        FLAGS.dataset, factors, FLAGS.output_dir, overwrite=FLAGS.overwrite,
        seeds=seeds, num_anchors=FLAGS.anchors, kl_threshold=FLAGS.kl_threshold,
        window=FLAGS.window, steps=FLAGS.steps, beta_max=FLAGS.beta_max,
        gamma=FLAGS.gamma, batch_size=FLAGS.batch_size,
        learning_rate=FLAGS.learning_rate,
        reconstruction_threshold=FLAGS.reconstruction_threshold)
    for factor, entry in report["factors"].items():
        print("factor %s (%s): IFPs %s, mean %s, std %s" % (
            factor, entry["name"], entry["ifps"], entry["mean"], entry["std"]))
    if report["suggested_thresholds"]:
        print("suggested thresholds:", report["suggested_thresholds"])


def run():
    app.run(common.run_main(main))
