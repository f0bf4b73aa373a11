"""Measuring an ERF map: Gaussian fit (Eq. 2), imbalance indices (Eq. 3, 4), lattice ratio."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import curve_fit


@dataclass(frozen=True)
class GaussianFit:
    """Parameters of amp / (2 pi sx sy) exp(-(x-xc)^2/(2 sx^2) - (y-yc)^2/(2 sy^2)) fitted to R."""

    sigma_x: float
    sigma_y: float
    center: tuple[float, float]  # (x_c, y_c): column, row
    amplitude: float
    r2: float

    @property
    def sigma(self) -> float:
        """The ERF size the paper compares across models: :func:`mean_sigma` of this fit."""
        return mean_sigma(self)


def mean_sigma(fit: Any) -> Any:
    """The mean of a Gaussian fit's ``sigma_x`` and ``sigma_y``: the one definition of "ERF size".

    Args:
        fit: a :class:`GaussianFit`, or anything indexed by ``"sigma_x"`` and ``"sigma_y"`` (a dict,
            a table row, a whole DataFrame: then a Series).
    """
    if isinstance(fit, GaussianFit):
        return (fit.sigma_x + fit.sigma_y) / 2
    return (fit["sigma_x"] + fit["sigma_y"]) / 2


def _check_map(R: np.ndarray, min_side: int = 2) -> np.ndarray:
    R = np.asarray(R, dtype=np.float64)
    if R.ndim != 2:
        raise ValueError(f"an ERF map must be 2-D (H, W); got shape {R.shape}")
    if min(R.shape) < min_side:
        raise ValueError(f"an ERF map needs at least {min_side} pixels per side; got {R.shape}")
    if not np.all(np.isfinite(R)):
        raise ValueError(f"the ERF map contains {int((~np.isfinite(R)).sum())} NaN or infinite values")
    return R


def _gaussian_2d(
    xy: tuple[np.ndarray, np.ndarray], amp: float, xc: float, yc: float, sx: float, sy: float
) -> np.ndarray:
    x, y = xy
    g = amp * np.exp(-((x - xc) ** 2 / (2 * sx**2) + (y - yc) ** 2 / (2 * sy**2))) / (2 * np.pi * sx * sy)
    return g.ravel()


def fit_gaussian(R: np.ndarray) -> GaussianFit:
    """Least-squares 2-D Gaussian fit (Eq. 2) of R normalised to sum 1, as in the authors' code.

    Args:
        R: a non-negative (H, W) ERF map with positive sum.

    Returns:
        The fitted sigmas, centre and amplitude, and ``r2 = 1 - var(residual) / var(R)``.
    """
    R = _check_map(R, 3)
    total = R.sum()
    if total <= 0:
        raise ValueError("the ERF map is all zero (or negative); nothing to fit")
    Rn = R / total
    if Rn.var() == 0:
        raise ValueError("the ERF map is constant: it has no peak, so a Gaussian fit is undefined")
    h, w = Rn.shape
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    xc0, yc0 = float((x * Rn).sum()), float((y * Rn).sum())
    sx0 = max(float(np.sqrt(((x - xc0) ** 2 * Rn).sum())), 1.0)
    sy0 = max(float(np.sqrt(((y - yc0) ** 2 * Rn).sum())), 1.0)
    p0 = (1.0, xc0, yc0, sx0, sy0)
    bounds = ([0.0, -w, -h, 0.3, 0.3], [np.inf, 2 * w, 2 * h, 10 * w, 10 * h])
    popt, _ = curve_fit(_gaussian_2d, (x, y), Rn.ravel(), p0=p0, bounds=bounds, maxfev=20000)
    at_bound = [name for name, v, hi in zip(("sigma_x", "sigma_y"), popt[3:], bounds[1][3:]) if v >= 0.999 * hi]
    if at_bound:
        raise ValueError(
            f"the Gaussian fit ran to the upper bound of {' and '.join(at_bound)} (10x the map's side): "
            "the map has no peak that a Gaussian describes"
        )
    residual = Rn.ravel() - _gaussian_2d((x, y), *popt)
    r2 = 1.0 - residual.var() / Rn.var() if Rn.var() > 0 else float("nan")
    amp, xc, yc, sx, sy = (float(v) for v in popt)
    return GaussianFit(sx, sy, (xc, yc), amp, float(r2))


def imbalance_indices(R: np.ndarray, normalise: str | None = "max") -> tuple[float, float]:
    """(L1, L2) of Eq. 3 and 4: mean absolute first and second finite differences along both axes.

    For an H x W map the denominators are H(W-1) + (H-1)W and H(W-2) + (H-2)W (= 224*223*2 and
    224*222*2 for the paper's 224 x 224 case).

    Args:
        R: an (H, W) ERF map, at least 3x3.
        normalise: ``"max"`` scales R to a peak of 1 first, so the indices do not depend on the
            gradient's overall scale; ``None`` uses R as is (the authors' code applies it to the raw
            sum of per-image gradients).

    Returns:
        ``(L1, L2)``.
    """
    R = _check_map(R, 3)
    if normalise == "max":
        peak = R.max()
        if peak <= 0:
            raise ValueError("the ERF map is all zero; imbalance is undefined")
        R = R / peak
    elif normalise is not None:
        raise ValueError(f"normalise must be 'max' or None; got {normalise!r}")
    h, w = R.shape
    d1 = np.abs(np.diff(R, 1, axis=1)).sum() + np.abs(np.diff(R, 1, axis=0)).sum()
    d2 = np.abs(np.diff(R, 2, axis=1)).sum() + np.abs(np.diff(R, 2, axis=0)).sum()
    return float(d1 / (h * (w - 1) + (h - 1) * w)), float(d2 / (h * (w - 2) + (h - 2) * w))


def lattice_phase_means(R: np.ndarray, period: int = 2, window: float = 0.5) -> np.ndarray:
    """Mean of R on each phase of the ``period`` x ``period`` stride lattice, within the central
    ``window`` fraction of the map (where the ERF has mass).

    Returns:
        A (period, period) array; entry ``[i, j]`` is the mean over pixels with ``row % period == i``
        and ``col % period == j`` (in map coordinates).
    """
    R = _check_map(R, 2 * period)
    h, w = R.shape
    ch, cw = max(int(h * window) // period * period, period), max(int(w * window) // period * period, period)
    top, left = (h - ch) // 2 // period * period, (w - cw) // 2 // period * period
    crop = R[top : top + ch, left : left + cw]
    return np.array([[crop[i::period, j::period].mean() for j in range(period)] for i in range(period)])


def lattice_ratio(R: np.ndarray, period: int = 2, window: float = 0.5) -> float:
    """Strong/weak pixel ratio on the stride lattice: the largest over the smallest of the
    :func:`lattice_phase_means`. 1.0 means every phase is equally sensitive; a checkerboard gives
    more; ``inf`` means some phase is entirely dead while another is not. An ERF map is
    non-negative (Algorithm 1 takes a ReLU); an all-zero or negative map is refused."""
    if np.any(np.asarray(R) < 0):
        raise ValueError("an ERF map is non-negative (Algorithm 1 applies a ReLU); this map has negative values")
    means = lattice_phase_means(R, period, window)
    if means.max() <= 0:
        raise ValueError("the ERF map is zero in the lattice window: every pixel is dead, so the ratio is undefined")
    if means.min() <= 0:
        return float("inf")
    return float(means.max() / means.min())


__all__ = ["GaussianFit", "mean_sigma", "fit_gaussian", "imbalance_indices", "lattice_phase_means", "lattice_ratio"]
