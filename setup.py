"""tfdisent: disentangled representation learning in TensorFlow 2 / Keras 3."""

import glob
import os

from setuptools import find_packages, setup

HERE = os.path.dirname(os.path.abspath(__file__))
COMMANDS = ("train", "evaluate", "export", "aggregate", "visualize", "visualize_dataset",
            "ifp", "distill")


def _requirements():
    with open(os.path.join(HERE, "requirements.txt")) as f:
        lines = [line.split("#")[0].strip() for line in f]
    return [line for line in lines if line and not line.startswith("pytest")]


setup(
    name="tfdisent",
    version="0.1.0",
    description="Disentangled representation learning in TensorFlow 2 / Keras 3",
    long_description=open(os.path.join(HERE, "README.md")).read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    packages=find_packages(include=["tfdisent", "tfdisent.*"]),
    install_requires=_requirements(),
    extras_require={"test": ["pytest==9.2.0", "pytest-xdist==3.8.0"]},
    # bin/<command> runs from a checkout; installed, each is tfdisent-<command>.
    entry_points={"console_scripts": [
        "tfdisent-%s = tfdisent.cli.%s:run" % (c.replace("_", "-"), c)
        for c in COMMANDS]},
    data_files=[("share/tfdisent/gin_configs",
                 sorted(glob.glob("gin_configs/*.gin")))],
    license="Apache-2.0",
)
