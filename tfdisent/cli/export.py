"""bin/export: write MODEL_DIR/saved_model from the latest (or a given) checkpoint."""

import os

from absl import app, flags

from tfdisent.cli import common

FLAGS = flags.FLAGS
flags.DEFINE_string("model_dir", None, "A tfdisent model directory.", required=True)
flags.DEFINE_string("checkpoint", None, "A checkpoint path (default: latest).")
flags.DEFINE_string("output_dir", None, "Default: MODEL_DIR/saved_model.")
flags.DEFINE_bool("overwrite", False, "Replace an existing SavedModel.")


def main(argv):
    common.quiet_tensorflow()
    from tfdisent import export, train
    output = FLAGS.output_dir or os.path.join(FLAGS.model_dir, "saved_model")
    if os.path.exists(output) and not FLAGS.overwrite:
        raise FileExistsError("%s exists; pass --overwrite to replace it" % output)
    export.export(train.load_model(FLAGS.model_dir, FLAGS.checkpoint), output)
    print("SavedModel written to %s" % output)


def run():
    app.run(common.run_main(main))
