import numpy as np
import pytest

from deadpixels import fit_gaussian, imbalance_indices, lattice_ratio


def _gauss(sx, sy, xc=111.5, yc=108.0, n=224):
    y, x = np.mgrid[0:n, 0:n]
    return np.exp(-((x - xc) ** 2 / (2 * sx**2) + (y - yc) ** 2 / (2 * sy**2)))


@pytest.mark.parametrize("sx,sy", [(20.0, 35.0), (64.8, 62.2), (8.0, 8.0)])
def test_gaussian_fit_recovers_sigmas_within_one_percent(sx, sy):
    f = fit_gaussian(3.7 * _gauss(sx, sy))
    assert f.sigma_x == pytest.approx(sx, rel=0.01)
    assert f.sigma_y == pytest.approx(sy, rel=0.01)
    assert f.center == pytest.approx((111.5, 108.0), abs=0.05)
    assert f.r2 > 0.999


def test_gaussian_fit_with_noise_has_lower_r2():
    rng = np.random.default_rng(0)
    R = _gauss(30, 30) + 0.2 * rng.random((224, 224))
    assert fit_gaussian(R).r2 < 0.99


def test_fit_rejects_nan_and_bad_shapes():
    R = _gauss(10, 10)
    R[3, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        fit_gaussian(R)
    with pytest.raises(ValueError, match="2-D"):
        fit_gaussian(np.ones((3, 4, 4)))
    with pytest.raises(ValueError, match="all zero"):
        fit_gaussian(np.zeros((10, 10)))


def test_imbalance_indices_match_equations_3_and_4():
    R = np.array([[0.0, 1.0, 0.0, 1.0], [1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0]])
    l1, l2 = imbalance_indices(R, normalise=None)
    # every first difference is 1: 3*3 horizontal + 2*4 vertical = 17 terms; denominators H(W-1)+(H-1)W
    assert l1 == pytest.approx(17 / (3 * 3 + 2 * 4))
    # second differences are 2 everywhere: 3*2 horizontal + 1*4 vertical terms
    assert l2 == pytest.approx(2.0)
    # the paper's denominators for 224x224
    big = np.zeros((224, 224))
    big[::2, :] = 1.0
    l1, _ = imbalance_indices(big, normalise=None)
    assert l1 == pytest.approx(224 * 223 / (224 * 223 * 2))


def test_imbalance_is_scale_free_with_max_normalisation():
    R = _gauss(20, 20)
    assert imbalance_indices(R) == pytest.approx(imbalance_indices(1000 * R))


def test_lattice_ratio_detects_checkerboards():
    R = _gauss(40, 40)
    assert lattice_ratio(R) == pytest.approx(1.0, abs=0.01)
    C = R.copy()
    C[::2, ::2] *= 2.0
    assert lattice_ratio(C) == pytest.approx(2.0, rel=0.02)
    assert lattice_ratio(np.where(np.indices(R.shape).sum(0) % 2 == 0, R, 0.0)) == float("inf")
