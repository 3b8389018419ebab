"""bin/study: list, run and report a paper's study (see docs/studies.md).

    bin/study --study=cfasl --list
    bin/study --study=cfasl --model_num=N --output_dir=DIR     # one run (job arrays)
    bin/study --study=cfasl --all --parallel=2 --output_dir=DIR [--runs=0-9,12]
    bin/study --study=cfasl --report --output_dir=DIR [--report_to=docs/results/NAME.md]
    bin/study --study=cfasl --copy_results=DEST --output_dir=DIR   # the files a report reads
    bin/study --study=cfasl --udr --output_dir=DIR   # UDR of the finished runs vs their scores
"""

import os
import sys

from absl import app, flags

from tfdisent.cli import common

FLAGS = flags.FLAGS
flags.DEFINE_string("study", None, "Study name (tfdisent.studies.names()).", required=True)
flags.DEFINE_bool("list", False, "Print one line per run and exit.")
flags.DEFINE_integer("model_num", None, "Run this one run (same index = same run "
                     "on every machine).")
flags.DEFINE_bool("all", False, "Run every run (or --runs) on this machine.")
flags.DEFINE_string("runs", "", "With --all: indices and ranges, e.g. 0-9,12.")
flags.DEFINE_integer("parallel", 1, "With --all: processes at a time.")
flags.DEFINE_bool("report", False, "Pool the finished runs into the paper's table.")
flags.DEFINE_bool("udr", False, "Score the finished runs with UDR against each other "
                  "(per dataset) and against the table's columns: DIR/STUDY/udr/.")
flags.DEFINE_multi_string("udr_config", ["metrics/udr.gin"], "With --udr: the UDR gin "
                          "configs.")
flags.DEFINE_string("report_to", None, "With --report: the markdown's path (its "
                    "pictures go beside it, in a directory of its name).")
flags.DEFINE_string("copy_results", None, "Copy the small result files of the finished "
                    "runs to COPY_RESULTS/STUDY/<run name>/ (a report can be made there).")
flags.DEFINE_string("output_dir", None, "Runs go to OUTPUT_DIR/STUDY/<run name>/.")
flags.DEFINE_string("dataset", None, "Dataset for every run (default: the study's).")
flags.DEFINE_float("steps_scale", 1.0, "Multiplies every run's training steps "
                   "(budget runs; recorded in the results and the report).")


def main(argv):
    from tfdisent import studies
    from tfdisent.studies import runner
    study = studies.get(FLAGS.study)
    actions = [FLAGS.list, FLAGS.model_num is not None, FLAGS.all, FLAGS.report,
               FLAGS.copy_results is not None, FLAGS.udr]
    if sum(actions) != 1:
        raise ValueError("give exactly one of --list, --model_num, --all, --report, "
                         "--copy_results, --udr")
    if FLAGS.list:
        for index, run in enumerate(study.runs(FLAGS.dataset)):
            print("%d\t%s\t%s\t%s" % (index, run.name, " ".join(run.gin_configs),
                                      "; ".join(run.train_bindings(FLAGS.steps_scale))))
        return 0
    if not FLAGS.output_dir:
        raise ValueError("--output_dir is required")
    if FLAGS.report:
        from tfdisent.studies import report
        written = report.write_report(study, FLAGS.output_dir, FLAGS.dataset,
                                      FLAGS.report_to)
        print("report written to %s" % written)
        return 0
    if FLAGS.udr:
        common.quiet_tensorflow()
        from tfdisent.studies import udr_selection
        print("UDR written to %s" % udr_selection.study_udr(
            study, FLAGS.output_dir, FLAGS.dataset, FLAGS.udr_config))
        return 0
    if FLAGS.copy_results is not None:
        copied = runner.copy_results(study, FLAGS.output_dir, FLAGS.copy_results,
                                     FLAGS.dataset)
        print("results of %d finished runs copied to %s" % (
            copied, os.path.join(FLAGS.copy_results, study.name)))
        return 0
    common.quiet_tensorflow()
    from tfdisent import preemption
    if FLAGS.model_num is not None:
        try:
            status = runner.run_one(study, FLAGS.model_num, FLAGS.output_dir,
                                    FLAGS.dataset, FLAGS.steps_scale)
        except preemption.Preempted as e:
            print(e.line)
            return preemption.PREEMPTED_EXIT_STATUS
        return 0 if status["state"] == runner.DONE else 1
    runs = study.runs(FLAGS.dataset)
    indices = runner.parse_indices(FLAGS.runs, len(runs))
    states = runner.run_many(study, indices, FLAGS.output_dir, FLAGS.dataset,
                             FLAGS.steps_scale, FLAGS.parallel,
                             study_reference=FLAGS.study)
    failed = sorted(i for i, s in states.items() if s == runner.FAILED)
    preempted = sorted(i for i, s in states.items() if s == "preempted")
    print("%d runs done, %d failed%s" % (
        sum(s == runner.DONE for s in states.values()), len(failed),
        " (%s)" % ",".join(map(str, failed)) if failed else ""))
    if preempted or len(states) < len(indices):
        print("preempted: %d runs checkpointed, %d not started; run the same command "
              "to go on" % (len(preempted), len(indices) - len(states)))
        return preemption.PREEMPTED_EXIT_STATUS
    return 1 if failed else 0


def run():
    app.run(common.run_main(main))


if __name__ == "__main__":
    sys.exit(run())
