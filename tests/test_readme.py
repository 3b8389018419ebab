"""The README's two commands stay true: CI runs the second verbatim."""

import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def readme_commands():
    text = open(os.path.join(ROOT, "README.md")).read()
    return re.findall(r"```sh\n(.*?)\n```", text, re.S)[:2]


def test_ci_runs_the_readme_test_command():
    _, test_command = readme_commands()
    assert test_command in open(os.path.join(ROOT, ".ci", "run")).read()


def test_main_command_trains_on_builtin_data_offline():
    main, _ = readme_commands()
    assert "bin/train" in main and "pip install" in main
    config = re.search(r"--gin_config=(\S+)", main).group(1)
    assert os.path.exists(os.path.join(ROOT, config))
    assert 'dataset.name = "sprites"' in open(os.path.join(ROOT, "gin_configs", "shared.gin")).read()
