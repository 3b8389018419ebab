"""Image grids: layout, padding, uint8 conversion, PNG round trip."""

import numpy as np
import pytest
from PIL import Image

from tfdisent.visualize import grids


def test_to_uint8_rounds_and_clips():
    np.testing.assert_array_equal(grids.to_uint8(np.array([-0.5, 0.0, 0.5, 1.0, 2.0])),
                                  [0, 0, 128, 255, 255])
    same = np.array([3, 4], np.uint8)
    assert grids.to_uint8(same) is same


def test_grid_layout_with_padding():
    tiles = np.arange(1, 5, dtype=np.uint8).reshape(2, 2, 1, 1, 1)  # 2x2 tiles of 1 pixel
    grid = grids.image_grid(tiles, padding=1, pad_value=0)[..., 0]
    np.testing.assert_array_equal(grid, [[0, 0, 0, 0, 0],
                                         [0, 1, 0, 2, 0],
                                         [0, 0, 0, 0, 0],
                                         [0, 3, 0, 4, 0],
                                         [0, 0, 0, 0, 0]])


def test_flat_images_fill_rows_and_pad_the_last():
    images = np.zeros((5, 2, 3, 3), np.float32)
    grid = grids.image_grid(images, num_columns=3, padding=1)
    assert grid.shape == (2 * 3 + 1, 3 * 4 + 1, 3)
    assert (grid[4:6, 9:12] == 255).all()  # the missing sixth tile is padding
    assert (grid[4:6, 5:8] == 0).all()  # the fifth tile
    with pytest.raises(ValueError, match="expected images"):
        grids.image_grid(np.zeros((4, 4)))


def test_save_png_round_trip(tmp_path):
    picture = np.random.RandomState(0).rand(6, 7, 1).astype(np.float32)
    path = grids.save_png(picture, str(tmp_path / "sub" / "picture.png"))
    with Image.open(path) as image:
        assert image.mode == "L"
        np.testing.assert_array_equal(np.asarray(image), grids.to_uint8(picture)[..., 0])
    rgb = grids.save_image_grid(np.ones((2, 4, 4, 3)), str(tmp_path / "grid.png"), padding=0)
    with Image.open(rgb) as image:
        assert image.mode == "RGB" and image.size == (8, 4)
