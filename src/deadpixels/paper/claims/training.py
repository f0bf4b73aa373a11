"""Claims of chapters 4-5 (kernel padding, perturbation tasks).
Each rule is stated in words (shown in the report) and in code (the function below it);
thresholds are named constants."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..models import SHORT
from ..reference import FIG5_R2, TABLE3, TABLE4, TABLE5, TABLE6
from ..results import Result
from ..stats import r_squared, welch_p
from .common import ALPHA
from .engine import NOT, PARTIAL, REPRODUCED, Need, claim

# --- chapter 4 --------------------------------------------------------------------------------


@claim(
    "kp-exact",
    "04_kernel_padding",
    "Zero-padded even kernels compute exactly the same function",
    "same function (by construction)",
    "max |y_KP - y| in float64 < 1e-9 on every model tested",
    (Need("kp_exact", "kp_exact"),),
)
def _kp_exact(r: dict[str, Result]) -> tuple[str, str]:
    t = r["kp_exact"].tables["kp_exact"]
    worst = float(t["max_abs_diff"].max())
    return f"max |diff| = {worst:.1e} over {len(t)} models", REPRODUCED if worst < 1e-9 else NOT


@claim(
    "kp-lowers-l1",
    "04_kernel_padding",
    "Kernel padding lowers the imbalance index L1 (Table 3, Fig. 4)",
    f"L1 R-50 {TABLE3.loc['vanilla', 'R-50']} -> {TABLE3.loc['kp', 'R-50']}; lower for all six models",
    "structural L1 after KP below before for R/W/X-50/101, and trained mean L1 (KP) below vanilla for every trained "
    "architecture: reproduced if both, partially if one",
    (
        Need("census", "census", "model", tuple(SHORT)),
        Need("classification", "runs", "arch", ("resnet50",)),
        Need("classification", "runs", "method", ("vanilla", "kp")),
    ),
    optional=("imbalance_archs",),
)
def _kp_l1(r: dict[str, Result]) -> tuple[str, str]:
    c = r["census"].tables["census"].set_index("model").loc[list(SHORT)]
    structural = bool((c["kp_L1"] < c["L1"]).all())
    runs = trained_runs(r)
    means = runs[runs["method"].isin(["vanilla", "kp"])].pivot_table(index="arch", columns="method", values="L1")
    lower = int((means["kp"] < means["vanilla"]).sum())
    trained = lower == len(means)
    verdict = REPRODUCED if structural and trained else PARTIAL if structural or trained else NOT
    r50 = means.loc["resnet50"]
    return (
        f"structural R-50 {c.loc['resnet50', 'L1']:.3f} -> {c.loc['resnet50', 'kp_L1']:.3f}; trained R-50 "
        f"{r50['vanilla']:.3f} -> {r50['kp']:.3f}; trained: lower in {lower}/{len(means)} architectures",
        verdict,
    )


def trained_runs(r: dict[str, Result]) -> pd.DataFrame:
    """Trained classifiers of 'classification' and, where cached, 'imbalance_archs'."""
    parts = [r[n].tables["runs"] for n in ("classification", "imbalance_archs") if n in r]
    return pd.concat(parts, ignore_index=True)


@claim(
    "kp-smoother",
    "04_kernel_padding",
    "Kernel padding is smoother than Gaussian-noise training and anti-aliasing",
    f"L1 R-50: noise {TABLE3.loc['noise', 'R-50']}, anti-aliasing {TABLE3.loc['blurpool', 'R-50']:.3f}, "
    f"KP {TABLE3.loc['kp', 'R-50']}",
    "trained L1: reproduced if KP below both alternatives, partially if below one",
    (Need("classification", "runs", "method", ("vanilla", "kp", "noise", "blurpool")),),
)
def _kp_smoother(r: dict[str, Result]) -> tuple[str, str]:
    m = r["classification"].tables["runs"].groupby("method")["L1"].mean()
    wins = int(m["kp"] < m["noise"]) + int(m["kp"] < m["blurpool"])
    return (
        f"L1 vanilla {m['vanilla']:.3f}, noise {m['noise']:.3f}, BlurPool {m['blurpool']:.3f}, KP {m['kp']:.3f}",
        [NOT, PARTIAL, REPRODUCED][wins],
    )


@claim(
    "kp-accuracy",
    "04_kernel_padding",
    "Kernel padding costs about 1% accuracy on ordinary classification (Table 4)",
    f"{TABLE4['diff'].max()} to {TABLE4['diff'].min()} points (Caltech-101, 3 runs)",
    "difference of mean test accuracy (KP - vanilla) over seeds: reproduced if in [-3, 0) points; partially if not "
    "significant (Welch p >= 0.05) or below -3; not reproduced if KP is significantly better",
    (Need("classification", "runs", "method", ("vanilla", "kp")),),
)
def _kp_acc(r: dict[str, Result]) -> tuple[str, str]:
    t = r["classification"].tables["runs"]
    a, b = 100 * t[t["method"] == "vanilla"]["test_acc"], 100 * t[t["method"] == "kp"]["test_acc"]
    diff = float(b.mean() - a.mean())
    p = welch_p(b, a)
    if -3 <= diff < 0:
        verdict = REPRODUCED
    elif diff > 0 and p < ALPHA:
        verdict = NOT
    else:
        verdict = PARTIAL
    return f"{diff:+.2f} points (n = {len(a)} vs {len(b)}, Welch p = {p:.2f})", verdict


# --- chapter 5 --------------------------------------------------------------------------------


@claim(
    "theorem1",
    "05_perturbation",
    "Theorem 1: the output change of a one-pixel perturbation tracks R_XY",
    f"R^2 = {FIG5_R2} over 25 pixels (before KP)",
    "R^2 of MD against R_XY over the 25 pixels, vanilla, mean over seeds: reproduced if >= 0.5, partially if >= 0.25",
    (Need("classification", "theorem1", "method", ("vanilla",)),),
)
def _theorem1(r: dict[str, Result]) -> tuple[str, str]:
    t = r["classification"].tables["theorem1"]
    v = t[t["method"] == "vanilla"]
    r2 = float(np.mean([r_squared(g["R"].to_numpy(), g["MD"].to_numpy()) for _, g in v.groupby("seed")]))
    return f"R^2 = {r2:.2f}", REPRODUCED if r2 >= 0.5 else PARTIAL if r2 >= 0.25 else NOT


@claim(
    "table5-std",
    "05_perturbation",
    "After KP, R_XY and MD vary less over neighbouring pixels (Table 5)",
    "std(R_XY) {:.2f} -> {:.2f}, std(MD) {:.3f} -> {:.3f} (R-101)".format(
        *TABLE5.iloc[[0, 3]][["before", "after"]].to_numpy().T.ravel()[[0, 2, 1, 3]]
    ),
    "coefficient of variation (std/mean, scale-free) over the 25 pixels, mean over seeds: reproduced if both drop, "
    "partially if one",
    (Need("classification", "theorem1", "method", ("vanilla", "kp")),),
)
def _table5(r: dict[str, Result]) -> tuple[str, str]:
    t = r["classification"].tables["theorem1"]
    cv = t.groupby(["method", "seed"])[["R", "MD"]].agg(lambda s: s.std() / s.mean()).groupby("method").mean()
    drops = int(cv.loc["kp", "R"] < cv.loc["vanilla", "R"]) + int(cv.loc["kp", "MD"] < cv.loc["vanilla", "MD"])
    return (
        f"CV(R) {cv.loc['vanilla', 'R']:.2f} -> {cv.loc['kp', 'R']:.2f}; CV(MD) {cv.loc['vanilla', 'MD']:.2f} -> "
        f"{cv.loc['kp', 'MD']:.2f}",
        [NOT, PARTIAL, REPRODUCED][drops],
    )


@claim(
    "micro-object",
    "05_perturbation",
    "In the micro-object task KP models learn sooner (Table 6)",
    f"{-TABLE6['diff'].max():.0f}-{-TABLE6['diff'].min():.0f} epochs sooner (e.g. R-101: "
    f"{TABLE6.loc['resnet101', 'before']} -> {TABLE6.loc['resnet101', 'after']})",
    "mean first epoch with test accuracy > 90% (max epochs if never): reproduced if KP is earlier with Welch p < 0.05, "
    "partially if earlier but not significant, not reproduced otherwise",
    (Need("micro_object", "runs", "variant", ("vanilla", "kp")),),
)
def _micro(r: dict[str, Result]) -> tuple[str, str]:
    t = r["micro_object"].tables["runs"]
    a, b = t[t["variant"] == "vanilla"]["first_epoch_90"], t[t["variant"] == "kp"]["first_epoch_90"]
    diff = float(b.mean() - a.mean())
    p = welch_p(b, a)
    verdict = REPRODUCED if diff < 0 and p < ALPHA else PARTIAL if diff < 0 else NOT
    return f"{a.mean():.1f} -> {b.mean():.1f} ({diff:+.1f} epochs, p = {p:.2f})", verdict


@claim(
    "translation",
    "05_perturbation",
    "Kernel padding improves invariance to a 1-pixel translation",
    "stated; measured in the authors' code only",
    "mean |y(I) - y(shifted I)| lower for KP than vanilla (mean over seeds): reproduced if lower, else not",
    (Need("classification", "runs", "method", ("vanilla", "kp")),),
)
def _translation(r: dict[str, Result]) -> tuple[str, str]:
    m = r["classification"].tables["runs"].groupby("method")["translation"].mean()
    return f"{m['vanilla']:.3f} -> {m['kp']:.3f}", REPRODUCED if m["kp"] < m["vanilla"] else NOT
