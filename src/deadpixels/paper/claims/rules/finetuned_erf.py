"""Rules on the fine-tuned EfficientNet-Lite0 (``kp_finetune``) beyond chapter 4's contrasts: paper
Table 2 (the stage-final ERF after fine-tuning), Theorem 1, Table 5 and translation, registered at
both scales as in :mod:`.finetuned` (the same protocol column, gates and KP gate)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ....fitting import mean_sigma
from ...lab.reference import FIG5_R2, TABLE1, TABLE2, TABLE5
from ...pipeline.results import Result
from ..judging.contrasts import GATE_POINTS, contrast, judged, ratio
from ..judging.outcome import Contrast, Outcome
from ..judging.regions import CV_MD_REGION, CV_R_REGION, R_REGION, TRANSLATION_RATIO, TRANSLATION_REGION
from ..judging.stats import paired_effect, theorem1_fits
from ..judging.verdicts import INCONCLUSIVE, NOT, NOT_TESTABLE, REPRODUCED, all_required, bonferroni_level, judge
from .finetuned import KP_GATE, finetune_claim, kp_judged, runs_of

#: The paper's fine-tuned stage-final sigma over its pretrained one (Table 2 / Table 1), per ResNet.
SIGMA_RATIOS = tuple(float(mean_sigma(TABLE2[m]) / mean_sigma(TABLE1[m])) for m in TABLE2)
#: The paper's R^2 after fine-tuning (Table 2), and the lowest pretrained R^2 it reports (Table 1).
PAPER_R2 = tuple(float(TABLE2[m]["r2"]) for m in TABLE2)
MIN_PRETRAINED_R2 = min(float(v["r2"]) for v in TABLE1.values())
#: "Still Gaussian": the fine-tuned R^2 at most this far below the paper's lowest fine-tuned R^2.
R2_MARGIN = 0.1


def within(lo: float, hi: float, low: float, high: float) -> str:
    """A CI against a range the paper reports: inside it, outside it, or neither."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return NOT_TESTABLE
    return REPRODUCED if low <= lo and hi <= high else NOT if hi < low or lo > high else INCONCLUSIVE


@finetune_claim(
    "table2",
    "04_kernel_padding",
    "Table 2",
    "Fine-tuning keeps the stage-final ERF Gaussian, with about the same size (vanilla Lite0)",
    f"sigma x{min(SIGMA_RATIOS):.2f}-{max(SIGMA_RATIOS):.2f} of Table 1, R^2 {min(PAPER_R2):.2f}-{max(PAPER_R2):.2f} "
    "after fine-tuning",
    "two parts, Bonferroni 97.5% CIs, both needed: (size) the fine-tuned vanilla models' stage-final mean sigma "
    f"over the pretrained model's, against the paper's range x{min(SIGMA_RATIOS):.2f}-{max(SIGMA_RATIOS):.2f}: "
    "reproduced if the CI lies inside it, not reproduced if outside, else inconclusive; (Gaussian) the fine-tuned "
    f"R^2, reproduced if the CI lies above {min(PAPER_R2) - R2_MARGIN:.2f} (the paper's lowest minus {R2_MARGIN:g}),"
    f" not reproduced if below; not testable where the pretrained R^2 is below the paper's lowest pretrained "
    f"{MIN_PRETRAINED_R2:.3f} (not Gaussian to begin with); the same ERF (stage-final block, the probe's test "
    "images) before and after",
)
def _table2(r: dict[str, Result]) -> Outcome:
    runs, before = runs_of(r), r["kp_finetune"].tables["pretrained"].iloc[0]
    v = runs[runs["method"] == "vanilla"]
    level = bonferroni_level(2)
    pre_sigma = (before["stage_sigma_x"] + before["stage_sigma_y"]) / 2
    s = paired_effect(np.log((v["stage_sigma_x"] + v["stage_sigma_y"]) / 2 / pre_sigma), level)
    r2 = paired_effect(v["stage_r2"], level)
    size = within(np.exp(s.lo), np.exp(s.hi), min(SIGMA_RATIOS), max(SIGMA_RATIOS))
    gaussian_bar = min(PAPER_R2) - R2_MARGIN
    if before["stage_r2"] < MIN_PRETRAINED_R2:
        gaussian = NOT_TESTABLE
    else:
        gaussian = REPRODUCED if r2.lo >= gaussian_bar else NOT if r2.hi < gaussian_bar else INCONCLUSIVE
    ours = (
        f"sigma x{np.exp(s.mean):.2f} [{np.exp(s.lo):.2f}, {np.exp(s.hi):.2f}] (97.5% CI) of the pretrained "
        f"{pre_sigma:.1f} px; R^2 {r2.mean:.2f} [{r2.lo:.2f}, {r2.hi:.2f}] (pretrained {before['stage_r2']:.2f}"
        + (
            f", below the paper's lowest {MIN_PRETRAINED_R2:.3f}: the Gaussian part is not testable)"
            if gaussian == NOT_TESTABLE
            else ")"
        )
    )
    cs = (
        judged("sigma fine-tuned/pretrained", s, SIGMA_RATIOS),
        Contrast("R^2 fine-tuned", r2.mean, r2.lo, r2.hi, float("nan"), r2.n, PAPER_R2, None, level, False),
    )
    parts = [size, gaussian]
    verdict = NOT if NOT in parts else NOT_TESTABLE if NOT_TESTABLE in parts else all_required(parts)
    return Outcome(ours, verdict, cs, reason="not-gaussian" if verdict == NOT_TESTABLE else "")


@finetune_claim(
    "theorem1",
    "05_perturbation",
    "Fig. 5",
    "Theorem 1: the output change of a one-pixel perturbation tracks R_XY",
    f"R^2 = {FIG5_R2} (r = {np.sqrt(FIG5_R2):.2f}) over 25 pixels, before KP",
    f"fine-tuned vanilla Lite0: the correlation r of MD with R_XY over the 25 pixels (the probe's test images), one "
    f"per seed, t 95% CI of its mean; the paper's region: r >= {R_REGION.lo:.2f} (half its r); planned MDE r 0.25",
)
def _theorem1(r: dict[str, Result]) -> Outcome:
    return theorem1_correlation(r["kp_finetune"].tables["theorem1"])


def theorem1_correlation(theorem1: pd.DataFrame) -> Outcome:
    """Theorem 1 on one experiment's table: vanilla's correlation r of MD with R_XY, one per seed,
    t 95% CI of its mean, against the paper's region."""
    f = theorem1_fits(theorem1)
    v = f[f["method"] == "vanilla"]
    e = paired_effect(np.sign(v["slope"]) * np.sqrt(v["r2"]))
    ours = f"r = {e.mean:.2f} [{e.lo:.2f}, {e.hi:.2f}] (R^2 {v['r2'].mean():.2f}, n = {e.n})"
    cs = (judged("correlation r", e, (float(np.sqrt(FIG5_R2)),), R_REGION, log=False),)
    return Outcome(ours, judge(e.lo, e.hi, R_REGION), cs)


def std_ratios(item: str) -> tuple[float, ...]:
    """The paper's Table 5 after/before std ratios of ``item``."""
    t = TABLE5[TABLE5["item"] == item]
    return tuple(float(v) for v in t["after"] / t["before"])


def table5_paper() -> str:
    """The paper's Table 5 ratios as a range per item, computed from its table."""
    ranges = {k: std_ratios(f"std({k})") for k in ("R_XY", "MD")}
    return "std ratios after/before " + ", ".join(f"x{min(v):.2f}-{max(v):.2f} ({k})" for k, v in ranges.items())


def table5_contrasts(fits: pd.DataFrame, pair: tuple[str, str] = ("kp", "vanilla")) -> tuple[Contrast, ...]:
    """KP/vanilla paired log ratios of CV(R_XY) and CV(MD), with the paper's std ratios."""
    return tuple(
        judged(name, contrast(fits, m, *pair), std_ratios(item), region)
        for name, m, item, region in (
            ("CV(R_XY)", "cv_R", "std(R_XY)", CV_R_REGION),
            ("CV(MD)", "cv_MD", "std(MD)", CV_MD_REGION),
        )
    )


@finetune_claim(
    "table5-std",
    "05_perturbation",
    "Table 5",
    "After KP, R_XY and MD vary less over neighbouring pixels",
    table5_paper(),
    "coefficient of variation over the 25 pixels, KP/vanilla paired log ratios of CV(R_XY) and CV(MD), both "
    "required (the mechanism needs both); the paper's regions: half its smallest effect; gate: KP within "
    f"{GATE_POINTS:g} points of vanilla; {KP_GATE}; planned MDE x0.69 / x0.70",
)
def _table5(r: dict[str, Result]) -> Outcome:
    cs = table5_contrasts(theorem1_fits(r["kp_finetune"].tables["theorem1"]))
    ours = "; ".join(f"{c.name} x{np.exp(c.estimate):.2f} [{np.exp(c.lo):.2f}, {np.exp(c.hi):.2f}]" for c in cs)
    return kp_judged(r, f"{ours} (n = {cs[0].n})", cs, lambda: all_required([judge(c.lo, c.hi, c.region) for c in cs]))


@finetune_claim(
    "translation",
    "05_perturbation",
    "Sec. 5",
    "Kernel padding improves invariance to a 1-pixel translation",
    "stated; no number",
    f"mean |y(I) - y(I shifted by 1 px)|, KP/vanilla paired log ratio; declared region (the paper gives no "
    f"number): x{TRANSLATION_RATIO} or lower; gate: KP within {GATE_POINTS:g} points; {KP_GATE}; planned MDE x0.95",
)
def _translation(r: dict[str, Result]) -> Outcome:
    e = contrast(runs_of(r), "translation", "kp", "vanilla")
    cs = (judged("translation KP/vanilla", e, (), TRANSLATION_REGION),)
    return kp_judged(r, ratio(e), cs, lambda: judge(e.lo, e.hi, TRANSLATION_REGION))


__all__ = [
    "SIGMA_RATIOS",
    "PAPER_R2",
    "MIN_PRETRAINED_R2",
    "R2_MARGIN",
    "within",
    "theorem1_correlation",
    "std_ratios",
    "table5_contrasts",
]
