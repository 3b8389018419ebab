"""Modularity on constructed MI matrices; explicitness against dlib's
computation; sampler known answers and failure messages."""

import numpy as np
import pytest
from sklearn import linear_model, metrics, preprocessing

from metrics_fixtures import IdentityData, identity
from tfdisent.metrics import modularity_explicitness as me
from tfdisent.metrics import utils

DIAG = np.diag(5.0 * np.ones(5))


@pytest.mark.parametrize("matrix, expected", [
        (DIAG, 1.0),
        (np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]), 2 / 3),  # empty code
        (np.zeros((10, 10)), 0.0),
        (np.vstack([DIAG, DIAG]), 1.0),  # redundant codes
        (DIAG[:2], 1.0),  # missed factors
        (np.hstack([DIAG, DIAG]), 1 - 1 / 9),  # 2 equal of 10: 25 / (25 * 9)
        (np.array([[2.0, 1.0]]), 0.75),  # 1 - 1 / (4 * 1)
        (np.array([[3.0, 1.0, 1.0]]), 8 / 9),  # 1 - 2 / (9 * 2)
])
def test_modularity_by_hand(matrix, expected):
    assert me.modularity(matrix) == pytest.approx(expected, abs=1e-15)


def dlib_explicitness(codes_train, y_train, codes_test, y_test):
    """disentanglement_lib's explicitness_per_factor, [N, K] layout."""
    classifier = linear_model.LogisticRegression().fit(codes_train, y_train)
    binarizer = preprocessing.MultiLabelBinarizer()
    return (metrics.roc_auc_score(binarizer.fit_transform(y_train[:, None]),
                                  classifier.predict_proba(codes_train)),
            metrics.roc_auc_score(binarizer.fit_transform(y_test[:, None]),
                                  classifier.predict_proba(codes_test)))


def noisy_factor_data(seed, num=400):
    rs = np.random.RandomState(seed)
    y = rs.randint(0, 4, num)
    codes = np.stack([y + rs.normal(0, 1.5, num), rs.normal(size=num)], axis=1)
    return codes, y


def test_explicitness_equals_dlib_when_all_classes_present():
    codes_train, y_train = noisy_factor_data(0)
    codes_test, y_test = noisy_factor_data(1)
    ours = me.explicitness_per_factor(codes_train, y_train, codes_test, y_test)
    reference = dlib_explicitness(codes_train, y_train, codes_test, y_test)
    np.testing.assert_allclose(ours, reference, rtol=1e-12)
    assert 0.6 < ours[1] < 0.95


def test_explicitness_with_a_class_missing_from_the_test_split():
    codes_train, y_train = noisy_factor_data(0)
    codes_test, y_test = noisy_factor_data(1)
    keep = y_test != 2
    _, test = me.explicitness_per_factor(codes_train, y_train,
                                         codes_test[keep], y_test[keep])
    classifier = linear_model.LogisticRegression().fit(codes_train, y_train)
    probabilities = classifier.predict_proba(codes_test[keep])
    expected = np.mean([metrics.roc_auc_score(y_test[keep] == c,
                                              probabilities[:, c])
                        for c in (0, 1, 3)])
    assert test == pytest.approx(expected, abs=1e-12)


def test_explicitness_with_a_class_unseen_in_training():
    codes_train, y_train = noisy_factor_data(0)
    codes_test, y_test = noisy_factor_data(1)
    keep = y_train != 3
    train, test = me.explicitness_per_factor(codes_train[keep], y_train[keep],
                                             codes_test, y_test)
    assert 0.5 < train <= 1.0 and 0.4 < test <= 1.0


DATA = IdentityData((3, 4, 5))
SMALL = dict(num_train=1000, num_test=500)


@pytest.fixture(autouse=True)
def empty_cache():
    utils.clear_sampling_cache()


def test_identity_codes_are_modular_and_explicit():
    scores = me.compute_modularity_explicitness(DATA, identity,
                                                np.random.RandomState(0),
                                                **SMALL)
    assert scores["modularity_score"] > 0.99
    assert scores["explicitness_score_train"] > 0.99
    assert scores["explicitness_score_test"] > 0.99


def test_entangled_pair_lowers_modularity():
    def entangled(x):
        codes = identity(x)
        return np.stack([codes[:, 0] + codes[:, 1], codes[:, 0] - codes[:, 1],
                         codes[:, 2]], axis=1)

    # Factors 0 and 1 have equally many values, so each mixed code carries
    # the same MI about both: 1 - m^2 / (m^2 (F - 1)) = 1/2 per mixed code,
    # 1 for code 2, mean 2/3.
    scores = me.compute_modularity_explicitness(
            IdentityData((4, 4, 5)), entangled, np.random.RandomState(0),
            **SMALL)
    assert scores["modularity_score"] == pytest.approx(2 / 3, abs=0.03)


def test_constant_code_is_a_clear_error():
    with_constant = lambda x: np.hstack([identity(x), np.ones((len(x), 1))])
    with pytest.raises(ValueError, match=r"explicitness needs non-constant "
                                         r"codes: codes \[3\] are constant"):
        me.compute_modularity_explicitness(DATA, with_constant,
                                           np.random.RandomState(0), **SMALL)
