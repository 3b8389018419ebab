"""Subprocesses in which TensorFlow cannot be imported: a fake `tensorflow`
package that raises on import shadows the real one."""

import os

from tests.subprocess_utils import env

STAND_INS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stand_ins")
# What the child checks first, so a test cannot pass with TensorFlow importable.
ASSERT_BLOCKED = """
try:
    import tensorflow
except ImportError:
    pass
else:
    raise SystemExit("tensorflow is importable")
"""


def env_without_tensorflow(tmp_path, *paths):
    """The subprocess environment; `paths` go first on PYTHONPATH."""
    fake = tmp_path / "no_tensorflow" / "tensorflow"
    fake.mkdir(parents=True, exist_ok=True)
    (fake / "__init__.py").write_text(
            'raise ImportError("TensorFlow is unimportable in this test")\n')
    base = env()
    base["PYTHONPATH"] = os.pathsep.join(
            [str(fake.parent), *map(str, paths), base["PYTHONPATH"]])
    return base
