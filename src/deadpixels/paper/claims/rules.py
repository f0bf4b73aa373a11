"""The claims registry: every claim of the paper with its value, ours, and a verdict computed by a
stated rule from cached results (never typed by hand)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
from scipy import stats

from .models import RESNETS, SHORT
from .results import CacheError, Result, config_hash, load

REPRODUCED, PARTIAL, NOT, NOT_RUN = "reproduced", "partially reproduced", "not reproduced", "not run at this scale"
VERDICTS = (REPRODUCED, PARTIAL, NOT, NOT_RUN)
Outcome = tuple[str, str]  # (ours, verdict)


@dataclass(frozen=True)
class Claim:
    claim_id: str
    chapter: str
    statement: str
    paper: str
    rule: str
    experiments: tuple[str, ...]
    evaluate: Callable[[dict[str, Result]], Outcome]


CLAIMS: list[Claim] = []
#: Experiments that add to a claim where cached but whose absence does not block it.
OPTIONAL = {"imbalance_archs"}


def claim(claim_id: str, chapter: str, statement: str, paper: str, rule: str, experiments: tuple[str, ...]) -> Callable:
    def wrap(fn: Callable[[dict[str, Result]], Outcome]) -> Callable:
        CLAIMS.append(Claim(claim_id, chapter, statement, paper, rule, experiments, fn))
        return fn
    return wrap


def welch_p(b: pd.Series, a: pd.Series) -> float:
    """Two-sided Welch t-test p-value of b vs a (NaN where it is undefined: one run, or no spread)."""
    if min(len(a), len(b)) < 2 or a.std() + b.std() == 0:
        return float("nan")
    return float(stats.ttest_ind(b, a, equal_var=False).pvalue)


def _weighted(erf: pd.DataFrame) -> pd.DataFrame:
    return erf[erf["kind"] != "structural"]


def _sigma(df: pd.DataFrame) -> pd.Series:
    return (df["sigma_x"] + df["sigma_y"]) / 2


# --- chapter 1 --------------------------------------------------------------------------------

@claim("trf-table1", "01_rf_vs_accuracy", "Theoretical RF of the nine ImageNet ResNets (Table 1)",
       "435, 899, 427, 971, 1451, 427, 971, 427, 971 px", "reproduced if all nine are equal, else not reproduced", ("trf",))
def _trf_table1(r: dict[str, Result]) -> Outcome:
    t = r["trf"].tables["resnets"]
    equal = int((t["trf"] == t["paper_trf"]).sum())
    return f"{equal}/{len(t)} equal: " + ", ".join(str(v) for v in t["trf"]), REPRODUCED if equal == len(t) == 9 else NOT


@claim("acc5-table1", "01_rf_vs_accuracy", "ImageNet Acc@5 of the nine ResNets (torchvision V1 weights, Table 1)",
       "89.078 ... 94.526 %", "reproduced if all nine torchvision metadata values equal the paper's within 0.001", ("trf",))
def _acc5(r: dict[str, Result]) -> Outcome:
    from .reference import TABLE1
    t = r["trf"].tables["resnets"]
    ok = sum(abs(row.acc5 - TABLE1[row.model]["acc5"]) < 1e-3 for row in t.itertuples())
    return f"{ok}/{len(t)} equal", REPRODUCED if ok == len(t) == 9 else NOT


def _not_positive(rho: float, p: float) -> str:
    return NOT if (rho > 0 and p < 0.05) else REPRODUCED


@claim("trf-not-accuracy", "01_rf_vs_accuracy", "A larger TRF does not mean higher accuracy (nine ResNets)",
       "W-50-2 and R-152 equally accurate at TRF 427 vs 1451; R-34 (899) below R-50 (427)",
       "Spearman rank correlation of TRF and Acc@5: reproduced unless significantly positive (rho > 0, p < 0.05)", ("trf",))
def _trf_acc(r: dict[str, Result]) -> Outcome:
    t = r["trf"].tables["resnets"]
    rho, p = stats.spearmanr(t["trf"], t["acc5"])
    return f"Spearman rho = {rho:.2f} (p = {p:.2f})", _not_positive(rho, p)


@claim("trf-not-accuracy-zoo", "01_rf_vs_accuracy", "Extension: the same over every torchvision CNN with a finite TRF",
       "not studied", "Spearman rho of TRF and Acc@1: reproduced unless significantly positive", ("census",))
def _trf_acc_zoo(r: dict[str, Result]) -> Outcome:
    c = r["census"].tables["census"].dropna(subset=["trf", "acc1"])
    rho, p = stats.spearmanr(c["trf"], c["acc1"])
    return f"Spearman rho = {rho:.2f} (p = {p:.3f}, n = {len(c)})", _not_positive(rho, p)


@claim("erf-not-accuracy", "01_rf_vs_accuracy", "A larger ERF does not mean higher accuracy either (nine ResNets)",
       "R-34 has the largest ERF (sigma ~96) but low accuracy",
       "Spearman rho of ERF sigma (stage 4) and Acc@5: reproduced unless significantly positive", ("trf", "erf_resnets"))
def _erf_acc(r: dict[str, Result]) -> Outcome:
    e = _weighted(r["erf_resnets"].tables["erf"])
    e = e[e["target"] == "layer4"].assign(sigma=_sigma)
    t = r["trf"].tables["resnets"].merge(e[["model", "sigma"]], on="model")
    rho, p = stats.spearmanr(t["sigma"], t["acc5"])
    return f"Spearman rho = {rho:.2f} (p = {p:.2f}; ERF: {e['kind'].iloc[0]})", _not_positive(rho, p)


# --- chapter 2 --------------------------------------------------------------------------------

SATURATION_LIMIT = 1 + 0.5 * (np.sqrt(152 / 50) - 1)


@claim("erf-saturation", "02_erf_saturation", "ERF size saturates with depth (R-50 -> R-101 -> R-152)",
       "sigma ratio R-152/R-50 = 0.94 (60.6 vs 64.8 px x; 58.7 vs 62.2 px y)",
       f"ratio of mean sigma (stage 4, weighted ERF) R-152/R-50: reproduced if < {SATURATION_LIMIT:.2f} (less than half "
       "the sqrt(depth) growth of Luo et al.), else not reproduced", ("erf_resnets",))
def _saturation(r: dict[str, Result]) -> Outcome:
    e = r["erf_resnets"].tables["erf"]
    w = _weighted(e)
    w = w[w["target"] == "layer4"].set_index("model")
    s = e[(e["kind"] == "structural") & (e["target"] == "layer4")].set_index("model")
    ratio = float(_sigma(w).loc["resnet152"] / _sigma(w).loc["resnet50"])
    sratio = float(_sigma(s).loc["resnet152"] / _sigma(s).loc["resnet50"])
    return (f"ratio {ratio:.2f} ({w['kind'].iloc[0]}); structural {sratio:.2f}",
            REPRODUCED if ratio < SATURATION_LIMIT else NOT)


# --- chapter 3 --------------------------------------------------------------------------------

LATTICE_MIN = 1.1


@claim("checkerboard", "03_dead_pixels", "The output ERF of ResNets is a checkerboard: partially dead pixels",
       "visible checkerboard (Fig. 1) in every ResNet",
       f"strong/weak ratio on the 2x2 lattice of the output ERF > {LATTICE_MIN} for the nine ResNets (weighted) and for "
       "the trained vanilla classifier: reproduced if all, partially if some, not if none", ("erf_resnets", "classification"))
def _checkerboard(r: dict[str, Result]) -> Outcome:
    e = _weighted(r["erf_resnets"].tables["erf"])
    e = e[e["target"] == "output"]
    runs = r["classification"].tables["runs"]
    trained = runs[runs["method"] == "vanilla"]["lattice"]
    values = list(e["lattice"]) + list(trained)
    hits = sum(v > LATTICE_MIN for v in values)
    verdict = REPRODUCED if hits == len(values) else PARTIAL if hits else NOT
    return (f"{hits}/{len(values)} maps above {LATTICE_MIN}; ratio {min(values):.2f}-{max(values):.2f} "
            f"(trained: {trained.mean():.2f})", verdict)


@claim("cause-odd-even", "03_dead_pixels", "The cause is odd kernels with even stride (checked on every torchvision CNN)",
       "odd kernels with stride 2 (ResNets only)",
       "structural output ERF: lattice ratio > 1.1 exactly in the CNNs that have odd/even layers, and <= 1.02 after "
       "kernel padding: reproduced if true for all analysed CNNs, partially if for >= 80%", ("census",))
def _cause(r: dict[str, Result]) -> Outcome:
    c = r["census"].tables["census"]
    c = c[c["status"] == "analysed"]
    has = c["n_odd_stride"] > 0
    kp_ok = c["kp_lattice"].isna() | (c["kp_lattice"] <= 1.02)  # NaN: KP cannot be exact (odd maps), not tested
    ok = np.where(has, (c["lattice"] > LATTICE_MIN) & kp_ok, c["lattice"] <= 1.02)
    frac = ok.mean()
    untested = int((has & c["kp_lattice"].isna()).sum())
    return (f"{int(ok.sum())}/{len(c)} CNNs consistent ({int(has.sum())} with odd/even layers; KP not applicable "
            f"to {untested} with odd feature maps)", REPRODUCED if frac == 1 else PARTIAL if frac >= 0.8 else NOT)


# --- chapter 4 --------------------------------------------------------------------------------

@claim("kp-exact", "04_kernel_padding", "Zero-padded even kernels compute exactly the same function",
       "same function (by construction)", "max |y_KP - y| in float64 < 1e-9 on every model tested", ("kp_exact",))
def _kp_exact(r: dict[str, Result]) -> Outcome:
    t = r["kp_exact"].tables["kp_exact"]
    worst = float(t["max_abs_diff"].max())
    return f"max |diff| = {worst:.1e} over {len(t)} models", REPRODUCED if worst < 1e-9 else NOT


@claim("kp-lowers-l1", "04_kernel_padding", "Kernel padding lowers the imbalance index L1 (Table 3, Fig. 4)",
       "L1 R-50 0.195 -> 0.095; lower for all six models",
       "structural L1 after KP below before for R/W/X-50/101, and trained mean L1 (KP) below vanilla for every trained "
       "architecture: reproduced if both, partially if one", ("census", "classification", "imbalance_archs"))
def _kp_l1(r: dict[str, Result]) -> Outcome:
    c = r["census"].tables["census"].set_index("model").loc[list(SHORT)]
    structural = bool((c["kp_L1"] < c["L1"]).all())
    runs = trained_runs(r)
    means = runs[runs["method"].isin(["vanilla", "kp"])].pivot_table(index="arch", columns="method", values="L1")
    lower = int((means["kp"] < means["vanilla"]).sum())
    trained = lower == len(means)
    verdict = REPRODUCED if structural and trained else PARTIAL if structural or trained else NOT
    r50 = means.loc["resnet50"]
    return (f"structural R-50 {c.loc['resnet50', 'L1']:.3f} -> {c.loc['resnet50', 'kp_L1']:.3f}; trained R-50 "
            f"{r50['vanilla']:.3f} -> {r50['kp']:.3f}; trained: lower in {lower}/{len(means)} architectures", verdict)


def trained_runs(r: dict[str, Result]) -> pd.DataFrame:
    """Trained classifiers of 'classification' and, where cached, 'imbalance_archs'."""
    parts = [r[n].tables["runs"] for n in ("classification", "imbalance_archs") if n in r]
    return pd.concat(parts, ignore_index=True)


@claim("kp-smoother", "04_kernel_padding", "Kernel padding is smoother than Gaussian-noise training and anti-aliasing",
       "L1 R-50: noise 0.164, anti-aliasing 0.120, KP 0.095",
       "trained L1: reproduced if KP below both alternatives, partially if below one", ("classification",))
def _kp_smoother(r: dict[str, Result]) -> Outcome:
    m = r["classification"].tables["runs"].groupby("method")["L1"].mean()
    wins = int(m["kp"] < m["noise"]) + int(m["kp"] < m["blurpool"])
    return (f"L1 vanilla {m['vanilla']:.3f}, noise {m['noise']:.3f}, BlurPool {m['blurpool']:.3f}, KP {m['kp']:.3f}",
            [NOT, PARTIAL, REPRODUCED][wins])


@claim("kp-accuracy", "04_kernel_padding", "Kernel padding costs about 1% accuracy on ordinary classification (Table 4)",
       "-0.83 to -1.22 points (Caltech-101, 3 runs)",
       "difference of mean test accuracy (KP - vanilla) over seeds: reproduced if in [-3, 0) points; partially if not "
       "significant (Welch p >= 0.05) or below -3; not reproduced if KP is significantly better", ("classification",))
def _kp_acc(r: dict[str, Result]) -> Outcome:
    t = r["classification"].tables["runs"]
    a, b = 100 * t[t["method"] == "vanilla"]["test_acc"], 100 * t[t["method"] == "kp"]["test_acc"]
    diff = float(b.mean() - a.mean())
    p = welch_p(b, a)
    if -3 <= diff < 0:
        verdict = REPRODUCED
    elif diff > 0 and p < 0.05:
        verdict = NOT
    else:
        verdict = PARTIAL
    return f"{diff:+.2f} points (n = {len(a)} vs {len(b)}, Welch p = {p:.2f})", verdict


# --- chapter 5 --------------------------------------------------------------------------------

def _r2(x: np.ndarray, y: np.ndarray) -> float:
    return float(stats.linregress(x, y).rvalue ** 2)


@claim("theorem1", "05_perturbation", "Theorem 1: the output change of a one-pixel perturbation tracks R_XY",
       "R^2 = 0.7507 over 25 pixels (before KP)",
       "R^2 of MD against R_XY over the 25 pixels, vanilla, mean over seeds: reproduced if >= 0.5, partially if >= 0.25",
       ("classification",))
def _theorem1(r: dict[str, Result]) -> Outcome:
    t = r["classification"].tables["theorem1"]
    v = t[t["method"] == "vanilla"]
    r2 = float(np.mean([_r2(g["R"].to_numpy(), g["MD"].to_numpy()) for _, g in v.groupby("seed")]))
    return f"R^2 = {r2:.2f}", REPRODUCED if r2 >= 0.5 else PARTIAL if r2 >= 0.25 else NOT


@claim("table5-std", "05_perturbation", "After KP, R_XY and MD vary less over neighbouring pixels (Table 5)",
       "std(R_XY) 0.37 -> 0.19, std(MD) 0.074 -> 0.024 (R-101)",
       "coefficient of variation (std/mean, scale-free) over the 25 pixels, mean over seeds: reproduced if both drop, "
       "partially if one", ("classification",))
def _table5(r: dict[str, Result]) -> Outcome:
    t = r["classification"].tables["theorem1"]
    cv = t.groupby(["method", "seed"])[["R", "MD"]].agg(lambda s: s.std() / s.mean()).groupby("method").mean()
    drops = int(cv.loc["kp", "R"] < cv.loc["vanilla", "R"]) + int(cv.loc["kp", "MD"] < cv.loc["vanilla", "MD"])
    return (f"CV(R) {cv.loc['vanilla', 'R']:.2f} -> {cv.loc['kp', 'R']:.2f}; CV(MD) {cv.loc['vanilla', 'MD']:.2f} -> "
            f"{cv.loc['kp', 'MD']:.2f}", [NOT, PARTIAL, REPRODUCED][drops])


@claim("micro-object", "05_perturbation", "In the micro-object task KP models learn sooner (Table 6)",
       "13-18 epochs sooner (e.g. R-101: 28.2 -> 10.2)",
       "mean first epoch with test accuracy > 90% (max epochs if never): reproduced if KP is earlier with Welch p < 0.05, "
       "partially if earlier but not significant, not reproduced otherwise", ("micro_object",))
def _micro(r: dict[str, Result]) -> Outcome:
    t = r["micro_object"].tables["runs"]
    a, b = t[t["variant"] == "vanilla"]["first_epoch_90"], t[t["variant"] == "kp"]["first_epoch_90"]
    diff = float(b.mean() - a.mean())
    p = welch_p(b, a)
    verdict = REPRODUCED if diff < 0 and p < 0.05 else PARTIAL if diff < 0 else NOT
    return f"{a.mean():.1f} -> {b.mean():.1f} ({diff:+.1f} epochs, p = {p:.2f})", verdict


@claim("translation", "05_perturbation", "Kernel padding improves invariance to a 1-pixel translation",
       "stated; measured in the authors' code only",
       "mean |y(I) - y(shifted I)| lower for KP than vanilla (mean over seeds): reproduced if lower, else not",
       ("classification",))
def _translation(r: dict[str, Result]) -> Outcome:
    m = r["classification"].tables["runs"].groupby("method")["translation"].mean()
    return f"{m['vanilla']:.3f} -> {m['kp']:.3f}", REPRODUCED if m["kp"] < m["vanilla"] else NOT


def _load_all(names: tuple[str, ...], scale: str) -> dict[str, Result] | None:
    from .experiments import get_experiment

    out = {}
    for name in names:
        try:
            out[name] = load(name, scale, config_hash(get_experiment(name).config(scale)))
        except (CacheError, ValueError):  # not cached, or the experiment has no such scale
            if name in OPTIONAL:
                continue
            return None
    return out


def claims_table(scale: str = "cpu") -> pd.DataFrame:
    """Every claim with the paper's value, ours and the verdict from cached results at ``scale``."""
    rows = []
    for c in CLAIMS:
        results = _load_all(c.experiments, scale)
        if results is None:
            ours, verdict = "-", NOT_RUN
        else:
            try:
                ours, verdict = c.evaluate(results)
            except KeyError as exc:  # a smaller scale that lacks a model or method the claim needs
                ours, verdict = f"this scale lacks {exc}", NOT_RUN
        assert verdict in VERDICTS
        rows.append({"claim_id": c.claim_id, "chapter": c.chapter, "statement": c.statement, "paper": c.paper,
                     "ours": ours, "scale": scale, "verdict": verdict, "rule": c.rule})
    return pd.DataFrame(rows)


def claims_provenance(scale: str) -> dict:
    """What ``claims.csv`` was computed from: the scale, and the config hash and date of every
    cached result the verdicts read."""
    import datetime as dt

    from .experiments import EXPERIMENTS
    from .results import _git_commit

    used = {}
    for name in sorted({n for c in CLAIMS for n in c.experiments}):
        try:
            res = load(name, scale, config_hash(EXPERIMENTS[name].config(scale)))
            used[name] = {"config_hash": res.provenance["config_hash"], "date": res.provenance["date"]}
        except (CacheError, ValueError):
            used[name] = None
    return {"scale": scale, "git_commit": _git_commit(), "results": used,
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}


def chapter_claims(chapter: str, scale: str = "cpu") -> pd.DataFrame:
    """The claims of one chapter (for the chapter's verdict table)."""
    t = claims_table(scale)
    return t[t["chapter"] == chapter].reset_index(drop=True)


__all__ = ["CLAIMS", "claims_table", "chapter_claims", "VERDICTS", "RESNETS"]
