"""Claims of chapters 1-3 (receptive-field size, ERF saturation, dead pixels), each stated in words
(shown in the report) and in code (the function below it), thresholds as named constants. Claims about
trained networks read the ImageNet-trained EfficientNet-Lite; random and structural ERFs are context."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ....fitting import mean_sigma
from ....kernel_padding import window_coverage
from ...lab.reference import PAPER_TRF, TABLE1
from ...pipeline.results import Result
from ..judging.engine import INCONCLUSIVE, NOT, NOT_TESTABLE, REPRODUCED, Need, claim
from ..judging.outcome import Contrast, Outcome
from ..judging.stats import spearman_ci
from ..judging.verdicts import bonferroni_level, separate_parts
from .common import NINE, final_stage, lite_depth, paper_sigma, weighted_erf

#: Widening of a stored 95% bootstrap interval to a Bonferroni interval over three models (normal
#: approximation: each side's distance from the estimate times z(1 - 0.05/6) / z(0.975) = 1.221).
BONFERRONI_3 = float(stats.norm.ppf(1 - (1 - bonferroni_level(3)) / 2) / stats.norm.ppf(0.975))

#: A lattice ratio above this is a checkerboard (strong phase 10% above the weak one).
LATTICE_MIN = 1.1
#: The structural ERF after kernel padding counts as flat below this lattice ratio.
LATTICE_FLAT = 1.02
TRAINED_LITE = ("efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2")


def _counterexamples(size: pd.Series, acc: pd.Series, labels: pd.Series) -> list[str]:
    """Pairs (a, b) with size[a] > size[b] but acc[a] < acc[b]."""
    s, a, lab = size.to_numpy(), acc.to_numpy(), labels.to_numpy()
    return [f"{lab[i]} vs {lab[j]}" for i in range(len(s)) for j in range(len(s)) if s[i] > s[j] and a[i] < a[j]]


# --- chapter 1 ---------------------------------------------------------------------------------


@claim(
    "trf-table1",
    "01_rf_vs_accuracy",
    "Table 1",
    "Theoretical RF of the nine ImageNet ResNets",
    ", ".join(str(PAPER_TRF[m]) for m in NINE) + " px",
    "exact",
    "reproduced if all nine are equal, else not reproduced",
    (Need("trf", "resnets", "model", NINE),),
)
def _trf_table1(r: dict[str, Result]) -> tuple[str, str]:
    t = r["trf"].tables["resnets"]
    equal = int((t["trf"] == t["paper_trf"]).sum())
    return f"{equal}/{len(t)} equal: " + ", ".join(str(v) for v in t["trf"]), REPRODUCED if equal == 9 else NOT


@claim(
    "acc5-table1",
    "01_rf_vs_accuracy",
    "Table 1",
    "ImageNet Acc@5 of the nine ResNets (torchvision V1 weights)",
    f"{min(v['acc5'] for v in TABLE1.values())} ... {max(v['acc5'] for v in TABLE1.values())} %",
    "exact",
    "reproduced if all nine torchvision metadata values equal the paper's within 0.001",
    (Need("trf", "resnets", "model", NINE),),
)
def _acc5(r: dict[str, Result]) -> tuple[str, str]:
    t = r["trf"].tables["resnets"]
    ok = sum(abs(row.acc5 - TABLE1[row.model]["acc5"]) < 1e-3 for row in t.itertuples())
    return f"{ok}/{len(t)} equal", REPRODUCED if ok == 9 else NOT


@claim(
    "trf-not-accuracy",
    "01_rf_vs_accuracy",
    "Table 1",
    "A larger TRF does not mean higher accuracy (nine ResNets)",
    f"W-50-2 and R-152 equally accurate at TRF {PAPER_TRF['wide_resnet50_2']} vs {PAPER_TRF['resnet152']}; "
    f"R-34 ({PAPER_TRF['resnet34']}) below R-50 ({PAPER_TRF['resnet50']})",
    "exact",
    "the paper's argument: reproduced if some pair has the larger TRF but the lower Acc@5, else not reproduced; "
    "Spearman rho with a bootstrap 95% CI is reported as context",
    (Need("trf", "resnets", "model", NINE),),
)
def _trf_acc(r: dict[str, Result]) -> tuple[str, str]:
    t = r["trf"].tables["resnets"]
    pairs = _counterexamples(t["trf"], t["acc5"], t["label"])
    rho, _, lo, hi = spearman_ci(t["trf"], t["acc5"])
    return (
        f"{len(pairs)} counterexample pairs (e.g. {pairs[0] if pairs else '-'}); Spearman rho = {rho:.2f} "
        f"[{lo:.2f}, {hi:.2f}]",
        REPRODUCED if pairs else NOT,
    )


@claim(
    "trf-not-accuracy-zoo",
    "01_rf_vs_accuracy",
    "extension",
    "Beyond the paper: across every torchvision CNN with a finite TRF, TRF does not rank accuracy",
    "not studied",
    "extension",
    "Spearman rho of TRF and Acc@1 with a bootstrap 95% CI: reproduced if the CI lies below 0.3, not "
    "reproduced if its lower bound exceeds 0, else inconclusive",
    (Need("census", "census"),),
)
def _trf_acc_zoo(r: dict[str, Result]) -> tuple[str, str]:
    c = r["census"].tables["census"].dropna(subset=["trf", "acc1"])
    rho, _, lo, hi = spearman_ci(c["trf"], c["acc1"])
    verdict = NOT if lo > 0 else REPRODUCED if hi < 0.3 else INCONCLUSIVE
    return f"Spearman rho = {rho:.2f} [95% CI {lo:.2f}, {hi:.2f}], n = {len(c)}", verdict


@claim(
    "erf-not-accuracy",
    "01_rf_vs_accuracy",
    "Table 1",
    "A larger ERF does not mean higher accuracy either (trained networks)",
    f"R-34 has the largest ERF (sigma ~{TABLE1['resnet34']['sigma_x']:.0f}) but low accuracy",
    "trained proxy",
    "trained EfficientNet-Lite0/1/2, final-stage ERF sigma against the published top-1, every pair: reproduced if a "
    "pair has the larger sigma but the lower accuracy with non-overlapping bootstrap CIs (a counterexample); not "
    "reproduced if every pair is ordered alike with non-overlapping CIs (here the ERF ranks accuracy); otherwise "
    "inconclusive (the paper's own pair, ResNet-34, needs weights that cannot be downloaded here)",
    (Need("erf_trained", "erf", "model", TRAINED_LITE),),
    command="python -m deadpixels run erf_trained",
)
def _erf_acc(r: dict[str, Result]) -> Outcome:
    d = _final_stage(r["erf_trained"], "imagenet")
    pairs = [(a, b) for a in d.itertuples() for b in d.itertuples() if a.top1 < b.top1]  # b the more accurate
    robust = [f"{a.model} vs {b.model}" for a, b in pairs if a.sigma_lo > b.sigma_hi]
    text = ", ".join(
        f"{m.model[-5:]}: sigma {m.sigma:.1f} [{m.sigma_lo:.1f}, {m.sigma_hi:.1f}], top-1 {m.top1}"
        for m in d.itertuples()
    )
    if robust:
        return Outcome(f"{text}; robust counterexample: {robust[0]}", REPRODUCED)
    apart = all(a.sigma_hi < b.sigma_lo for a, b in pairs)  # every more accurate model has the larger ERF
    if apart:
        return Outcome(f"{text}; every pair ordered alike, CIs apart: the ERF ranks accuracy here", NOT)
    return Outcome(f"{text}; no counterexample, and not every pair is ordered apart", INCONCLUSIVE)


def _final_stage(res: Result, kind: str) -> pd.DataFrame:
    """:func:`~.common.final_stage` of one ERF kind, indexed by model."""
    d = final_stage(res)
    return d[d["kind"] == kind].set_index("model", drop=False)


# --- chapter 2 ---------------------------------------------------------------------------------


@claim(
    "erf-saturation",
    "02_erf_saturation",
    "Table 1",
    "ERF size saturates with depth: it grows far less than the TRF (and than sqrt(depth), Luo et al. 2016)",
    f"sigma ratio R-152/R-50 = {paper_sigma('resnet152') / paper_sigma('resnet50'):.2f} while the TRF grows "
    f"{PAPER_TRF['resnet152'] / PAPER_TRF['resnet50']:.1f}x",
    "trained proxy",
    "trained Lite0 -> Lite2 at 224 px, final stage: sigma ratio with a conservative CI [lo2/hi0, hi2/lo0] against "
    "sqrt(depth ratio), Luo's growth, the claim's null: reproduced if the CI lies below it; not reproduced if it "
    "lies above it, or holds it but excludes the paper's own R-152/R-50 ratio (a tight null); inconclusive only "
    "where it holds both",
    (Need("erf_trained", "erf", "model", ("efficientnet_lite0", "efficientnet_lite2")),),
    command="python -m deadpixels run erf_trained",
)
def _saturation(r: dict[str, Result]) -> Outcome:
    d = _final_stage(r["erf_trained"], "imagenet")
    a, b = d.loc["efficientnet_lite0"], d.loc["efficientnet_lite2"]
    ratio, lo, hi = b.sigma / a.sigma, b.sigma_lo / a.sigma_hi, b.sigma_hi / a.sigma_lo
    depth = np.sqrt(lite_depth("efficientnet_lite2") / lite_depth("efficientnet_lite0"))
    paper = paper_sigma("resnet152") / paper_sigma("resnet50")
    verdict = REPRODUCED if hi < depth else NOT if lo > depth or not lo <= paper <= hi else INCONCLUSIVE
    grows = "the ERF grows (CI above 1)" if lo > 1 else "no growth shown (CI holds 1)" if hi >= 1 else "it shrinks"
    logs = (float(np.log(v)) for v in (ratio, lo, hi))
    c = Contrast("sigma Lite2/Lite0", *logs, float("nan"), 2, (float(np.log(paper)),))  # type: ignore[misc]
    text = f"sigma Lite2/Lite0 = {ratio:.2f} [{lo:.2f}, {hi:.2f}]: {grows}; TRF ratio {b.trf / a.trf:.2f}"
    return Outcome(f"{text}; sqrt(depth) {depth:.2f}", verdict, (c,))


@claim(
    "erf-saturation-resnets",
    "02_erf_saturation",
    "Table 1",
    "The same on the paper's ResNets (R-50 -> R-152), measured without trained weights",
    f"sigma ratio R-152/R-50 = {paper_sigma('resnet152') / paper_sigma('resnet50'):.2f}",
    "untrained proxy",
    "random-weight and structural ERFs cannot test a claim about trained ResNets: always 'not testable at this "
    "scale'; the ratios are shown as context",
    (Need("erf_resnets", "erf", "model", ("resnet50", "resnet152")),),
)
def _saturation_resnets(r: dict[str, Result]) -> Outcome:
    e = r["erf_resnets"].tables["erf"]
    s = e[e["target"] == "layer4"].assign(sigma=mean_sigma).pivot_table(index="model", columns="kind", values="sigma")
    parts = [f"{k} {s.loc['resnet152', k] / s.loc['resnet50', k]:.2f}" for k in s.columns]
    return Outcome("sigma ratio R-152/R-50: " + ", ".join(parts), NOT_TESTABLE, reason="context")


# --- chapter 3 ---------------------------------------------------------------------------------


@claim(
    "checkerboard",
    "03_dead_pixels",
    "Fig. 1",
    "The ERF of a trained CNN whose odd kernels have even strides is a checkerboard: partially dead pixels",
    "visible checkerboard in the stage-4 and output ERF of every ResNet",
    "trained proxy",
    f"output ERF of trained Lite0/1/2 (predicted class, 64 images), three separately tested models with Bonferroni "
    f"intervals (each stored 95% bootstrap interval widened x{BONFERRONI_3:.3f} about its estimate, a normal "
    f"approximation): reproduced if the lower bound of the lattice ratio exceeds {LATTICE_MIN} for all three, "
    f"partially if for some and the upper bound is below {LATTICE_MIN} for another, not reproduced if below for all,"
    " else inconclusive",
    (Need("erf_trained", "erf", "model", TRAINED_LITE),),
    command="python -m deadpixels run erf_trained",
)
def _checkerboard(r: dict[str, Result]) -> Outcome:
    e = r["erf_trained"].tables["erf"]
    d = e[(e["kind"] == "imagenet") & (e["target"] == "output")]
    lo = d["lattice"] - BONFERRONI_3 * (d["lattice"] - d["lattice_lo"])
    hi = d["lattice"] + BONFERRONI_3 * (d["lattice_hi"] - d["lattice"])
    parts = [REPRODUCED if a > LATTICE_MIN else NOT if b < LATTICE_MIN else INCONCLUSIVE for a, b in zip(lo, hi)]
    text = ", ".join(f"{m.model[-5:]} {m.lattice:.2f} [{a:.2f}, {b:.2f}]" for m, a, b in zip(d.itertuples(), lo, hi))
    return Outcome(f"output lattice ratio (Bonferroni intervals over 3 models): {text}", separate_parts(parts))


@claim(
    "checkerboard-untrained",
    "03_dead_pixels",
    "Fig. 1",
    "The same for the paper's ResNets, measured without trained weights (random init and structural)",
    "visible checkerboard in every ResNet",
    "untrained proxy",
    "context only ('not testable at this scale'): a random or structural lattice ratio exceeds 1 by construction",
    (Need("erf_resnets", "erf", "target", ("output",)),),
)
def _checkerboard_untrained(r: dict[str, Result]) -> Outcome:
    v = weighted_erf(r["erf_resnets"].tables["erf"]).query("target == 'output'")["lattice"]
    text = f"random-init output lattice ratio {v.min():.2f}-{v.max():.2f} over the nine ResNets"
    return Outcome(text, NOT_TESTABLE, reason="context")


#: The rule of the causal claim, on torchvision (here) and on timm's zoo (:mod:`.zoo`).
CAUSE_RULE = (
    f"structural output ERF (weight-free), three parts: every CNN with odd/even layers has a lattice ratio > "
    f"{LATTICE_MIN}; every CNN without has <= {LATTICE_FLAT}; after kernel padding, <= {LATTICE_FLAT} in every CNN "
    "where it is exact (CNNs with odd feature maps are not counted); each part holds or not; partially reproduced "
    "if some parts hold"
)


@claim(
    "cause-odd-even",
    "03_dead_pixels",
    "Fig. 2",
    "The cause is odd kernels with even stride (checked on every torchvision CNN, architecture only)",
    "odd kernels with stride 2 (ResNets only)",
    "structural",
    CAUSE_RULE,
    (Need("census", "census"),),
)
def _cause(r: dict[str, Result]) -> tuple[str, str]:
    return odd_even_parts(r["census"].tables["census"])


def odd_even_parts(census: pd.DataFrame) -> tuple[str, str]:
    """:data:`CAUSE_RULE` applied to a census table (torchvision's or timm's)."""
    c = census[census["status"] == "analysed"]
    has = c["n_odd_stride"] > 0
    tested = has & c["kp_lattice"].notna()  # NaN: KP cannot be exact (odd maps), so it is not counted
    parts = {
        "checkerboard where odd/even": (c["lattice"][has] > LATTICE_MIN),
        "flat without": (c["lattice"][~has] <= LATTICE_FLAT),
        "flat after KP": (c["kp_lattice"][tested] <= LATTICE_FLAT),
    }
    verdicts = [REPRODUCED if ok.all() else NOT for ok in parts.values()]
    text = "; ".join(f"{name}: {int(ok.sum())}/{len(ok)}" for name, ok in parts.items())
    return f"{text} ({int((has & ~tested).sum())} with odd feature maps not testable by KP)", separate_parts(verdicts)


@claim(
    "fig2-coverage",
    "03_dead_pixels",
    "Fig. 2",
    "A 3x3 stride-2 window covers alternate pixels once and twice; a 1x1 stride-2 window skips every other pixel",
    "1, 2, 1, 2 ... coverage; the 1x1 shortcut drops pixels",
    "exact",
    "window counts of a single layer: reproduced if 3x3/s2 alternates 1 and 2, 1x1/s2 alternates 0 and 1, and the "
    "even kernels (4x4, 2x2) cover every pixel equally",
    (),
)
def _coverage(r: dict[str, Result]) -> tuple[str, str]:
    odd, one = window_coverage(12, 3, 2, 1)[1:-1], window_coverage(12, 1, 2, 0)
    four, two = window_coverage(12, 4, 2, 1)[1:-1], window_coverage(12, 2, 2, 0)
    ok = set(odd) == {1, 2} and set(one) == {0, 1} and len(set(four)) == 1 and len(set(two)) == 1
    return f"3x3/s2 {odd.tolist()[:4]}..., 1x1/s2 {one.tolist()[:4]}..., 4x4/s2 {four.tolist()[:4]}...", (
        REPRODUCED if ok else NOT
    )
