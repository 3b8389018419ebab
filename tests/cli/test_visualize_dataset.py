"""bin/visualize_dataset writes one PNG grid per factor and a samples grid."""

import os
import subprocess
import sys

import numpy as np
from PIL import Image

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_binary(*args):
    return subprocess.run([sys.executable, os.path.join(REPO, "bin", "visualize_dataset"),
                           *args], capture_output=True, text=True, timeout=300)


def test_writes_factor_grids_of_the_right_size(tmp_path):
    result = run_binary("--dataset=sprites", "--output_dir=%s" % tmp_path, "--rows=3",
                        "--num_samples=10")
    assert result.returncode == 0, result.stderr
    expected = {"factor_0_shape.png": 3, "factor_1_scale.png": 6,
                "factor_2_orientation.png": 40, "factor_3_position_x.png": 32,
                "factor_4_position_y.png": 32}
    assert sorted(os.listdir(tmp_path)) == sorted(list(expected) + ["samples.png"])
    for name, columns in expected.items():
        with Image.open(tmp_path / name) as image:
            # 64-pixel tiles with 2 pixels of padding between and around.
            assert image.size == (columns * 66 + 2, 3 * 66 + 2)
            assert image.mode == "L"
    with Image.open(tmp_path / "samples.png") as image:
        assert image.size == (8 * 66 + 2, 2 * 66 + 2)


def test_sweep_grid_shows_the_factor_moving(tmp_path):
    result = run_binary("--dataset=xy_square", "--output_dir=%s" % tmp_path, "--rows=2",
                        "--max_columns=4", "--seed=1")
    assert result.returncode == 0, result.stderr
    with Image.open(tmp_path / "factor_0_position_x.png") as image:
        picture = np.asarray(image)
    assert picture.shape == (2 * 66 + 2, 4 * 66 + 2)
    # Columns show x values 0, 5, 10, 15: the square moves right along a row.
    tiles = [picture[2:66, 2 + 66 * c:66 + 66 * c] for c in range(4)]
    lefts = [np.argwhere(tile.any(axis=0)).min() for tile in tiles]
    assert lefts == [0, 19, 37, 56]


def test_unknown_dataset_fails_with_one_line(tmp_path):
    result = run_binary("--dataset=no_such_data", "--output_dir=%s" % tmp_path)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "no_such_data" in lines[0] and "sprites" in lines[0]
    assert not os.listdir(tmp_path)


def test_non_image_dataset_fails_with_one_line(tmp_path):
    result = run_binary("--dataset=identity", "--output_dir=%s" % tmp_path)
    assert result.returncode != 0
    assert "non-image" in result.stderr and "Traceback" not in result.stderr
