"""Structure losses, KD, the variant weights and the layer pairing."""

import numpy as np
import pytest
import tensorflow as tf
from scipy.spatial.distance import cdist

from tfdisent.distill import structures
from tfdisent.distill.objective import (ClassificationLosses, FSDObjective, GaussianCodeLosses,
                                        layerwise_pairs)


def test_as_tokens_and_flatten():
    feature_map = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    tokens = structures.as_tokens(feature_map)
    assert tokens.shape == (2, 12, 5)
    np.testing.assert_array_equal(tokens[1, 5], feature_map[1, 1, 1])
    assert structures.as_tokens(np.ones((2, 7))).shape == (2, 1, 7)

    # The actual batch size, also under a tf.function with an unknown batch.
    flatten = tf.function(structures.flatten_examples,
                          input_signature=[tf.TensorSpec([None, 3, 4], tf.float32)])
    assert flatten(np.ones((5, 3, 4), np.float32)).shape == (5, 12)


def test_pairwise_distance_and_cosine():
    rng = np.random.RandomState(0)
    a, b = rng.randn(4, 6).astype(np.float32), rng.randn(3, 6).astype(np.float32)
    np.testing.assert_allclose(structures.pairwise_distance(a, b),
                               np.sqrt(cdist(a, b) ** 2 + 1e-8), rtol=1e-4)
    np.testing.assert_allclose(structures.cosine_similarity(a, b),
                               1.0 - cdist(a, b, "cosine"), atol=1e-5)
    # Self-distances: sqrt(1e-8 + float32 round-off of ‖a‖² + ‖a‖² − 2‖a‖²), clamped ≥ 0.
    assert 1e-4 <= float(tf.reduce_max(tf.linalg.diag_part(structures.pairwise_distance(a, a)))) < 1e-2


def test_local_loss_is_zero_for_scaled_copies():
    rng = np.random.RandomState(1)
    teacher = rng.randn(6, 4, 8).astype(np.float32)
    assert abs(float(structures.local_inter_feature_loss(teacher, 3.0 * teacher))) < 1e-5
    assert abs(float(structures.intra_feature_loss(teacher, -teacher))) < 1e-5
    other = rng.randn(6, 4, 8).astype(np.float32)
    assert float(structures.local_inter_feature_loss(teacher, other)) > 0.1


def test_kd_known_answer():
    teacher = np.array([[0.0, np.log(3.0)]], np.float32)  # softmax = (1/4, 3/4)
    student = np.array([[0.0, 0.0]], np.float32)          # softmax = (1/2, 1/2)
    kl = 0.25 * np.log(0.5) + 0.75 * np.log(1.5)
    assert float(ClassificationLosses(1.0).kd(teacher, student)) == pytest.approx(kl, rel=1e-5)
    # T² · KL at temperature T.
    p = np.exp(teacher[0] / 2) / np.exp(teacher[0] / 2).sum()
    kl_t = np.sum(p * np.log(p / 0.5))
    assert float(ClassificationLosses(2.0).kd(teacher, student)) == pytest.approx(4 * kl_t, rel=1e-5)
    assert float(ClassificationLosses(5.0).kd(teacher, teacher)) == pytest.approx(0.0, abs=1e-6)


def test_gaussian_code_losses():
    zeros = np.zeros((2, 3), np.float32)
    code = {"mean": zeros, "logvar": zeros}
    shifted = {"mean": zeros + 1, "logvar": zeros}
    losses = GaussianCodeLosses()
    assert float(losses.kd(code, code)) == pytest.approx(0.0, abs=1e-7)
    # KL(N(0,1) ‖ N(1,1)) = 1/2 per dimension; KL(N(0,1) ‖ N(0,e²)) = (2 + e⁻² − 1)/2.
    assert float(losses.kd(code, shifted)) == pytest.approx(1.5)
    wide = {"mean": zeros, "logvar": zeros + 2}
    assert float(losses.kd(code, wide)) == pytest.approx(3 * 0.5 * (2 + np.exp(-2) - 1), rel=1e-5)
    assert float(losses.task({"mean": zeros + 2}, None, code)) == pytest.approx(12.0)
    assert float(losses.kd({"mean": zeros}, {"mean": zeros + 1})) == 0.0  # deterministic


def _terms_objective(variant, **kwargs):
    objective = FSDObjective(variant=variant, **kwargs)
    terms = {"intra": 1.0, "local": 2.0, "global": 4.0}
    return objective._structure_loss({k: terms[k] for k in
                                      [n for s, n in zip("ILG", terms) if s in variant]})


def test_variant_weights():
    assert _terms_objective("none") == 0.0
    assert _terms_objective("I", beta=30.0) == pytest.approx(30.0)
    assert _terms_objective("G", beta=30.0) == pytest.approx(120.0)
    # ε·[σ·L_G + (1−σ)·½·(γ_I·L_I + (1−γ_I)·L_L)]
    assert _terms_objective("ILG", sigma=0.5, gamma_intra=0.5, epsilon=0.1) == pytest.approx(
            0.1 * (0.5 * 4.0 + 0.5 * 0.5 * (0.5 * 1.0 + 0.5 * 2.0)))
    assert _terms_objective("IL", sigma=0.9, gamma_intra=0.5, epsilon=0.1) == pytest.approx(
            0.1 * 0.5 * 1.5)  # IL forces σ = 0


def test_layer_pairing():
    assert layerwise_pairs(12, 6) == ((2, 1), (4, 2), (6, 3), (8, 4), (10, 5))
    teacher_hidden = [np.zeros((2, 5, 8))] * 13
    student_hidden = [np.zeros((2, 5, 4))] * 7
    pairs = FSDObjective(variant="ILG").check(teacher_hidden, student_hidden)
    assert pairs == {"I": [(11, 5)], "L": [(11, 5)], "G": (11, 5)}
    assert FSDObjective(variant="L").check(teacher_hidden, student_hidden)["L"] == [(12, 6)]
    for variant in ("I", "L", "ILG"):  # --do_layerwise: intra and local pairs alike
        layerwise = FSDObjective(variant=variant, layerwise=True).check(teacher_hidden,
                                                                         student_hidden)
        assert layerwise["I"] == layerwise["L"] == [(2, 1), (4, 2), (6, 3), (8, 4), (10, 5)]
        assert layerwise["G"] == (11, 5)
    with pytest.raises(ValueError, match="layer index 13 is out of range for the teacher"):
        FSDObjective(variant="I", intra_pairs=[(13, 5)]).check(teacher_hidden, student_hidden)
    with pytest.raises(ValueError, match="same tokens/positions"):
        FSDObjective(variant="I").check(teacher_hidden, [np.zeros((2, 4, 4))] * 7)
    with pytest.raises(ValueError, match="unknown FSD variant"):
        FSDObjective(variant="IG2")


def test_objective_terms_and_gradients():
    rng = np.random.RandomState(2)
    hidden = [tf.constant(rng.randn(4, 3, 5).astype(np.float32)) for _ in range(3)]
    student_hidden = [tf.Variable(h * 2.0 + 0.1 * rng.randn(4, 3, 5).astype(np.float32))
                      for h in hidden]
    logits = tf.constant(rng.randn(4, 2).astype(np.float32))
    student_logits = tf.Variable(rng.randn(4, 2).astype(np.float32))
    objective = FSDObjective(variant="IL")
    with tf.GradientTape() as tape:
        terms = objective({"outputs": logits, "hidden_states": hidden},
                          {"outputs": student_logits, "hidden_states": student_hidden},
                          labels=np.array([0, 1, 1, 0]))
    assert set(terms) == {"loss", "task", "kd", "intra", "local"}
    expected = (0.5 * terms["task"] + 0.5 * terms["kd"]
                + 0.1 * 0.5 * (0.5 * terms["intra"] + 0.5 * terms["local"]))
    assert float(terms["loss"]) == pytest.approx(float(expected), rel=1e-6)
    gradients = tape.gradient(terms["loss"], [student_logits] + student_hidden)
    assert gradients[0] is not None and gradients[2] is not None  # (-2, -2) = index 1
    assert gradients[1] is None and gradients[3] is None


def test_intra_mask_option():
    rng = np.random.RandomState(3)
    hidden = [rng.randn(2, 6, 4).astype(np.float32) for _ in range(2)]
    student_hidden = [rng.randn(2, 6, 3).astype(np.float32) for _ in range(2)]
    mask = np.array([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 0]])
    logits = np.zeros((2, 2), np.float32)
    teacher = {"outputs": logits, "hidden_states": hidden}
    student = {"outputs": logits, "hidden_states": student_hidden}
    masked = FSDObjective(variant="I", intra_mask=True)(teacher, student, [0, 1], mask=mask)
    parity = FSDObjective(variant="I")(teacher, student, [0, 1], mask=mask)
    expected = structures.intra_feature_loss(hidden[0], student_hidden[0], mask)
    assert float(masked["intra"]) == pytest.approx(float(expected), rel=1e-6)
    assert float(parity["intra"]) == pytest.approx(
            float(structures.intra_feature_loss(hidden[0], student_hidden[0])), rel=1e-6)
    assert float(masked["intra"]) != pytest.approx(float(parity["intra"]), rel=1e-3)


# -- ports of the official code (maroo-sky/FSD) --------------------------------
def official_centering(K):
    """metrics/LayerWiseMetrics.py, centering."""
    n = K.shape[-1]
    H = np.eye(n) - np.ones((n, n)) / n
    return H @ K @ H


def official_linear_HSIC(X, Y):
    """metrics/LayerWiseMetrics.py, linear_HSIC (both branches)."""
    L_X = X @ np.swapaxes(X, -2, -1)
    L_Y = Y @ np.swapaxes(Y, -2, -1)
    if X.ndim >= 3 and Y.ndim >= 3:
        return np.sum(np.sum(official_centering(L_X) * official_centering(L_Y), -1), -1)
    return np.trace(official_centering(L_X) @ official_centering(L_Y)) / (X.shape[-2] ** 2 - 1)


def official_linear_CKA_loss(X, Y):
    """metrics/LayerWiseMetrics.py, linear_CKA_loss."""
    hsic = official_linear_HSIC(X, Y)
    var1 = np.sqrt(official_linear_HSIC(X, X))
    var2 = np.sqrt(official_linear_HSIC(Y, Y))
    return -np.log(np.mean(np.abs(hsic / (var1 * var2))) + 1e-8)


def official_layerwise_terms(teacher_hidden, student_hidden):
    """glue_with_cka_{i,l,ilg}.py with --do_layerwise: feature maps
    teacher_outputs[2][2 (i + 1)] / student_outputs[2][i + 1], i < 5, then
    CKA_mixed_loss.forward (ILG; CKA_loss with --internal for I, without for
    L): (mean intra, mean flattened) over the five pairs."""
    batch = teacher_hidden[0].shape[0]
    inter, exter = 0.0, 0.0
    for i in range(5):
        t, st = teacher_hidden[2 * (i + 1)], student_hidden[i + 1]
        inter += official_linear_CKA_loss(t, st)
        exter += official_linear_CKA_loss(t.reshape(batch, -1), st.reshape(batch, -1))
    return inter / 5, exter / 5


def official_global_loss(teacher_feature, student_feature, teacher_memory, student_memory,
                         beta):
    """glue_with_cka_ilg.py (train loop) with model/memory.py, Student_Memory.forward:
    beta·MSE(dist) + (1 − beta)·MSE(cos) + linear_CKA_loss(student_memory, teacher_memory)."""
    def normalize(x):
        return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)
    tea_dist = cdist(teacher_feature, teacher_memory)
    tea_cos = normalize(teacher_feature) @ normalize(teacher_memory).T
    stu_dist = cdist(student_feature, student_memory)
    stu_cos = normalize(student_feature) @ normalize(student_memory).T
    return (beta * np.mean((stu_dist - tea_dist) ** 2)
            + (1 - beta) * np.mean((stu_cos - tea_cos) ** 2)
            + official_linear_CKA_loss(student_memory, teacher_memory))


@pytest.mark.parametrize("variant", ["I", "L", "ILG"])
def test_layerwise_terms_match_the_official_scripts(variant):
    rng = np.random.RandomState(4)
    teacher_hidden = [rng.randn(4, 3, 8) for _ in range(13)]
    student_hidden = [0.5 * teacher_hidden[2 * k][..., :6] + rng.randn(4, 3, 6) for k in range(7)]
    memory = (rng.randn(5, 24), rng.randn(5, 18))
    objective = FSDObjective(variant=variant, layerwise=True)
    terms = objective({"outputs": np.zeros((4, 2), np.float32),
                       "hidden_states": [tf.constant(h, tf.float32) for h in teacher_hidden]},
                      {"outputs": np.zeros((4, 2), np.float32),
                       "hidden_states": [tf.constant(h, tf.float32) for h in student_hidden]},
                      labels=[0, 1, 0, 1],
                      memory=[tf.constant(m, tf.float32) for m in memory])
    intra, local = official_layerwise_terms(teacher_hidden, student_hidden)
    if "I" in variant:
        np.testing.assert_allclose(float(terms["intra"]), intra, rtol=1e-4)
    if "L" in variant:
        np.testing.assert_allclose(float(terms["local"]), local, rtol=1e-4)
    if "G" in variant:
        expected = official_global_loss(teacher_hidden[11].reshape(4, -1),
                                        student_hidden[5].reshape(4, -1), *memory, beta=0.5)
        np.testing.assert_allclose(float(terms["global"]), expected, rtol=1e-4)
    assert abs(intra - local) > 1e-2  # the two terms are told apart


def test_global_loss_matches_the_official_formula():
    rng = np.random.RandomState(5)
    teacher, student = rng.randn(6, 10), rng.randn(6, 7)
    teacher_memory, student_memory = rng.randn(4, 10), rng.randn(4, 7)
    for gamma in (0.0, 0.3, 1.0):
        got = structures.global_inter_feature_loss(
            *(tf.constant(a, tf.float32) for a in (teacher, student, teacher_memory,
                                                    student_memory)), gamma=gamma)
        np.testing.assert_allclose(float(got), official_global_loss(
            teacher, student, teacher_memory, student_memory, gamma), rtol=1e-4)
