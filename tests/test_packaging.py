"""Packaging: compatible install_requires ranges that hold CI's pins, the
extras, bundled gin configs found by bare name, a missing config as one line,
and a wheel that installs and trains from outside the checkout."""

import ast
import os
import re
import shutil
import site
import subprocess
import sys
import textwrap

import pytest
from packaging.requirements import Requirement

from tests import tiny_training as tiny
from tests.subprocess_utils import ROOT, env
from tfdisent import errors, gin_config


def setup_lists():
    """REQUIRES and EXTRAS as setup.py declares them."""
    tree = ast.parse(open(os.path.join(ROOT, "setup.py")).read())
    return {node.targets[0].id: ast.literal_eval(node.value) for node in tree.body
            if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "")
            in ("REQUIRES", "EXTRAS")}


def pins():
    with open(os.path.join(ROOT, "requirements.txt")) as f:
        lines = [line.split("#")[0].strip() for line in f]
    return {Requirement(line).name: Requirement(line) for line in lines if line}


def test_ranges_hold_the_pinned_versions_ci_tests():
    declared = setup_lists()
    requirements = declared["REQUIRES"] + [r for extra in declared["EXTRAS"].values()
                                           for r in extra]
    pinned = pins()
    for text in requirements:
        requirement = Requirement(text)
        assert "==" not in text and "<" in text and ">=" in text, text
        pin = pinned[requirement.name]
        version = next(iter(pin.specifier)).version
        assert requirement.specifier.contains(version), (text, version)
    assert set(pinned) == {Requirement(r).name for r in requirements}
    assert {Requirement(r).name for r in declared["EXTRAS"]["text"]} == {
        "keras-hub", "tensorflow-text"}
    assert not {"keras-hub", "tensorflow-text"} & {Requirement(r).name
                                                   for r in declared["REQUIRES"]}


@pytest.mark.parametrize("name,found", [
    ("beta_vae.gin", "gin_configs/beta_vae.gin"),
    ("gin_configs/cfasl.gin", "gin_configs/cfasl.gin"),
    ("metrics/mig.gin", "gin_configs/metrics/mig.gin")])
def test_bundled_configs_resolve_by_name_from_anywhere(tmp_path, monkeypatch, name, found):
    monkeypatch.chdir(tmp_path)
    assert os.path.samefile(gin_config.resolve(name), os.path.join(ROOT, found))
    (tmp_path / "beta_vae.gin").write_text("# mine\n")
    assert gin_config.resolve("beta_vae.gin") == "beta_vae.gin"  # a local file wins


def test_a_missing_config_is_one_line_naming_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError) as missing:
        gin_config.parse(["betta_vae.gin"], [])
    line = errors.one_line(missing.value)
    assert str(missing.value) == line.split(": ", 1)[1]
    assert "betta_vae.gin" in line and str(tmp_path) in line
    assert os.path.join(ROOT, "gin_configs") in line


def test_bin_distill_names_the_text_extra_when_it_is_missing():
    # A fresh interpreter: gin keeps what an earlier import registered.
    code = textwrap.dedent("""
        import os, sys
        for module in ("keras_hub", "tensorflow_text"):
            sys.modules[module] = None  # as if not installed
        from tfdisent.cli import distill
        missing = distill.register_pipelines()
        assert missing == "keras_hub", missing
        try:
            distill.parse_gin([os.path.join(%r, "gin_configs", "fsd_glue.gin")], [], missing)
        except ModuleNotFoundError as e:
            print(e)
    """ % ROOT)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env(), cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert re.search(r"needs the \[text\] extra .*pip install 'tfdisent\[text\]'",
                     done.stdout), done.stdout


def copy_source(target):
    for name in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy(os.path.join(ROOT, name), target)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("tfdisent", "gin_configs"):
        shutil.copytree(os.path.join(ROOT, name), os.path.join(target, name), ignore=ignore)


@pytest.mark.slow  # builds a wheel and trains from it in a fresh environment
def test_wheel_installs_and_trains_from_outside_the_checkout(tmp_path):
    source, wheels, venv = (str(tmp_path / n) for n in ("source", "wheels", "venv"))
    os.makedirs(source)
    copy_source(source)
    pip = [sys.executable, "-m", "pip", "-q", "--disable-pip-version-check"]
    subprocess.run(pip + ["wheel", "--no-deps", "--no-build-isolation", "-w", wheels, source],
                   check=True, capture_output=True)
    # A fresh environment that borrows this one's dependencies (installing
    # TensorFlow again would take minutes) but not its tfdisent.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    python = os.path.join(venv, "bin", "python")
    target = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()"
                             "['purelib'])"], capture_output=True, text=True,
                            check=True).stdout.strip()
    with open(os.path.join(target, "borrowed.pth"), "w") as f:
        f.write("\n".join(site.getsitepackages()) + "\n")
    wheel = os.path.join(wheels, os.listdir(wheels)[0])
    subprocess.run(pip + ["--python", python, "install", "--no-deps", "--no-index", wheel],
                   check=True, capture_output=True)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    clean = env(PYTHONPATH="")
    where = subprocess.run([python, "-c", "import tfdisent; print(tfdisent.__file__)"],
                           capture_output=True, text=True, env=clean, cwd=str(outside))
    assert where.stdout.startswith(venv), where.stdout + where.stderr
    done = subprocess.run(
        [os.path.join(venv, "bin", "tfdisent-train"), "--gin_config=beta_vae.gin",
         *["--gin_bindings=%s" % b for b in tiny.BINDINGS], "--gin_bindings=model.training_steps = 3",
         "--model_dir=run"], capture_output=True, text=True, env=clean, cwd=str(outside),
        timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (outside / "run" / "saved_model" / "saved_model.pb").exists()
    assert "Trained 3 steps" in done.stdout
