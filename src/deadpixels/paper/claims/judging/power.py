"""Planned power of the from-scratch rows, registered before their data (issue #40, 2026-12-07).

Each contrast of a from-scratch row has a plan: the number of paired seeds ``n`` it will be judged
on, the standard deviation ``sd`` of its paired contrast measured in the pilot (the committed 3-seed
run of ``classification`` and the 5-seed, 20-epoch run of ``micro_object``, both from commit
31dcb3e), and the paper's mean effect on the same scale. The planned 95% CI half-width is
``t(0.975, n - 1) * sd / sqrt(n)`` (Bonferroni-corrected where the rule corrects). A row can decide
the paper's claim only when that half-width is at most half the paper's mean effect: a CI that wide,
centred on the paper's effect, still excludes no effect, and centred on no effect it still excludes
the paper's effect. A row whose plan fails is registered as "not testable" with the plan in its text,
whatever its data turn out to be: its CI cannot tell the paper's effect from none.

Why the paper's *mean* effect (over its models) and not the smallest one that defines a verdict's
region (:mod:`.regions`): power is planned for the effect the paper reports, the region says what
still counts as it. Where the paper gives no number (translation), the declared effect of its region
is used instead. The pilot's spread rests on 2 to 5 pairs, so a plan is a rough guide: the realised
half-width is reported with every result beside the planned one.

The sd and paper values below were computed by :func:`pilot_plans` from the pilot tables
(``tests/test_power.py`` recomputes them from git); they are a record of what was planned, not results.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as st

from ...lab.reference import FIG5_R2, TABLE3, TABLE4, TABLE5, TABLE6
from .regions import TRANSLATION_RATIO
from .stats import theorem1_fits
from .verdicts import MARGIN

#: The pilot the plans were computed from: the committed cpu-scale results of this commit.
PILOT_COMMIT = "31dcb3ef01834357dea05fe8fa15be6730307e06"
#: The paper's horizon in the micro-object task (epochs).
PAPER_EPOCHS = 50


@dataclass(frozen=True)
class Plan:
    """One contrast's plan: ``n`` pairs, the pilot's ``sd`` and the paper's mean effect ``paper`` (on the
    contrast's scale: log ratio, difference or correlation), at CI level ``level``."""

    contrast: str
    n: int
    sd: float
    paper: float
    level: float = 0.95

    @property
    def half_width(self) -> float:
        return float(st.t.ppf(1 - (1 - self.level) / 2, self.n - 1) * self.sd / np.sqrt(self.n))

    @property
    def powered(self) -> bool:
        return self.half_width <= MARGIN * abs(self.paper)

    def text(self) -> str:
        return (
            f"{self.contrast}: planned half-width {self.half_width:.2f} at n = {self.n} against half the paper's "
            f"mean effect, {MARGIN * abs(self.paper):.2f}"
        )


def _log_mean(ratios: pd.Series | np.ndarray) -> float:
    return float(np.mean(np.log(np.asarray(ratios, dtype=float))))


def _paired_sd(runs: pd.DataFrame, metric: str, a: str = "kp", b: str = "vanilla", log: bool = True) -> float:
    w = runs.pivot_table(index="seed", columns="method", values=metric).dropna(subset=[a, b])
    d = np.log(w[a] / w[b]) if log else w[a] - w[b]
    return float(np.std(d, ddof=1))


def pilot_plans(runs: pd.DataFrame, theorem1: pd.DataFrame, micro: pd.DataFrame, pilot_epochs: int) -> dict:
    """Every from-scratch plan, from the pilot's tables (``classification`` runs and theorem1 tables,
    ``micro_object`` runs at ``pilot_epochs``): ``{claim_id: (Plan, ...)}``. The spread of KP against
    noise and BlurPool cannot be measured from one pilot seed each: KP against vanilla's stands in."""
    paired, comparators, bonferroni = 12, 8, 1 - 0.05 / 2
    fits = theorem1_fits(theorem1)
    vanilla_r = fits[fits["method"] == "vanilla"]
    r = np.sign(vanilla_r["slope"]) * np.sqrt(vanilla_r["r2"])
    lattice = runs[runs["method"] == "vanilla"]["lattice"]
    raw, peak = _paired_sd(runs, "L1_raw"), _paired_sd(runs, "L1")
    table5 = {item: TABLE5[TABLE5["item"] == item] for item in ("std(R_XY)", "std(MD)")}
    diffs = micro.pivot_table(index="seed", columns="variant", values="first_epoch_90")
    micro_sd = float(np.std(diffs["kp"] - diffs["vanilla"], ddof=1)) * PAPER_EPOCHS / pilot_epochs
    return {
        "kp-lattice-scratch": (
            Plan("log lattice ratio KP/vanilla", paired, _paired_sd(runs, "lattice"), -_log_mean(lattice)),
        ),
        "kp-l1-seeds-scratch": (
            Plan("log raw L1 KP/vanilla", paired, raw, _log_mean(TABLE3.loc["kp"] / TABLE3.loc["vanilla"])),
            Plan(
                "log peak-normalised L1 KP/vanilla", paired, peak, _log_mean(TABLE3.loc["kp"] / TABLE3.loc["vanilla"])
            ),
        ),
        "kp-smoother-scratch": tuple(
            Plan(
                f"log {kind} L1 KP/{other}",
                comparators,
                sd,
                _log_mean(TABLE3.loc["kp"] / TABLE3.loc[other]),
                bonferroni,
            )
            for other in ("noise", "blurpool")
            for kind, sd in (("raw", raw), ("peak-normalised", peak))
        ),
        "kp-accuracy-scratch": (
            Plan(
                "accuracy KP - vanilla (points)",
                paired,
                100 * _paired_sd(runs, "test_acc", log=False),
                float(TABLE4["diff"].mean()),
            ),
        ),
        "theorem1-scratch": (Plan("correlation r", paired, float(np.std(r, ddof=1)), float(np.sqrt(FIG5_R2))),),
        "table5-scratch": tuple(
            Plan(f"log CV({name}) KP/vanilla", paired, _paired_sd(fits, metric), _log_mean(t["after"] / t["before"]))
            for name, metric, t in (("R_XY", "cv_R", table5["std(R_XY)"]), ("MD", "cv_MD", table5["std(MD)"]))
        ),
        "translation-scratch": (
            Plan(
                "log translation KP/vanilla (declared effect x0.90)",
                paired,
                _paired_sd(runs, "translation"),
                float(np.log(TRANSLATION_RATIO)),
            ),
        ),
        "micro-object": (Plan("first epoch > 90%, KP - vanilla (epochs)", 16, micro_sd, float(TABLE6["diff"].mean())),),
    }


#: The registered plans (computed by :func:`pilot_plans` from the pilot at :data:`PILOT_COMMIT`,
#: rounded to 4 decimals; tests/test_power.py checks them against a recomputation).
PLANS: dict[str, tuple[Plan, ...]] = {
    "kp-lattice-scratch": (Plan("log lattice ratio KP/vanilla", 12, 0.1089, -0.3854),),
    "kp-l1-seeds-scratch": (
        Plan("log raw L1 KP/vanilla", 12, 0.3491, -0.6998),
        Plan("log peak-normalised L1 KP/vanilla", 12, 0.1387, -0.6998),
    ),
    "kp-smoother-scratch": (
        Plan("log raw L1 KP/noise", 8, 0.3491, -0.4586, 0.975),
        Plan("log peak-normalised L1 KP/noise", 8, 0.1387, -0.4586, 0.975),
        Plan("log raw L1 KP/blurpool", 8, 0.3491, -0.3011, 0.975),
        Plan("log peak-normalised L1 KP/blurpool", 8, 0.1387, -0.3011, 0.975),
    ),
    "kp-accuracy-scratch": (Plan("accuracy KP - vanilla (points)", 12, 6.9476, -1.0333),),
    "theorem1-scratch": (Plan("correlation r", 12, 0.0336, 0.8664),),
    "table5-scratch": (
        Plan("log CV(R_XY) KP/vanilla", 12, 0.2268, -0.7861),
        Plan("log CV(MD) KP/vanilla", 12, 0.2458, -1.1015),
    ),
    "translation-scratch": (Plan("log translation KP/vanilla (declared effect x0.90)", 12, 0.0722, -0.1054),),
    "micro-object": (Plan("first epoch > 90%, KP - vanilla (epochs)", 16, 12.5748, -14.9333),),
}


def unpowered(claim_id: str) -> str | None:
    """Why the row cannot decide the claim at its registered n (its failing plans), or None."""
    failing = [p.text() for p in PLANS.get(claim_id, ()) if not p.powered]
    return "not testable: " + "; ".join(failing) if failing else None


def planned(claim_id: str) -> str:
    """The registered plan in words, for the rule text."""
    return "; ".join(
        f"{p.contrast} planned half-width {p.half_width:.2f} at n = {p.n} (pilot sd {p.sd:.3f})"
        for p in PLANS.get(claim_id, ())
    )


__all__ = ["PILOT_COMMIT", "PAPER_EPOCHS", "Plan", "PLANS", "pilot_plans", "unpowered", "planned"]
