"""bin/train: train a model from gin configs into a model directory."""

import sys

from absl import app, flags

from tfdisent.cli import common

FLAGS = flags.FLAGS
flags.DEFINE_string("model_dir", None, "Where the run is written.", required=True)
flags.DEFINE_bool("overwrite", False, "Replace an existing model directory.")
flags.DEFINE_enum("strategy", "default", ["default", "mirrored", "multi_worker"],
                  "tf.distribute strategy.")
common.define_gin_flags(seed_binding="model.random_seed")


def main(argv):
    common.quiet_tensorflow()
    # pylint: disable=import-outside-toplevel
    from tfdisent import preemption, train  # heavy import after flag parsing
    try:
        results = train.train_with_gin(FLAGS.model_dir, FLAGS.overwrite, FLAGS.gin_config,
                                       common.gin_bindings(), FLAGS.strategy)
    except preemption.Preempted as e:
        sys.stderr.write(e.line + "\n")
        return preemption.PREEMPTED_EXIT_STATUS
    if results:  # the chief: say where things are
        print("Trained %d steps in %.0f s (loss %.4g); SavedModel and results in %s"
              % (results["steps"], results["elapsed_time"], results.get("loss", float("nan")),
                 FLAGS.model_dir))
        scores = {k[len("eval."):]: v for k, v in results.items() if k.startswith("eval.")}
        if scores:
            print("Scores at step %d: %s" % (results["eval_step"], ", ".join(
                "%s %.3f" % kv for kv in sorted(scores.items()))))


def run():
    app.run(common.run_main(main))
