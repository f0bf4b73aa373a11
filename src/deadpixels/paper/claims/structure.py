"""Claims of chapters 1-3 (receptive-field size, ERF saturation, dead pixels).
Each rule is stated in words (shown in the report) and in code (the function below it);
thresholds are named constants."""

from __future__ import annotations

import numpy as np
from scipy import stats

from ..reference import PAPER_TRF, TABLE1
from ..results import Result
from .common import ALPHA, NINE, mean_sigma, paper_sigma, weighted_erf
from .engine import NOT, PARTIAL, REPRODUCED, Need, claim

# --- chapter 1 --------------------------------------------------------------------------------


@claim(
    "trf-table1",
    "01_rf_vs_accuracy",
    "Theoretical RF of the nine ImageNet ResNets (Table 1)",
    ", ".join(str(PAPER_TRF[m]) for m in NINE) + " px",
    "reproduced if all nine are equal, else not reproduced",
    (Need("trf", "resnets", "model", NINE),),
)
def _trf_table1(r: dict[str, Result]) -> tuple[str, str]:
    t = r["trf"].tables["resnets"]
    equal = int((t["trf"] == t["paper_trf"]).sum())
    return f"{equal}/{len(t)} equal: " + ", ".join(str(v) for v in t["trf"]), REPRODUCED if equal == len(
        t
    ) == 9 else NOT


@claim(
    "acc5-table1",
    "01_rf_vs_accuracy",
    "ImageNet Acc@5 of the nine ResNets (torchvision V1 weights, Table 1)",
    f"{min(v['acc5'] for v in TABLE1.values())} ... {max(v['acc5'] for v in TABLE1.values())} %",
    "reproduced if all nine torchvision metadata values equal the paper's within 0.001",
    (Need("trf", "resnets", "model", NINE),),
)
def _acc5(r: dict[str, Result]) -> tuple[str, str]:
    t = r["trf"].tables["resnets"]
    ok = sum(abs(row.acc5 - TABLE1[row.model]["acc5"]) < 1e-3 for row in t.itertuples())
    return f"{ok}/{len(t)} equal", REPRODUCED if ok == len(t) == 9 else NOT


def _not_positive(rho: float, p: float) -> str:
    return NOT if (rho > 0 and p < ALPHA) else REPRODUCED


@claim(
    "trf-not-accuracy",
    "01_rf_vs_accuracy",
    "A larger TRF does not mean higher accuracy (nine ResNets)",
    f"W-50-2 and R-152 equally accurate at TRF {PAPER_TRF['wide_resnet50_2']} vs {PAPER_TRF['resnet152']}; "
    f"R-34 ({PAPER_TRF['resnet34']}) below R-50 ({PAPER_TRF['resnet50']})",
    "Spearman rank correlation of TRF and Acc@5: reproduced unless significantly positive (rho > 0, p < 0.05)",
    (Need("trf", "resnets", "model", NINE),),
)
def _trf_acc(r: dict[str, Result]) -> tuple[str, str]:
    t = r["trf"].tables["resnets"]
    rho, p = stats.spearmanr(t["trf"], t["acc5"])
    return f"Spearman rho = {rho:.2f} (p = {p:.2f})", _not_positive(rho, p)


@claim(
    "trf-not-accuracy-zoo",
    "01_rf_vs_accuracy",
    "Extension: the same over every torchvision CNN with a finite TRF",
    "not studied",
    "Spearman rho of TRF and Acc@1: reproduced unless significantly positive",
    (Need("census", "census"),),
)
def _trf_acc_zoo(r: dict[str, Result]) -> tuple[str, str]:
    c = r["census"].tables["census"].dropna(subset=["trf", "acc1"])
    rho, p = stats.spearmanr(c["trf"], c["acc1"])
    return f"Spearman rho = {rho:.2f} (p = {p:.3f}, n = {len(c)})", _not_positive(rho, p)


@claim(
    "erf-not-accuracy",
    "01_rf_vs_accuracy",
    "A larger ERF does not mean higher accuracy either (nine ResNets)",
    f"R-34 has the largest ERF (sigma ~{TABLE1['resnet34']['sigma_x']:.0f}) but low accuracy",
    "Spearman rho of ERF sigma (stage 4) and Acc@5: reproduced unless significantly positive",
    (Need("trf", "resnets", "model", NINE), Need("erf_resnets", "erf", "model", NINE)),
)
def _erf_acc(r: dict[str, Result]) -> tuple[str, str]:
    e = weighted_erf(r["erf_resnets"].tables["erf"])
    e = e[e["target"] == "layer4"].assign(sigma=mean_sigma)
    t = r["trf"].tables["resnets"].merge(e[["model", "sigma"]], on="model")
    rho, p = stats.spearmanr(t["sigma"], t["acc5"])
    return f"Spearman rho = {rho:.2f} (p = {p:.2f}; ERF: {e['kind'].iloc[0]})", _not_positive(rho, p)


# --- chapter 2 --------------------------------------------------------------------------------

SATURATION_LIMIT = 1 + 0.5 * (np.sqrt(152 / 50) - 1)


@claim(
    "erf-saturation",
    "02_erf_saturation",
    "ERF size saturates with depth (R-50 -> R-101 -> R-152)",
    f"sigma ratio R-152/R-50 = {paper_sigma('resnet152') / paper_sigma('resnet50'):.2f} (Table 1)",
    f"ratio of mean sigma (stage 4, weighted ERF) R-152/R-50: reproduced if < {SATURATION_LIMIT:.2f} (less than half "
    "the sqrt(depth) growth of Luo et al.), else not reproduced",
    (Need("erf_resnets", "erf", "model", ("resnet50", "resnet152")),),
)
def _saturation(r: dict[str, Result]) -> tuple[str, str]:
    e = r["erf_resnets"].tables["erf"]
    w = weighted_erf(e)
    w = w[w["target"] == "layer4"].set_index("model")
    s = e[(e["kind"] == "structural") & (e["target"] == "layer4")].set_index("model")
    ratio = float(mean_sigma(w).loc["resnet152"] / mean_sigma(w).loc["resnet50"])
    sratio = float(mean_sigma(s).loc["resnet152"] / mean_sigma(s).loc["resnet50"])
    return (
        f"ratio {ratio:.2f} ({w['kind'].iloc[0]}); structural {sratio:.2f}",
        REPRODUCED if ratio < SATURATION_LIMIT else NOT,
    )


# --- chapter 3 --------------------------------------------------------------------------------

LATTICE_MIN = 1.1


@claim(
    "checkerboard",
    "03_dead_pixels",
    "The output ERF of ResNets is a checkerboard: partially dead pixels",
    "visible checkerboard (Fig. 1) in every ResNet",
    f"strong/weak ratio on the 2x2 lattice of the output ERF > {LATTICE_MIN} for the nine ResNets (weighted) and for "
    "the trained vanilla classifier: reproduced if all, partially if some, not if none",
    (Need("erf_resnets", "erf", "target", ("output",)), Need("classification", "runs", "method", ("vanilla",))),
)
def _checkerboard(r: dict[str, Result]) -> tuple[str, str]:
    e = weighted_erf(r["erf_resnets"].tables["erf"])
    e = e[e["target"] == "output"]
    runs = r["classification"].tables["runs"]
    trained = runs[runs["method"] == "vanilla"]["lattice"]
    values = list(e["lattice"]) + list(trained)
    hits = sum(v > LATTICE_MIN for v in values)
    verdict = REPRODUCED if hits == len(values) else PARTIAL if hits else NOT
    return (
        f"{hits}/{len(values)} maps above {LATTICE_MIN}; ratio {min(values):.2f}-{max(values):.2f} "
        f"(trained: {trained.mean():.2f})",
        verdict,
    )


@claim(
    "cause-odd-even",
    "03_dead_pixels",
    "The cause is odd kernels with even stride (checked on every torchvision CNN)",
    "odd kernels with stride 2 (ResNets only)",
    "structural output ERF: lattice ratio > 1.1 exactly in the CNNs that have odd/even layers, and <= 1.02 after "
    "kernel padding: reproduced if true for all analysed CNNs, partially if for >= 80%",
    (Need("census", "census"),),
)
def _cause(r: dict[str, Result]) -> tuple[str, str]:
    c = r["census"].tables["census"]
    c = c[c["status"] == "analysed"]
    has = c["n_odd_stride"] > 0
    kp_ok = c["kp_lattice"].isna() | (c["kp_lattice"] <= 1.02)  # NaN: KP cannot be exact (odd maps), not tested
    ok = np.where(has, (c["lattice"] > LATTICE_MIN) & kp_ok, c["lattice"] <= 1.02)
    frac = ok.mean()
    untested = int((has & c["kp_lattice"].isna()).sum())
    return (
        f"{int(ok.sum())}/{len(c)} CNNs consistent ({int(has.sum())} with odd/even layers; KP not applicable "
        f"to {untested} with odd feature maps)",
        REPRODUCED if frac == 1 else PARTIAL if frac >= 0.8 else NOT,
    )
