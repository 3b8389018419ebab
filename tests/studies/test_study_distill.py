"""Study runs that distil another run's model (Run.distill_from, FSD for image
encoders) and a VAE on FSD's student net, as cpu_evidence's FSD rows do."""

import dataclasses
import os

import pytest

from tfdisent import train as train_lib
from tfdisent.results import load_json
from tfdisent.studies import report, runner
from tfdisent.studies.study import Column, MetricConfig, Study, sweep

TINY = ("model.batch_size = 8", "model.image_every = 0", "model.checkpoint_every = 5")
DISTIL = ("distill_training.epochs = 1", "distill_training.steps_per_epoch = 4",
          "distill_training.batch_size = 16", "encoder_distillation.memory_examples = 64",
          "encoder_distillation.eval_examples = 48", "fsd_memory.num_centroids = 4")
TEACHER = sweep("teacher", ["beta_tc_vae.gin"], 12, (0,), "xy_square", bindings=TINY)[0]
STUDENT = dataclasses.replace(
    sweep("student", ["fsd_encoder.gin"], 4, (0,), "xy_square", bindings=DISTIL)[0],
    distill_from=TEACHER.name)
SCRATCH = sweep("scratch", ["beta_tc_vae.gin"], 6, (0,), "xy_square", bindings=TINY + (
    "import tfdisent.distill.conv", "encoder.encoder_fn = @conv_student_encoder"))[0]
ORPHAN = dataclasses.replace(STUDENT, model="orphan", distill_from="xy_square-nobody-seed0")

STUDY = Study(name="distil", reproduces="a test", default_dataset="xy_square",
              runs_for=lambda dataset: [ORPHAN, TEACHER, STUDENT, SCRATCH],
              metrics=(MetricConfig("mig", ("metrics/mig.gin",), ("mig.num_train = 200",)),),
              columns=(Column("MIG", "mig", "discrete_mig"),
                       Column("CKA conv4", "mig", "student.cka.layer_4", step="distill")))


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("distil"))
    return out, [runner.run_one(STUDY, i, out) for i in range(4)]


def test_the_student_is_distilled_from_its_teacher_run_and_scored(ran):
    out, states = ran
    assert [s["state"] for s in states[1:]] == ["done"] * 3
    student_dir = runner.run_directory(out, STUDY, STUDENT)
    scores = load_json(os.path.join(student_dir, "metrics", "mig", "results", "aggregate",
                                    "evaluation.json"))
    layers = [scores["distill_results.student.cka.layer_%d" % k] for k in range(1, 6)]
    assert all(0.0 <= value <= 1.0 + 1e-6 for value in layers)
    assert 0 <= scores["evaluation_results.discrete_mig"] <= 1
    records = report.collect(STUDY, out)
    assert records[2].values["CKA conv4"] == pytest.approx(layers[3])


def test_a_student_without_a_finished_teacher_fails_in_one_line(ran):
    _, states = ran
    assert states[0]["state"] == "failed"
    assert "the teacher run xy_square-nobody-seed0 has not finished" in states[0]["error"]


def test_a_vae_on_the_student_net_trains_and_reloads(ran):
    out, _ = ran
    model = train_lib.load_model(runner.run_directory(out, STUDY, SCRATCH))
    assert model.encoder.name == "student_encoder"
    assert int(model.global_step.numpy()) == 6


def test_udr_over_the_finished_runs(ran):
    from tfdisent.studies import udr_selection
    out, _ = ran
    path = udr_selection.study_udr(STUDY, out, gin_bindings=[
        "udr_sklearn.num_data_points = 100", "udr_sklearn.kl_filter_threshold = 0.0"])
    summary = load_json(os.path.join(os.path.dirname(path), "udr.json"))["xy_square"]
    assert sorted(summary["runs"]) == sorted(r.name for r in (TEACHER, STUDENT, SCRATCH))
    assert all(0.0 <= run["udr"] <= 1.0 for run in summary["runs"].values())
    rho, p, n = summary["spearman_with_udr"]["MIG"]
    assert n == 3 and -1.0 <= rho <= 1.0
    assert "| MIG |" in open(path).read()
