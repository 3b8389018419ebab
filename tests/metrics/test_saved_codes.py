"""Saved codes files: .npz, .npy pairs and .h5 read to the same sample;
missing or bad arrays are one line naming the file."""

import h5py
import numpy as np
import pytest

from tfdisent.metrics import saved_codes

RS = np.random.RandomState(0)
FACTORS = RS.randint(0, 4, size=(50, 2))
CODES = FACTORS + RS.normal(0, 0.1, FACTORS.shape)
ARRAYS = {"codes": CODES, "factors": FACTORS, "codes_test": CODES[:20],
          "factors_test": FACTORS[:20]}


def write(path, arrays):
    path = str(path)
    if path.endswith(".npz"):
        np.savez(path, **arrays)
    elif path.endswith(".h5"):
        with h5py.File(path, "w") as f:
            for key, value in arrays.items():
                f[key] = value
    else:
        for key, value in arrays.items():
            np.save(path.replace("codes", key), value)
    return path


def assert_sample(sample, arrays):
    np.testing.assert_array_equal(sample.codes, arrays["codes"])
    np.testing.assert_array_equal(sample.factors, arrays["factors"])
    if "codes_test" in arrays:
        np.testing.assert_array_equal(sample.test[0], arrays["codes_test"])
        np.testing.assert_array_equal(sample.test[1], arrays["factors_test"])
    else:
        assert sample.test is None


@pytest.mark.parametrize("name", ["run.npz", "run.h5", "codes.npy", "mig_codes.npy"])
def test_every_format_reads_the_same_sample(tmp_path, name):
    assert_sample(saved_codes.load(write(tmp_path / name, ARRAYS)), ARRAYS)
    train_only = {k: ARRAYS[k] for k in ("codes", "factors")}
    assert_sample(saved_codes.load(write(tmp_path / ("train_" + name), train_only)),
                  train_only)


def test_npy_companions_follow_the_last_codes_in_the_name(tmp_path):
    np.save(tmp_path / "codes_of_run_codes.npy", CODES)
    np.save(tmp_path / "codes_of_run_factors.npy", FACTORS)
    sample = saved_codes.load(str(tmp_path / "codes_of_run_codes.npy"))
    np.testing.assert_array_equal(sample.factors, FACTORS)


@pytest.mark.parametrize("arrays, message", [
    ({"codes": CODES}, r"run.npz has no 'factors' array \(found: codes\); expected "
                       r"codes \[N, K\] and factors \[N, F\]"),
    ({"codes": CODES, "factors": FACTORS, "codes_test": CODES},
     r"run.npz has codes_test but no factors_test$"),
    ({"codes": CODES, "factors": FACTORS[:, :1].repeat(2, 1) * 0},
     r"run.npz: factor 0 takes the single value 0 in all 50 points"),
    ({"codes": CODES[None], "factors": FACTORS},
     r"run.npz: codes must be a 2-D array \(one row per point\), got shape \(1, 50, 2\)$"),
    ({"codes": np.where(CODES > 3.1, np.inf, CODES), "factors": FACTORS},
     r"run.npz: codes contain \d+ NaN or infinite values"),
])
def test_bad_files_are_one_line(tmp_path, arrays, message):
    with pytest.raises(ValueError, match=message) as raised:
        saved_codes.load(write(tmp_path / "run.npz", arrays))
    assert "\n" not in str(raised.value)


def test_unreadable_paths_are_one_line(tmp_path):
    with pytest.raises(FileNotFoundError, match="no codes file at .*nope.npz$"):
        saved_codes.load(str(tmp_path / "nope.npz"))
    (tmp_path / "codes.csv").write_text("1,2\n")
    with pytest.raises(ValueError, match=r"a codes file is .npz, .npy or .h5, got"):
        saved_codes.load(str(tmp_path / "codes.csv"))
    (tmp_path / "broken.npz").write_text("not a zip")
    with pytest.raises(ValueError, match=r"^cannot read .*broken.npz: "):
        saved_codes.load(str(tmp_path / "broken.npz"))
    np.save(tmp_path / "z.npy", CODES)
    with pytest.raises(ValueError, match=r"must have 'codes' in its name"):
        saved_codes.load(str(tmp_path / "z.npy"))
