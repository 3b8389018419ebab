"""NMI of codes and factors, grouping by factor value, and the figures."""

import numpy as np
from PIL import Image

from tfdisent.visualize import factors, plots


def _factors(num=2000, sizes=(4, 5), seed=0):
    rs = np.random.RandomState(seed)
    return np.stack([rs.randint(n, size=num) for n in sizes], axis=1)


def test_nmi_of_an_identity_code_is_the_identity():
    values = _factors()
    nmi = factors.nmi_matrix(values.astype(np.float64), values, num_bins=20)
    np.testing.assert_allclose(np.diag(nmi), 1.0, atol=1e-9)
    assert nmi[0, 1] < 0.01 and nmi[1, 0] < 0.01


def test_nmi_of_constant_codes_and_constant_factors_is_zero():
    values = _factors()
    nmi = factors.nmi_matrix(np.zeros((len(values), 2)), values)
    np.testing.assert_array_equal(nmi, 0.0)
    with_constant = np.concatenate([values, np.zeros((len(values), 1), np.int64)], axis=1)
    nmi = factors.nmi_matrix(values.astype(np.float64), with_constant)
    assert np.all(np.isfinite(nmi)) and np.all(nmi[:, 2] == 0.0)


def test_nmi_sees_a_code_that_only_halves_a_factor():
    values = _factors(sizes=(4,))
    halves = (values >= 2).astype(np.float64)  # knows 1 of the 2 bits
    np.testing.assert_allclose(factors.nmi_matrix(halves, values), [[0.5]], atol=0.01)


def test_shown_values_and_groups():
    np.testing.assert_array_equal(factors.shown_values(5, 12), np.arange(5))
    np.testing.assert_array_equal(factors.shown_values(40, 5), [0, 10, 20, 29, 39])
    groups = factors.codes_by_value(np.array([1.0, 2.0, 3.0, 4.0]), np.array([0, 1, 0, 3]),
                                    [0, 1, 2, 3])
    assert [v for v, _ in groups] == [0, 1, 3]
    np.testing.assert_array_equal(groups[0][1], [1.0, 3.0])


def _size(path):
    with Image.open(path) as picture:
        return picture.format, picture.size


def test_figures_are_written_at_their_size(tmp_path):
    heatmap = plots.nmi_heatmap(np.eye(3, 2), ["z2", "z0", "z1"], ["a", "b"],
                                str(tmp_path / "f" / "nmi.png"))
    assert _size(heatmap) == ("PNG", (340, 225))  # (1.6 + 0.9 F, 1.2 + 0.35 K) inches
    bars = plots.metric_bars([("mig", 0.2), ("dci.disentanglement", -0.1)],
                             str(tmp_path / "bars.png"))
    assert _size(bars) == ("PNG", (800, 164))
    values = _factors(num=300, sizes=(3, 40))
    code = values[:, 0] + 0.1 * np.random.RandomState(1).randn(300)
    violins = plots.factor_violins(code, values, ["shape", "angle"], [3, 40], "z0",
                                   str(tmp_path / "violins.png"))
    assert _size(violins) == ("PNG", (700, 300))
    codebook = plots.codebook_values(np.array([[-1.0, 0.0, 1.0], [0.5, 0.0, 0.0]]), [3, 1],
                                     np.array([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0]]),
                                     ["z1", "z0"], str(tmp_path / "codebook.png"))
    assert _size(codebook) == ("PNG", (700, 190))
