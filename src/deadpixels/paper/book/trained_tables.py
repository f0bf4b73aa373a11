"""The book's tables for the ImageNet-trained EfficientNet-Lite evidence (``erf_trained`` and
``kp_finetune``). Paired contrasts use the same functions as the claims, so the chapters and the
report can never disagree."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..claims.common import final_stage
from ..claims.stats import theorem1_fits
from ..claims.training import paired
from ..lab.efficientnet import ACCURACY_SOURCE
from ..pipeline.results import Result

KIND_LABELS = {"imagenet": "ImageNet-trained", "random_init": "random init (BN calibrated)", "structural": "structural"}
METHODS = ("vanilla", "kp", "noise", "blurpool")


def _ci(value: float, lo: float, hi: float, digits: int = 2) -> str:
    return f"{value:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]" if np.isfinite(lo) else f"{value:.{digits}f}"


def lite_summary(erf_trained: Result) -> pd.DataFrame:
    """One row per Lite model: published accuracy, TRF, final-stage sigma and output lattice ratio by kind."""
    e, fs = erf_trained.tables["erf"], final_stage(erf_trained)
    rows = []
    for m in erf_trained.tables["models"].itertuples():
        row = {
            "model": m.model.replace("efficientnet_", "EfficientNet-").replace("lite", "Lite"),
            "published top-1 (%)": m.top1,
            "stages": int(m.n_stages),
            "TRF at 224 px": int(m.trf),
        }
        for kind in ("imagenet", "random_init", "structural"):
            f = fs[(fs["model"] == m.model) & (fs["kind"] == kind)].iloc[0]
            o = e[(e["model"] == m.model) & (e["kind"] == kind) & (e["target"] == "output")].iloc[0]
            short = {"imagenet": "trained", "random_init": "random", "structural": "structural"}[kind]
            row[f"σ final stage, {short}"] = _ci(f["sigma"], f.get("sigma_lo", np.nan), f.get("sigma_hi", np.nan), 1)
            row[f"lattice output, {short}"] = _ci(
                o["lattice"], o.get("lattice_lo", np.nan), o.get("lattice_hi", np.nan)
            )
        rows.append(row)
    return pd.DataFrame(rows)


def accuracy_source() -> str:
    return ACCURACY_SOURCE


def finetune_methods(kp_finetune: Result) -> pd.DataFrame:
    """Per method, mean ± SD over seeds: test accuracy, L1 (raw sum and peak-normalised), L2, lattice
    ratio and the 1-pixel translation change."""
    runs = kp_finetune.tables["runs"].assign(acc=lambda d: 100 * d["test_acc"])
    cols = {
        "acc": "test accuracy (%)",
        "L1_raw": "L1 raw sum",
        "L1": "L1 peak-norm.",
        "L2_raw": "L2 raw sum",
        "lattice": "lattice ratio",
        "translation": "1-px translation",
    }
    rows = []
    for method in [m for m in METHODS if m in set(runs["method"])]:
        g = runs[runs["method"] == method]
        row = {"method": method, "seeds": len(g)}
        for col, label in cols.items():
            row[label] = f"{g[col].mean():.3g} ± {g[col].std():.2g}"
        rows.append(row)
    return pd.DataFrame(rows)


def finetune_contrasts(kp_finetune: Result) -> pd.DataFrame:
    """Paired contrasts over seeds (the claims' own computation): KP against each other method."""
    runs = kp_finetune.tables["runs"].assign(acc=lambda d: 100 * d["test_acc"])
    specs = [
        ("vanilla", "acc", False, "accuracy difference (points)"),
        ("vanilla", "L1_raw", True, "L1 raw ratio"),
        ("vanilla", "L1", True, "L1 peak-norm. ratio"),
        ("vanilla", "lattice", True, "lattice ratio"),
        ("vanilla", "translation", True, "translation ratio"),
        ("noise", "L1_raw", True, "L1 raw ratio"),
        ("blurpool", "L1_raw", True, "L1 raw ratio"),
        ("noise", "acc", False, "accuracy difference (points)"),
        ("blurpool", "acc", False, "accuracy difference (points)"),
    ]
    rows = []
    for other, metric, log, label in specs:
        if other not in set(runs["method"]):
            continue
        e = paired(runs, metric, b=other, log=log)
        f = np.exp if log else (lambda v: v)
        rows.append(
            {
                "contrast": f"KP vs {other}",
                "quantity": label,
                "effect": f(e.mean),
                "95% CI low": f(e.lo),
                "95% CI high": f(e.hi),
                "p (paired t)": e.p,
                "seeds": e.n,
                "MDE": abs(e.mde) if not log else np.exp(abs(e.mde)),
            }
        )
    return pd.DataFrame(rows)


def theorem1_summary(kp_finetune: Result) -> pd.DataFrame:
    """Per method: mean over seeds of R^2 (MD on R_XY), CV(R_XY) and CV(MD) over the 25 pixels."""
    f = theorem1_fits(kp_finetune.tables["theorem1"])
    out = f.groupby("method")[["r2", "slope", "cv_R", "cv_MD"]].mean()
    return out.rename(columns={"r2": "R² (MD ~ R)", "cv_R": "CV(R_XY)", "cv_MD": "CV(MD)"}).reset_index()


__all__ = ["lite_summary", "final_stage", "finetune_methods", "finetune_contrasts", "theorem1_summary", "KIND_LABELS"]
