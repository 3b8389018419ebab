"""docs/metrics_api.md's Python blocks run, as one script, where TensorFlow
cannot be imported and `torch` is a numpy stand-in (tests/metrics/stand_ins)."""

import os
import re
import subprocess
import sys

import numpy as np

from no_tensorflow import ASSERT_BLOCKED, STAND_INS, env_without_tensorflow
from tests.subprocess_utils import ROOT

PAGE = os.path.join(ROOT, "docs", "metrics_api.md")


def python_blocks(text):
    return re.findall(r"^```python\n(.*?)^```$", text, flags=re.S | re.M)


def test_the_page_has_the_pytorch_example_and_the_saved_codes():
    with open(PAGE) as f:
        script = "\n".join(python_blocks(f.read()))
    assert "import torch" in script and "score_representation(" in script
    assert "tfdisent.metrics.score(" in script and 'np.savez("codes.npz"' in script


def test_python_blocks_run_without_tensorflow(tmp_path):
    with open(PAGE) as f:
        script = ASSERT_BLOCKED + "\n".join(python_blocks(f.read()))
    done = subprocess.run([sys.executable, "-c", script], cwd=str(tmp_path),
                          env=env_without_tensorflow(tmp_path, STAND_INS, ROOT),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    printed = [list(map(float, line.split())) for line in done.stdout.splitlines()]
    assert [len(line) for line in printed] == [3, 3]
    assert all(np.isfinite(v) for line in printed for v in line)
    with np.load(tmp_path / "codes.npz") as saved:
        assert saved["codes"].shape == (2000, 10) and saved["factors_test"].shape == (1000, 5)
