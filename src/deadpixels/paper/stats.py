"""Statistics used by the claims and the book: rank correlations, t-tests, fits."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats


def welch_p(b: pd.Series, a: pd.Series) -> float:
    """Two-sided Welch t-test p-value of b vs a (NaN where it is undefined: one run, or no spread)."""
    if min(len(a), len(b)) < 2 or a.std() + b.std() == 0:
        return float("nan")
    return float(stats.ttest_ind(b, a, equal_var=False).pvalue)


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


def r_squared(x: np.ndarray, y: np.ndarray) -> float:
    """R^2 of the least-squares line of y on x."""
    return float(stats.linregress(x, y).rvalue ** 2)


__all__ = ["welch_p", "rank_correlation", "r_squared"]
