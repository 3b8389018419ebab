"""The symmetry codebook: expm, the group action, the composite element and
the codebook losses (hand values, ideal vs perturbed codebooks)."""

import numpy as np
import pytest
import scipy.linalg
import tensorflow as tf

from tfdisent.latents import symmetry


def _unit(i, j, dim):
    m = np.zeros((dim, dim), np.float32)
    m[i, j] = 1.0
    return m


def test_expm_matches_scipy_and_inverse_is_expm_of_minus():
    a = np.random.RandomState(0).normal(scale=0.7, size=(5, 4, 4)).astype(np.float32)
    forward, inverse = symmetry.expm_together(a, -a)
    np.testing.assert_allclose(forward.numpy()[2], scipy.linalg.expm(a[2]),
                               rtol=1e-4, atol=1e-5)
    identity = np.broadcast_to(np.eye(4), (5, 4, 4))
    np.testing.assert_allclose(tf.matmul(forward, inverse).numpy(), identity, atol=1e-4)
    np.testing.assert_allclose(tf.matmul(inverse, forward).numpy(), identity, atol=1e-4)


def test_expm_together_keeps_each_input_shape():
    a, b = tf.zeros([2, 3, 4, 4]), tf.zeros([5, 4, 4])
    out_a, out_b = symmetry.expm_together(a, b)
    assert out_a.shape == (2, 3, 4, 4) and out_b.shape == (5, 4, 4)
    np.testing.assert_allclose(out_b.numpy(), np.broadcast_to(np.eye(4), (5, 4, 4)))


def test_overflow_guard_clips_the_norm_and_keeps_the_inverse_exact():
    big = 1000.0 * np.random.RandomState(1).normal(size=(2, 4, 4)).astype(np.float32)
    assert not np.all(np.isfinite(tf.linalg.expm(big).numpy()))
    forward, inverse = symmetry.expm_together(big, -big, max_norm=5.0)
    assert np.all(np.isfinite(forward.numpy()))
    np.testing.assert_allclose(tf.matmul(forward, inverse).numpy(),
                               np.broadcast_to(np.eye(4), (2, 4, 4)), atol=1e-3)
    small = np.full((4, 4), 0.1, np.float32)  # below the bound: untouched
    np.testing.assert_allclose(symmetry.expm(small).numpy(),
                               scipy.linalg.expm(small), rtol=1e-5)


def test_action_is_on_row_vectors():
    z = np.array([[1.0, 2.0]], np.float32)
    g = np.array([[[0.0, 1.0], [3.0, 0.0]]], np.float32)  # z G = [6, 1]
    np.testing.assert_allclose(symmetry.act(z, g).numpy(), [[6.0, 1.0]])


def test_composite_maps_z1_to_z2_with_diagonal_generators():
    rs = np.random.RandomState(2)
    z1 = rs.uniform(0.5, 2.0, size=(1, 3)).astype(np.float32)
    z2 = z1 * np.array([[2.0, 1.0, 0.25]], np.float32)  # section 1 unchanged
    algebra = rs.normal(size=(3, 2, 3, 3)).astype(np.float32)  # junk elsewhere
    for s in (0, 2):
        algebra[s, 1] = np.log(z2[0, s] / z1[0, s]) * _unit(s, s, 3)
    switch = np.array([[1.0, 0.0, 1.0]], np.float32)
    attention = np.zeros((1, 3, 2), np.float32)
    attention[:, :, 1] = 1.0
    a = symmetry.composite_algebra(switch, attention, algebra)
    forward, inverse = symmetry.expm_together(a, -a)
    np.testing.assert_allclose(symmetry.act(z1, forward).numpy(), z2, rtol=1e-5)
    np.testing.assert_allclose(symmetry.act(z2, inverse).numpy(), z1, rtol=1e-5)


def _ideal_codebook(dim=3, elements=4):
    """Element (s, j) scales axis s only, by exp(c_j): diagonal, one axis each."""
    algebra = np.zeros((dim, elements, dim, dim), np.float32)
    for s in range(dim):
        for j in range(elements):
            algebra[s, j] = (0.3 + 0.2 * j) * _unit(s, s, dim)
    return algebra


def _losses(algebra, z, choice):
    d = symmetry.displacements(z, symmetry.expm(algebra))
    return {"sparsity": float(symmetry.sparsity_loss(d)),
            "parallel": float(symmetry.parallel_loss(d)),
            "perpendicular": float(symmetry.perpendicular_loss(d, choice)),
            "commutativity": float(symmetry.commutativity_loss(algebra))}


def test_codebook_losses_vanish_on_an_ideal_codebook_and_not_when_perturbed():
    rs = np.random.RandomState(3)
    z = rs.uniform(0.5, 1.5, size=(6, 3)).astype(np.float32) * rs.choice([-1, 1], (6, 3))
    choice = tf.constant([0, 3, 1])
    ideal = _ideal_codebook()
    for name, value in _losses(ideal, z, choice).items():
        assert abs(value) < 1e-5, (name, value)
    perturbed = ideal + 0.3 * rs.normal(size=ideal.shape).astype(np.float32)
    for name, value in _losses(perturbed, z, choice).items():
        assert value > 1e-2, (name, value)


def test_sparsity_parallel_perpendicular_hand_values():
    # sparsity: one displacement [1, 2] -> (1 + 4 - 4)^2 = 1
    assert float(symmetry.sparsity_loss(tf.constant([[[[1.0, 2.0]]]]))) == 1.0
    # parallel: two orthogonal displacements in one section: 2 x -log(1 + 1e-9)
    # on the diagonal, 2 x -log(1e-9) off it, mean over 4.
    d = tf.constant([[[[1.0, 0.0], [0.0, 1.0]]]])
    assert float(symmetry.parallel_loss(d)) == pytest.approx(-np.log(1e-9) / 2, rel=1e-5)
    # perpendicular: sections [1, 0] and [1, 1]: cos^2 = 1/2 on the 2
    # cross-section entries of the 2 x 2 matrix -> 1/4.
    d = tf.constant([[[[1.0, 0.0]]], [[[1.0, 1.0]]]])
    value = symmetry.perpendicular_loss(d, tf.constant([0, 0]))
    assert float(value) == pytest.approx(0.25, rel=1e-6)


def test_perpendicular_uses_the_chosen_element_of_each_section():
    d = np.zeros((2, 2, 1, 2), np.float32)
    d[0, :, 0] = [1.0, 0.0]
    d[1, 0, 0] = [0.0, 1.0]  # orthogonal to section 0
    d[1, 1, 0] = [1.0, 0.0]  # parallel to section 0
    assert float(symmetry.perpendicular_loss(d, tf.constant([0, 0]))) == 0.0
    assert float(symmetry.perpendicular_loss(d, tf.constant([0, 1]))) == pytest.approx(0.5)


def test_commutativity_zero_for_diagonal_and_hand_value_otherwise():
    diagonal = np.stack([np.diag(v) for v in np.random.RandomState(4).normal(size=(5, 3))])
    assert float(symmetry.commutativity_loss(diagonal.astype(np.float32))) == 0.0
    # [E01, E10] = diag(1, -1): ||.||^2 = 2 for the single pair.
    pair = np.stack([_unit(0, 1, 2), _unit(1, 0, 2)])
    assert float(symmetry.commutativity_loss(pair)) == pytest.approx(2.0)
    # a third, commuting (zero) element: 3 pairs, total 2 -> mean 2/3.
    triple = np.concatenate([pair, np.zeros((1, 2, 2), np.float32)])
    assert float(symmetry.commutativity_loss(triple)) == pytest.approx(2.0 / 3.0)


def test_codebook_shape_and_truncated_init():
    book = symmetry.SymmetryCodebook(4, elements_per_section=16)
    values = book.algebra.numpy()
    assert values.shape == (4, 16, 4, 4)
    assert np.abs(values).max() <= 2.0 and 0.6 < values.std() < 1.0


def official_commutative(group_elements, dim, num_elements):
    """CFASL models/group_action_layer.py, Group_Elements.commutative(div=dim),
    transcribed (torch.matmul -> @, .view/.reshape -> reshape)."""
    loss = 0.0
    basis = group_elements.reshape(-1, dim * num_elements)
    basis_matrix = group_elements @ basis
    basis_matrix = basis_matrix.reshape(-1, dim * num_elements)
    basis_matrix_t = basis_matrix.copy()
    div = dim
    for i in range(num_elements // div):
        for j in range(i + 1, num_elements // div, 1):
            basis_matrix_t[j * dim:(j + 1) * dim, i * dim:(i + 1) * dim] = \
                basis_matrix[i * dim:(i + 1) * dim, j * dim:(j + 1) * dim]
            basis_matrix_t[i * dim:(i + 1) * dim, j * dim:(j + 1) * dim] = \
                basis_matrix[j * dim:(j + 1) * dim, i * dim:(i + 1) * dim]
            difference = (basis_matrix - basis_matrix_t) ** 2
            loss = loss + difference.mean()
    return loss


def official_independent_losses(group_elements, z, idx, sec, sub_sec):
    """CFASL models/group_action_layer.py, Group_Elements.indepdent_loss with
    the perpendicular draw `idx` given (the code: np.random.choice(sec, sec))."""
    dim = z.shape[1]
    symmetries = np.stack([scipy.linalg.expm(g) for g in group_elements])
    difference_mean = z - z @ symmetries
    square = difference_mean.reshape(-1, dim) ** 2
    spars_loss = np.mean((square.sum(-1) - square.max(-1)) ** 2)
    difference_mean = difference_mean.reshape(sec, sub_sec, -1, dim)
    par = difference_mean.reshape(sec, -1, dim)
    par_norm = np.linalg.norm(par, axis=-1, keepdims=True)
    par_norm = par_norm @ par_norm.transpose(0, 2, 1)
    parallel_loss = np.mean(-np.log((par @ par.transpose(0, 2, 1) / par_norm) ** 2 + 1e-9))
    selected = np.concatenate([difference_mean[i, idx[i]] for i in range(sec)], 0)
    norm = np.linalg.norm(selected, axis=-1, keepdims=True)
    cos2 = (selected @ selected.T / (norm @ norm.T)) ** 2
    section = cos2.shape[0] // sec
    mask = np.ones_like(cos2)
    for i in range(sec):
        mask[i * section:(i + 1) * section, i * section:(i + 1) * section] = 0
    return spars_loss, parallel_loss, np.mean(cos2 * mask)


@pytest.mark.parametrize("dim, elements", [(3, 4), (4, 6), (10, 16)])
def test_released_commutativity_matches_the_official_loop(dim, elements):
    algebra = np.random.RandomState(dim).normal(size=(dim, elements, dim, dim)).astype(np.float32)
    expected = official_commutative(algebra.reshape(-1, dim, dim).astype(np.float64),
                                    dim, dim * elements)
    got = float(symmetry.released_commutativity_loss(tf.constant(algebra)))
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_true_commutator_is_far_larger_than_the_released_one_at_init():
    book = symmetry.SymmetryCodebook(10, elements_per_section=16, stddev=1.0)
    true = float(symmetry.commutativity_loss(book.algebra))
    released = float(symmetry.released_commutativity_loss(book.algebra))
    assert 100.0 < true / released < 300.0  # measured ~175 (docs/methods/cfasl.md)


def test_codebook_losses_match_the_official_independent_loss():
    rs = np.random.RandomState(7)
    sec, sub_sec, batch = 3, 4, 5
    algebra = (0.5 * rs.normal(size=(sec, sub_sec, sec, sec))).astype(np.float32)
    z = rs.normal(size=(batch, sec)).astype(np.float32)
    idx = np.array([2, 0, 1])
    sparsity, parallel, perpendicular = official_independent_losses(
        algebra.reshape(-1, sec, sec).astype(np.float64), z.astype(np.float64), idx, sec, sub_sec)
    d = symmetry.displacements(tf.constant(z), symmetry.expm(tf.constant(algebra)))
    np.testing.assert_allclose(float(symmetry.sparsity_loss(d)), sparsity, rtol=1e-4)
    np.testing.assert_allclose(float(symmetry.parallel_loss(d)), parallel, rtol=1e-4)
    np.testing.assert_allclose(float(symmetry.perpendicular_loss(d, tf.constant(idx))),
                               perpendicular, rtol=1e-4)
