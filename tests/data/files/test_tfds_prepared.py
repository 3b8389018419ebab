"""Loaders for TFDS-prepared dsprites / smallnorb, on tiny datasets written by TFDS itself.

A tiny builder with the real name, version and features (but a small label
grid) is prepared with TFDS's own writer into a temporary data directory,
exactly where a real ``download_and_prepare`` would leave it; the loaders
then read it back without any builder code of their own.
"""

import os

import numpy as np
import pytest

tfds = pytest.importorskip("tensorflow_datasets")

from tfdisent.data.files import tfds_prepared  # pylint: disable=g-import-not-at-top
from tfdisent.data.ground_truth import StateSpace, all_factor_rows

DSPRITES_SIZES = [2, 1, 2, 2, 2]  # shape, scale, orientation, x, y
NORB_SIZES = [2, 2, 1, 2, 2]  # category, instance, elevation, azimuth, lighting
BITS = 6


def _prepare(data_dir, tfds_name, version, features, splits):
    """Writes `splits` ({split: [example dict]}) as a prepared TFDS dataset."""

    class Tiny(tfds.core.GeneratorBasedBuilder, skip_registration=True):
        name = tfds_name
        VERSION = tfds.core.Version(version)

        def _info(self):
            return tfds.core.DatasetInfo(
                builder=self, features=tfds.features.FeaturesDict(features))

        def _split_generators(self, dl_manager):
            return {split: self._generate_examples(rows) for split, rows in splits.items()}

        def _generate_examples(self, rows):
            for i, row in enumerate(rows):
                yield i, row

    Tiny(data_dir=data_dir).download_and_prepare(
        download_config=tfds.download.DownloadConfig(try_download_gcs=False))


def _dsprites_examples():
    examples = []
    for row, labels in enumerate(all_factor_rows(DSPRITES_SIZES)):
        image = np.zeros((64, 64, 1), np.uint8)
        image[0, :BITS, 0] = (row >> np.arange(BITS)) & 1
        example = {"image": image, "id": "%06d" % row}
        for key, value in zip(tfds_prepared.DSPRITES.label_keys, labels):
            example[key] = int(value)
            example["value" + key[len("label"):]] = float(value)
        examples.append(example)
    return examples


def _norb_examples(instance):
    examples = []
    for labels in all_factor_rows(NORB_SIZES):
        if labels[1] != instance:
            continue
        code = int(StateSpace(NORB_SIZES).features_to_index(labels)) * 7 + 5
        example = {"image": np.full((96, 96, 1), code, np.uint8),
                   "image2": np.full((96, 96, 1), 255 - code, np.uint8), "id": str(code)}
        example.update(zip(tfds_prepared.SMALLNORB.label_keys, (int(v) for v in labels)))
        examples.append(example)
    return examples


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    path = tmp_path_factory.mktemp("data")
    label = tfds.features.ClassLabel
    dsprites_features = {"image": tfds.features.Image(shape=(64, 64, 1)),
                         "id": tfds.features.Text()}
    for key, classes in zip(tfds_prepared.DSPRITES.label_keys, (3, 6, 40, 32, 32)):
        dsprites_features[key] = label(num_classes=classes)
        dsprites_features["value" + key[len("label"):]] = tfds.features.Tensor(
            shape=[], dtype=np.float32)
    _prepare(str(path), "dsprites", "2.1.0", dsprites_features,
             {"train": _dsprites_examples()})
    norb_features = {"image": tfds.features.Image(shape=(96, 96, 1)),
                     "image2": tfds.features.Image(shape=(96, 96, 1)),
                     "id": tfds.features.Text()}
    for key, classes in zip(tfds_prepared.SMALLNORB.label_keys, (5, 10, 9, 18, 6)):
        norb_features[key] = label(num_classes=classes)
    _prepare(str(path / "tensorflow_datasets"), "smallnorb", "2.1.0", norb_features,
             {"train": _norb_examples(1), "test": _norb_examples(0)})
    return path


def test_dsprites_tfds_reads_prepared_records_by_label(root):
    data = tfds_prepared.dsprites_tfds(data_dir=str(root))
    assert data.factors_num_values == DSPRITES_SIZES
    assert data.observation_shape == (64, 64, 1)
    assert data.images.dtype == np.uint8 and data.uint8_scale == 1.0
    factors, observations = data.sample(40, np.random.RandomState(0))
    assert observations.dtype == np.float32 and set(np.unique(observations)) <= {0.0, 1.0}
    rows = np.round(observations[:, 0, :BITS, 0]).astype(np.int64) @ (1 << np.arange(BITS))
    np.testing.assert_array_equal(rows, StateSpace(DSPRITES_SIZES).features_to_index(factors))


def test_smallnorb_tfds_joins_splits_resizes_and_hides_instance(root):
    data = tfds_prepared.smallnorb_tfds(data_dir=str(root))
    assert data.factors_num_values == [2, 1, 2, 2]
    assert data.observation_shape == (64, 64, 1) and data.images.shape == (16, 64, 64)
    factors = np.tile([[1, 0, 1, 0]], (30, 1))
    images = data.observations_from_factors_uint8(factors, np.random.RandomState(0))
    assert images.dtype == np.uint8 and np.all(images == images[:, :1, :1])
    all_factors = StateSpace(NORB_SIZES).index_to_features((images[:, 0, 0, 0] - 5) // 7)
    np.testing.assert_array_equal(all_factors[:, [0, 2, 3, 4]], factors)
    assert set(all_factors[:, 1].tolist()) == {0, 1}  # both splits, instance sampled


def test_not_prepared_is_one_line_without_download(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        tfds_prepared.shapes3d_tfds(data_dir=str(tmp_path))
    message = str(error.value)
    assert "\n" not in message and "never downloads" in message
    assert os.path.join("shapes3d", "<version>") in message and str(tmp_path) in message
    assert not os.listdir(tmp_path)  # nothing written, nothing downloaded


def test_broken_prepared_directory_is_malformed(tmp_path):
    os.makedirs(tmp_path / "shapes3d" / "2.0.0")
    (tmp_path / "shapes3d" / "2.0.0" / "dataset_info.json").write_text("{not json")
    with pytest.raises(ValueError, match="malformed file .*shapes3d"):
        tfds_prepared.shapes3d_tfds(data_dir=str(tmp_path))


def test_newest_prepared_version_wins(tmp_path):
    for version in ("2.0.0", "2.1.0", "10.0.0", "incomplete.X"):
        os.makedirs(tmp_path / "dsprites" / version)
        (tmp_path / "dsprites" / version / "dataset_info.json").write_text("{}")
    assert tfds_prepared.prepared_dir("dsprites", str(tmp_path)).endswith("10.0.0")
