"""The book's tables for the ImageNet-trained EfficientNet-Lite evidence (``erf_trained`` and
``kp_finetune``). Paired contrasts use the same functions as the claims, so the chapters and the
report can never disagree."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..claims.judging.contrasts import LABEL, gate
from ..claims.judging.stats import theorem1_fits
from ..claims.rules.common import final_stage
from ..claims.rules.training import paired
from ..lab.efficientnet import ACCURACY_SOURCE
from ..pipeline.results import Result
from .readings import kp_gate_reading

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
        "erf_sum": "ERF magnitude (sum of R)",
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
            if col in g:
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
        ("vanilla", "erf_sum", True, "ERF magnitude ratio"),
        ("vanilla", "lattice", True, "lattice ratio"),
        ("vanilla", "translation", True, "translation ratio"),
        ("noise", "L1_raw", True, "L1 raw ratio"),
        ("blurpool", "L1_raw", True, "L1 raw ratio"),
        ("noise", "acc", False, "accuracy difference (points)"),
        ("blurpool", "acc", False, "accuracy difference (points)"),
    ]
    rows = []
    for other, metric, log, label in specs:
        if other not in set(runs["method"]) or metric not in runs:
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
                "p (paired t, uncorrected)": e.p,
                "seeds": e.n,
                "CI half-width": abs(e.half_width) if not log else np.exp(abs(e.half_width)),
            }
        )
    return pd.DataFrame(rows)


def padded_entries(kp_finetune: Result) -> pd.DataFrame:
    """How far fine-tuning moved the zero-initialised entries of each padded kernel: the norm of the
    added row and column over the kernel's norm, mean and range over seeds (0 before fine-tuning)."""
    t = kp_finetune.tables.get("padded")
    if t is None or t.empty:
        return pd.DataFrame()
    g = t.groupby("layer", sort=False)["padded_share"]
    return pd.DataFrame(
        {
            "padded layer": list(g.groups),
            "share of the kernel's norm": [f"{m:.3f}" for m in g.mean()],
            "range over seeds": [f"{lo:.3f}-{hi:.3f}" for lo, hi in zip(g.min(), g.max())],
            "seeds": g.size().to_numpy(),
        }
    )


def table2(kp_finetune: Result) -> pd.DataFrame:
    """Paper Table 2 on Lite0: the stage-final ERF's Gaussian fit of the pretrained model and of the
    fine-tuned models (mean ± SD over seeds), per method."""
    before = kp_finetune.tables.get("pretrained")
    runs = kp_finetune.tables["runs"]
    if before is None or "stage_r2" not in runs:
        return pd.DataFrame()
    b = before.iloc[0]
    rows = [
        {
            "model": "pretrained (ImageNet)",
            "seeds": "-",
            "σ_x": f"{b.stage_sigma_x:.1f}",
            "σ_y": f"{b.stage_sigma_y:.1f}",
            "R²": f"{b.stage_r2:.2f}",
        }
    ]
    for method in [m for m in METHODS if m in set(runs["method"])]:
        g = runs[runs["method"] == method]
        rows.append(
            {
                "model": f"fine-tuned, {method}",
                "seeds": len(g),
                "σ_x": f"{g['stage_sigma_x'].mean():.1f} ± {g['stage_sigma_x'].std():.1f}",
                "σ_y": f"{g['stage_sigma_y'].mean():.1f} ± {g['stage_sigma_y'].std():.1f}",
                "R²": f"{g['stage_r2'].mean():.2f} ± {g['stage_r2'].std():.2f}",
            }
        )
    return pd.DataFrame(rows)


def _moved(lo: float, hi: float) -> str:
    return "fell" if hi < 1 else "rose" if lo > 1 else "did not move beyond its CI"


def gpu_reading(kp_finetune: Result | None, verdicts: pd.DataFrame) -> str:
    """Chapter 4's reading of the gpu-scale run, in Markdown: every number and every direction
    word is computed from the result (nothing here is written for one particular outcome)."""
    if kp_finetune is None:
        return "*Nothing to read yet: the gpu scale has not been run.*"
    c = finetune_contrasts(kp_finetune).set_index(["contrast", "quantity"])
    runs = kp_finetune.tables["runs"]
    acc = runs.groupby("method")["test_acc"].mean() * 100
    pilot = kp_finetune.tables["pilot"]
    task = pilot[pilot["task"]].iloc[0]
    v = verdicts.set_index("claim_id")["verdict"]

    def ci(contrast: str, quantity: str) -> str:
        r = c.loc[(contrast, quantity)]
        return f"x{r['effect']:.2f} [{r['95% CI low']:.2f}, {r['95% CI high']:.2f}] (95% CI, {int(r['seeds'])} seeds)"

    raw, mag, norm = (
        c.loc[("KP vs vanilla", q)] for q in ("L1 raw ratio", "ERF magnitude ratio", "L1 peak-norm. ratio")
    )
    share = np.log(mag["effect"]) / np.log(raw["effect"]) if raw["effect"] != 1 else np.nan
    comparators = []
    for other in ("noise", "blurpool"):
        why = gate(runs, (other,))
        comparators.append(
            f"{LABEL[other][0].upper() + LABEL[other][1:]} reached {acc[other]:.1f}% against vanilla's "
            f"{acc['vanilla']:.1f}%, "
            + ("so it fails its gate and cannot serve as a comparator" if why else "within its gate")
            + f" (KP/{LABEL[other]} raw L1 {ci('KP vs ' + other, 'L1 raw ratio')})"
        )
    return (
        f"*Reading.* The pilot kept crops of {task.crop_area_min:g}-{task.crop_area_max:g} of a photograph's area, "
        f"where vanilla reached {100 * task.vanilla_test_acc:.1f}%. KP's raw-sum L1 is "
        f"{ci('KP vs vanilla', 'L1 raw ratio')} of vanilla's; its ERF magnitude is "
        f"{ci('KP vs vanilla', 'ERF magnitude ratio')} (in log, {share:.0%} of the raw index's change), and its "
        f"peak-normalised L1 {_moved(norm['95% CI low'], norm['95% CI high'])} "
        f"({ci('KP vs vanilla', 'L1 peak-norm. ratio')}); the lattice ratio is {ci('KP vs vanilla', 'lattice ratio')}. "
        f"Verdicts: *{v.get('kp-lowers-l1-gpu', '?')}* for L1, *{v.get('kp-lattice-gpu', '?')}* for the checkerboard. "
        f"{kp_gate_reading(kp_finetune)}, so these "
        "verdicts say 'not testable' wherever KP did not take effect. "
        + "; ".join(comparators)
        + f": *{v.get('kp-smoother-gpu', '?')}*."
    )


def theorem1_summary(kp_finetune: Result) -> pd.DataFrame:
    """Per method: mean over seeds of R^2 (MD on R_XY), CV(R_XY) and CV(MD) over the 25 pixels."""
    f = theorem1_fits(kp_finetune.tables["theorem1"])
    out = f.groupby("method")[["r2", "slope", "cv_R", "cv_MD"]].mean()
    return out.rename(columns={"r2": "R² (MD ~ R)", "cv_R": "CV(R_XY)", "cv_MD": "CV(MD)"}).reset_index()


__all__ = [
    "lite_summary",
    "final_stage",
    "finetune_methods",
    "finetune_contrasts",
    "padded_entries",
    "table2",
    "gpu_reading",
    "theorem1_summary",
    "KIND_LABELS",
]
