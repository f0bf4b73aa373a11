"""The metrics a trained ERF is reported with: the paper's (the lattice ratio, with a bootstrap CI
over images; L1 and L2, raw and peak-normalised; the Gaussian fit) and those people already use
elsewhere, computed by their own definitions:

- RepLKNet's *high-contribution area ratio* (``erf/analyze_erf.py`` of DingXiaoH/RepLKNet-pytorch):
  the map is rescaled as ``log10(1 + R) / max``; for each threshold t, the smallest centred square
  of odd side holding more than t of the map's sum, as a share of the map's area. The log makes it
  depend on R's scale: RepLKNet applies it to its sum over images of channel-summed ReLU'd
  gradients; here it is applied to the paper's map R (a mean over images), and says so.
- OpenERF's diagnostics (``openerf.metrics.compute_erf_metrics``, v0.6.1): on the map normalised to
  sum 1, the centre of mass, the argmax, and the radial cumulative mass (the share within each
  radius of the centre ``(H // 2, W // 2)``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .fitting import fit_gaussian, imbalance_indices, lattice_ratio

#: RepLKNet's thresholds and OpenERF's default radii.
AREA_THRESHOLDS = (0.2, 0.3, 0.5, 0.99)
RADII = (5, 10, 20, 30, 40, 60, 80)


def area_ratio(R: np.ndarray, threshold: float) -> tuple[int, float] | None:
    """RepLKNet's high-contribution area: (side, area ratio) of the smallest centred odd square
    whose share of the rescaled map's sum exceeds ``threshold``; None where none below the map's
    half side does (as RepLKNet's loop, which stops at ``h // 2``)."""
    data = np.log10(np.asarray(R, dtype=np.float64) + 1)
    data = data / data.max()
    h, w = data.shape
    total = data.sum()
    for i in range(1, h // 2):
        if data[h // 2 - i : h // 2 + 1 + i, w // 2 - i : w // 2 + 1 + i].sum() / total > threshold:
            return 2 * i + 1, (2 * i + 1) / h * (2 * i + 1) / w
    return None


def openerf_diagnostics(R: np.ndarray, radii: tuple[int, ...] = RADII) -> dict[str, Any]:
    """OpenERF's centre of mass, argmax and radial cumulative mass of the map normalised to sum 1."""
    p = np.asarray(R, dtype=np.float64)
    p = p / p.sum()
    h, w = p.shape
    y, x = np.indices((h, w))
    dist = np.hypot(x - w // 2, y - h // 2)
    peak = np.unravel_index(int(np.argmax(p)), p.shape)
    return {
        "com_yx": [float((y * p).sum()), float((x * p).sum())],
        "argmax_yx": [int(peak[0]), int(peak[1])],
        "center_yx": [h // 2, w // 2],
        "radial_cumulative_mass": {str(r): float(p[dist <= r].sum()) for r in radii},
    }


def lattice_ci(per_image: np.ndarray, n_boot: int = 1000, seed: int = 0) -> tuple[float, float, float]:
    """The lattice ratio of the mean map and its 95% percentile bootstrap CI over images (the
    images resampled with replacement, the mean map recomputed): how much the ratio owes to which
    images were drawn."""
    maps = np.asarray(per_image, dtype=np.float64)
    ratio = lattice_ratio(maps.mean(0))
    n = len(maps)
    if n < 2:
        return ratio, float("nan"), float("nan")
    counts = np.random.default_rng(seed).multinomial(n, np.full(n, 1.0 / n), size=n_boot)  # (B, N) draws
    means = (counts @ maps.reshape(n, -1) / n).reshape(n_boot, *maps.shape[1:])
    boots = np.array([lattice_ratio(m) for m in means])
    lo, hi = np.percentile(boots[np.isfinite(boots)], [2.5, 97.5]) if np.isfinite(boots).any() else (np.inf, np.inf)
    return ratio, float(lo), float(hi)


def trained_metrics(per_image: np.ndarray) -> dict[str, Any]:
    """Every metric of the mean of ``per_image`` maps (N, H, W), as ``check --images`` reports them."""
    maps = np.asarray(per_image, dtype=np.float64)
    R = maps.mean(0)
    if not R.any():
        raise ValueError("the ERF is zero everywhere: no input pixel reaches the target on these images")
    ratio, lo, hi = lattice_ci(maps)
    l1, l2 = imbalance_indices(R, normalise=None)
    n1, n2 = imbalance_indices(R, normalise="max")
    fit = fit_gaussian(R)
    areas = {f"{round(100 * t)}%": area_ratio(R, t) for t in AREA_THRESHOLDS}
    return {
        "n_images": len(maps),
        "shape": list(R.shape),
        "lattice": ratio,
        "lattice_ci95": [lo, hi],
        "L1_raw": l1,
        "L2_raw": l2,
        "L1_peak": n1,
        "L2_peak": n2,
        "gaussian": {"sigma_y": fit.sigma_y, "sigma_x": fit.sigma_x, "r2": fit.r2},
        "area_ratio": {k: None if v is None else {"side": v[0], "ratio": v[1]} for k, v in areas.items()},
        **openerf_diagnostics(R),
    }


__all__ = ["AREA_THRESHOLDS", "RADII", "area_ratio", "openerf_diagnostics", "lattice_ci", "trained_metrics"]
