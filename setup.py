"""tfdisent: disentangled representation learning in TensorFlow 2 / Keras 3."""

import os

from setuptools import find_namespace_packages, setup

HERE = os.path.dirname(os.path.abspath(__file__))
COMMANDS = ("train", "evaluate", "export", "aggregate", "visualize", "visualize_dataset",
            "ifp", "distill", "study", "udr", "reason")


# Compatible ranges (see docs/installation.md); requirements.txt pins the
# exact versions CI tests.
REQUIRES = [
    "tensorflow>=2.20,<2.22",
    "tensorflow-probability>=0.25,<0.26",
    "tf-keras>=2.20,<2.22",
    "keras>=3.12,<4",
    "tensorflow-datasets>=4.9,<5",
    "tensorboard>=2.20,<2.22",
    "gin-config>=0.5,<0.6",
    "absl-py>=2.1,<3",
    "numpy>=1.26,<3",
    "scipy>=1.13,<2",
    "scikit-learn>=1.5,<2",
    "h5py>=3.10,<4",
    "matplotlib>=3.8,<4",
    "pillow>=10,<14",
]
EXTRAS = {
    # The BERT / GLUE path of FSD (bin/distill with fsd_glue.gin).
    "text": ["keras-hub>=0.30,<1", "tensorflow-text>=2.20,<2.22"],
    "test": ["pytest>=8,<10", "pytest-xdist>=3.5,<4"],
}

setup(
    name="tfdisent",
    version="0.1.0",
    description="Disentangled representation learning in TensorFlow 2 / Keras 3",
    long_description=open(os.path.join(HERE, "README.md")).read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    # gin_configs/ stays at the top of the checkout and ships inside the
    # package as tfdisent/gin_configs (found by bare name, see gin_config.py).
    # Namespace discovery: tfdisent/models has no __init__.py.
    packages=find_namespace_packages(include=["tfdisent", "tfdisent.*"],
                                     exclude=["*.__pycache__"]) + ["tfdisent.gin_configs"],
    package_dir={"tfdisent.gin_configs": "gin_configs"},
    package_data={"tfdisent.gin_configs": ["*.gin", "*/*.gin"]},
    install_requires=REQUIRES,
    extras_require=EXTRAS,
    # bin/<command> runs from a checkout; installed, each is tfdisent-<command>.
    entry_points={"console_scripts": [
        "tfdisent-%s = tfdisent.cli.%s:run" % (c.replace("_", "-"), c)
        for c in COMMANDS]},
    license="Apache-2.0",
)
