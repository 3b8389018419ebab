"""BetaVAE score (Higgins et al. 2017), as disentanglement_lib computes it.

Each point: pick a factor k, draw two batches of factor vectors that agree on
k, and take the mean absolute code difference over the batch as the feature;
the label is k. A logistic regression predicts k; the score is its accuracy on
the training points and on fresh evaluation points.
"""

import numpy as np
from sklearn import linear_model

from tfdisent.metrics import code_memo, utils


def _pair_draw(ground_truth_data, batch_size):
    """disentanglement_lib's draw of one point: the factor index, then two
    batches of factors agreeing on it (rendered in that order)."""
    def draw(_, random_state):
        index = random_state.randint(ground_truth_data.num_factors)
        factors1 = ground_truth_data.sample_factors(batch_size, random_state)
        factors2 = ground_truth_data.sample_factors(batch_size, random_state)
        factors2[:, index] = factors1[:, index]
        return index, [factors1, factors2]
    return draw


def sample_beta_vae_points(ground_truth_data, representation_function,
                           random_state, batch_size, num_points):
    """Features [num_points, K] (mean |z1 - z2| over a batch) and labels."""
    labels, codes = utils.encode_draws(
            ground_truth_data.sample_observations_from_factors,
            representation_function, random_state,
            _pair_draw(ground_truth_data, batch_size), num_points,
            2 * batch_size,
            memo=code_memo.memo_for(ground_truth_data, representation_function))
    codes = np.stack(codes)  # [P, 2B, K]
    features = np.mean(np.abs(codes[:, :batch_size] - codes[:, batch_size:]),
                       axis=1)
    # disentanglement_lib stores the points in a float64 array (np.zeros), so
    # its logistic regression fits in float64 whatever the codes' dtype: on
    # float32 codes a float32 fit ends elsewhere (0.4788 against 0.4830 eval
    # accuracy on an untrained conv encoder at all.gin's sizes).
    features = features.astype(np.float64)
    return features, np.array(labels, dtype=np.int64)


def beta_vae_accuracies(train_features, train_labels, eval_features,
                        eval_labels):
    """Pure core: fits sklearn's default LogisticRegression (no scaling, no
    tuning, as disentanglement_lib) and returns (train, eval) accuracy."""
    with utils.sklearn_fitting():
        model = linear_model.LogisticRegression().fit(train_features,
                                                      train_labels)
    return (float(np.mean(model.predict(train_features) == train_labels)),
            float(np.mean(model.predict(eval_features) == eval_labels)))


def compute_beta_vae_sklearn(ground_truth_data, representation_function,
                             random_state, *, batch_size=64, num_train=10000,
                             num_eval=5000):
    """BetaVAE score. Returns {"train_accuracy", "eval_accuracy"}."""
    train = sample_beta_vae_points(ground_truth_data, representation_function,
                                   random_state, batch_size, num_train)
    evaluation = sample_beta_vae_points(ground_truth_data,
                                        representation_function, random_state,
                                        batch_size, num_eval)
    train_accuracy, eval_accuracy = beta_vae_accuracies(*train, *evaluation)
    return {"train_accuracy": train_accuracy, "eval_accuracy": eval_accuracy}
