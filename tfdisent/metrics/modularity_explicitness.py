"""Modularity and explicitness (Ridgeway & Mozer 2018), as disentanglement_lib
computes them.

Modularity: with m [K, F] the discrete MI between histogram-discretised codes
and factors, each code scores 1 - (sum_j m_ij^2 - max_j m_ij^2) /
(max_j m_ij^2 (F - 1)) (0 for a code with no information); the score is the
mean over codes. Explicitness: per factor, a default LogisticRegression on the
z-scored codes (train statistics); the macro ROC-AUC of its class
probabilities against the one-hot labels, averaged over factors, on the
training and the test set.
"""

import numpy as np
from sklearn import linear_model, metrics, preprocessing

from tfdisent.metrics import utils


def modularity(mutual_information):
    """Pure core: modularity score from an MI matrix [K, F]."""
    return float(np.mean(modularity_per_code(mutual_information)))


def modularity_per_code(mutual_information):
    """Each code's modularity [K] (0 for a code with no information)."""
    squared = np.square(np.asarray(mutual_information, np.float64))
    largest = squared.max(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        deviation = (squared.sum(axis=1) - largest) / (
                largest * (squared.shape[1] - 1.0))
    return np.where(largest == 0.0, 0.0, 1.0 - deviation)


def _macro_roc_auc(labels, probabilities, classes):
    """Macro ROC-AUC: the mean one-vs-rest AUC over the classes that are both
    present and absent in `labels` (others have no ROC curve)."""
    binarizer = preprocessing.MultiLabelBinarizer(classes=classes)
    one_hot = binarizer.fit_transform(labels[:, None])
    defined = np.flatnonzero(one_hot.min(axis=0) != one_hot.max(axis=0))
    if not len(defined):
        raise ValueError("explicitness needs at least 2 classes of the factor "
                         "in each split")
    return np.mean([metrics.roc_auc_score(one_hot[:, c], probabilities[:, c])
                    for c in defined])


def explicitness_per_factor(codes_train, y_train, codes_test, y_test):
    """ROC-AUC (train, test) of a LogisticRegression predicting one factor.

    The one-hot targets cover every class seen in either split; a class the
    classifier never saw gets probability 0, and classes absent from a split
    are left out of that split's macro average. When both splits contain
    every class this is exactly disentanglement_lib's computation.
    """
    with utils.sklearn_fitting():
        classifier = linear_model.LogisticRegression().fit(codes_train, y_train)
    classes = np.union1d(y_train, y_test)
    columns = np.searchsorted(classes, classifier.classes_)

    def roc(codes, labels):
        probabilities = np.zeros((len(codes), len(classes)))
        probabilities[:, columns] = classifier.predict_proba(codes)
        return float(_macro_roc_auc(labels, probabilities, classes))

    return roc(codes_train, y_train), roc(codes_test, y_test)


def explicitness(codes_train, factors_train, codes_test, factors_test):
    """Mean explicitness over factors (train, test); codes are z-scored with
    the training statistics."""
    std = np.std(codes_train, axis=0)
    if np.any(std == 0):
        raise ValueError("explicitness needs non-constant codes: codes %s are "
                         "constant" % np.flatnonzero(std == 0).tolist())
    train_norm, mean, std = utils.normalize_data(codes_train)
    test_norm, _, _ = utils.normalize_data(codes_test, mean, std)
    scores = np.array([
            explicitness_per_factor(train_norm, factors_train[:, j], test_norm,
                                    factors_test[:, j])
            for j in range(factors_train.shape[1])])
    return float(np.mean(scores[:, 0])), float(np.mean(scores[:, 1]))


def _compute_modularity_explicitness(codes_train, factors_train, codes_test,
                                     factors_test,
                                     num_bins=utils.DEFAULT_NUM_BINS):
    codes_train, factors_train = utils.check_codes_factors(codes_train,
                                                           factors_train)
    codes_test, factors_test = utils.check_codes_factors(codes_test,
                                                         factors_test)
    mutual_information = utils.discrete_mutual_info(
            utils.histogram_discretize(codes_train, num_bins), factors_train)
    train, test = explicitness(codes_train, factors_train, codes_test,
                               factors_test)
    return {"modularity_score": modularity(mutual_information),
            "explicitness_score_train": train,
            "explicitness_score_test": test}


def compute_modularity_explicitness(ground_truth_data, representation_function,
                                    random_state, *, num_train=10000,
                                    num_test=5000, batch_size=16,
                                    num_bins=utils.DEFAULT_NUM_BINS):
    """Returns {"modularity_score", "explicitness_score_train",
    "explicitness_score_test"}."""
    train, test = utils.train_and_test_codes(
        ground_truth_data, representation_function, num_train, num_test,
        random_state, batch_size)
    return _compute_modularity_explicitness(*train, *test, num_bins=num_bins)
