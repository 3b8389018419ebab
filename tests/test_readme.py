"""The README's two commands stay true: CI runs the second verbatim."""

import os
import re
import shlex

import gin

from tests.subprocess_utils import run_bin
from tfdisent import gin_config, train  # noqa: F401  (train registers the configurables)
from tfdisent.data import registry

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def readme_commands():
    text = open(os.path.join(ROOT, "README.md")).read()
    return re.findall(r"```sh\n(.*?)\n```", text, re.S)[:2]


def test_ci_runs_the_readme_test_command():
    _, test_command = readme_commands()
    assert test_command in open(os.path.join(ROOT, ".ci", "run")).read()


def test_main_command_trains_on_builtin_data_offline(tmp_path):
    """The README's bin/train, as written, on a procedural dataset, shortened
    to 20 steps with small metric samples: it trains, scores during training
    and prints the scores."""
    main, _ = readme_commands()
    assert "pip install" in main
    arguments = shlex.split(main[main.index("bin/train"):])
    assert arguments[0] == "bin/train"
    config = [a for a in arguments if a.startswith("--gin_config=")][0].split("=", 1)[1]
    assert os.path.exists(os.path.join(ROOT, config))
    gin_config.parse([os.path.join(ROOT, config)], [])
    name = gin.query_parameter("dataset.name")
    gin.clear_config()
    registry.names()
    assert registry._FACTORIES[name].__module__.startswith("tfdisent.data.procedural")
    flags = [a for a in arguments[1:] if not a.startswith("--model_dir=")] + [
        "--model_dir=%s" % (tmp_path / "model"),
        "--gin_bindings=model.training_steps = 20", "--gin_bindings=model.eval_every = 10",
        "--gin_bindings=model.eval_bindings = ['mig.num_train = 500', 'dci.num_train = 200', "
        "'dci.num_test = 100', 'evaluation.evaluation_fn = [@mig, @dci]']"]
    done = run_bin("train", *flags)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Scores at step 20: dci.completeness" in done.stdout
    assert "mig.discrete_mig" in done.stdout.splitlines()[-1]
