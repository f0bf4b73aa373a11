"""Statistics used by the claims and the book: rank correlations, t-tests, fits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats


def rank_correlation(x: Any, y: Any) -> dict[str, float]:
    """Spearman and Kendall rank correlations with p-values."""
    rho, p_rho = stats.spearmanr(x, y)
    tau, p_tau = stats.kendalltau(x, y)
    return {
        "n": len(x),
        "spearman_rho": float(rho),
        "spearman_p": float(p_rho),
        "kendall_tau": float(tau),
        "kendall_p": float(p_tau),
    }


def theorem1_fits(t: pd.DataFrame, by: tuple[str, ...] = ("method", "seed")) -> pd.DataFrame:
    """Theorem 1's fit, the one used by the claims, the tables and the figures: per group of ``by``,
    the least-squares line of MD on R_XY over the measured pixels (``r2``, ``slope``, ``intercept``)
    and the spread of each over the pixels (``std_R``, ``std_MD``, ``cv_R``, ``cv_MD``)."""
    rows = []
    for key, g in t.groupby(list(by)):
        fit = stats.linregress(g["R"], g["MD"])
        rows.append(
            {
                **dict(zip(by, key)),
                "r2": float(fit.rvalue**2),
                "slope": float(fit.slope),
                "intercept": float(fit.intercept),
                "std_R": g["R"].std(),
                "std_MD": g["MD"].std(),
                "cv_R": g["R"].std() / g["R"].mean(),
                "cv_MD": g["MD"].std() / g["MD"].mean(),
            }
        )
    return pd.DataFrame(rows)


def p_text(p: float) -> str:
    """A p-value as the book writes it: "p = 0.034", "p < 0.001" (never "p = 0.000")."""
    if not np.isfinite(p):
        return "p n/a"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


@dataclass(frozen=True)
class Effect:
    """A paired or one-sample effect: mean with a CI at ``level``, the test's p-value (uncorrected:
    the claims table adds Holm's correction), n, and the CI's half-width (the precision of this
    sample; a minimal detectable effect is a power computed before the data, see ``PLANNED_MDE``)."""

    mean: float
    lo: float
    hi: float
    p: float
    n: int
    half_width: float
    level: float = 0.95

    def text(self, unit: str = "", digits: int = 2) -> str:
        f = f"{{:+.{digits}f}}"
        return (
            f"{f.format(self.mean)}{unit} [{100 * self.level:g}% CI {f.format(self.lo)}, {f.format(self.hi)}], "
            f"{p_text(self.p)} (uncorrected), n = {self.n}, CI half-width {abs(self.half_width):.{digits}f}{unit}"
        )


def paired_effect(diffs: Any, level: float = 0.95) -> Effect:
    """t-based mean and CI (95% unless ``level`` says otherwise, e.g. Bonferroni-corrected) of
    paired differences (one per seed), with the paired t-test's p."""
    d = np.asarray(diffs, dtype=float)
    n = len(d)
    if n < 2:
        return Effect(float(d.mean()) if n else np.nan, np.nan, np.nan, np.nan, n, np.nan, level)
    se = d.std(ddof=1) / np.sqrt(n)
    t = stats.t.ppf(1 - (1 - level) / 2, n - 1)
    p = float(stats.ttest_1samp(d, 0.0).pvalue) if se > 0 else (0.0 if d.mean() != 0 else 1.0)
    return Effect(float(d.mean()), float(d.mean() - t * se), float(d.mean() + t * se), p, n, float(t * se), level)


def log_ratio_effect(after: Any, before: Any, level: float = 0.95) -> Effect:
    """Paired effect of log(after / before), per seed: a CI below 0 means 'after' is smaller."""
    return paired_effect(np.log(np.asarray(after, dtype=float)) - np.log(np.asarray(before, dtype=float)), level)


def paired_rank_test(a: Any, b: Any) -> float:
    """Exact two-sided p of a paired permutation test on joint ranks: all times of ``a`` and ``b``
    ranked together (``inf``, "never", ties at the top), then the sum of the within-pair rank
    differences against all 2^n sign flips. Valid with censored times, which only need an order."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    ranks = stats.rankdata(np.concatenate([x, y]))
    d = ranks[: len(x)] - ranks[len(x) :]
    if len(d) == 0 or not d.any():
        return 1.0
    if len(d) > 20:
        raise ValueError(f"an exact test over 2^{len(d)} sign flips is too large; at most 20 pairs")
    signs = np.array(np.meshgrid(*[[-1.0, 1.0]] * len(d))).reshape(len(d), -1)
    sums = np.abs(d @ signs)
    return float(np.mean(sums >= abs(d.sum()) - 1e-12))


def spearman_ci(x: Any, y: Any, n_boot: int = 2000, seed: int = 0) -> tuple[float, float, float, float]:
    """Spearman rho, its p-value and a percentile bootstrap 95% CI over the items."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    rho, p = stats.spearmanr(x, y)
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(n_boot):
        i = rng.integers(0, len(x), len(x))
        if np.ptp(x[i]) > 0 and np.ptp(y[i]) > 0:
            draws.append(stats.spearmanr(x[i], y[i])[0])
    lo, hi = np.percentile(draws, [2.5, 97.5]) if draws else (np.nan, np.nan)
    return float(rho), float(p), float(lo), float(hi)


__all__ = [
    "p_text",
    "rank_correlation",
    "theorem1_fits",
    "Effect",
    "paired_effect",
    "log_ratio_effect",
    "paired_rank_test",
    "spearman_ci",
]
