"""bin/ifp as a user runs it: outputs, refusal to overwrite, bad flags."""

import json
import os

import pytest

from tests.subprocess_utils import run_bin

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def ifp_run(tmp_path_factory):
    output_dir = str(tmp_path_factory.mktemp("ifp"))
    result = run_bin("ifp", "--dataset=xy_square", "--factor=0,1", "--steps=60",
                     "--batch_size=16", "--window=5", "--output_dir=" + output_dir)
    return output_dir, result


def test_writes_the_json_and_the_plot(ifp_run):
    output_dir, result = ifp_run
    assert result.returncode == 0, result.stderr[-2000:]
    with open(os.path.join(output_dir, "ifp.json")) as f:
        report = json.load(f)
    assert report["dataset"] == "xy_square"
    assert report["settings"]["steps"] == 60 and report["settings"]["window"] == 5
    assert set(report["factors"]) == {"0", "1"}
    for factor, entry in report["factors"].items():
        assert entry["name"] == ["position_x", "position_y"][int(factor)]
        (run,) = entry["runs"]  # one seed x one anchor
        assert run["status"] in ("ok", "never_frozen", "never_released")
        assert entry["ifps"] == [run["ifp"]]
        trace = run["trace"]
        assert trace["step"][0] == 0 and trace["step"][-1] == run["steps_run"] - 1
        assert trace["beta"][0] == pytest.approx(71.0)
        assert len(trace["kl"]) == len(trace["kl_smoothed"]) == len(trace["step"])
    thresholds = report["suggested_thresholds"]
    assert thresholds is None or thresholds[-1] == 1.0
    with open(os.path.join(output_dir, "ifp.png"), "rb") as f:
        assert f.read(8) == PNG_SIGNATURE
    assert "factor 0 (position_x)" in result.stdout


def test_refuses_to_overwrite_without_the_flag(ifp_run):
    output_dir, _ = ifp_run
    result = run_bin("ifp", "--dataset=xy_square", "--factor=0",
                     "--output_dir=" + output_dir)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("error: FileExistsError")
    assert "--overwrite" in result.stderr


@pytest.mark.parametrize("flag,message", [("--factor=2", "out of range"),
                                          ("--factor=x", "list of integers")])
def test_bad_factor_is_one_clear_line(tmp_path, flag, message):
    result = run_bin("ifp", "--dataset=xy_square", flag,
                     "--output_dir=" + str(tmp_path / "out"))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("error:") and message in lines[-1]
    assert not os.path.exists(str(tmp_path / "out" / "ifp.json"))
