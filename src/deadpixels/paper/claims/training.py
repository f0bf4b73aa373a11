"""Claims of chapters 4-5 outside the fine-tuned Lite0 (:mod:`.finetuned`): the exactness of kernel
padding, and the second, trained-proxy line of quarter-width ResNets trained from scratch on the
embedded tasks, with one row for every measurement the book shows on them (L1, accuracy, the
smoother comparison, Theorem 1, Table 5, translation, the micro-object task). Verdicts mean what
:mod:`.verdicts` says; the paper's regions come from :mod:`.regions`."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from ..lab.reference import FIG5_R2, TABLE3, TABLE4, TABLE6
from ..pipeline.results import Result
from .contrasts import GATE_POINTS, gate, judged, ratio
from .engine import Need, claim
from .finetuned import paper_ratios, smoother
from .finetuned_erf import table5_contrasts, theorem1_correlation
from .kp_effect import BY_CONSTRUCTION
from .outcome import Outcome
from .regions import COST_REGION, L1_REGION, MICRO_REGION, R_REGION, TRANSLATION_REGION
from .stats import Effect, log_ratio_effect, paired_effect, paired_rank_test, theorem1_fits
from .verdicts import INCONCLUSIVE, NOT, NOT_TESTABLE, REPRODUCED, SMALLER, all_required, judge

SCRATCH = (Need("classification", "runs", "method", ("vanilla", "kp")),)


def paired(
    runs: pd.DataFrame, metric: str, a: str = "kp", b: str = "vanilla", log: bool = True, by: str = "method"
) -> Effect:
    """Paired effect over seeds of ``metric`` for ``a`` against ``b`` (log ratio, or difference)."""
    w = runs.pivot_table(index="seed", columns=by, values=metric).dropna(subset=[a, b])
    return log_ratio_effect(w[a], w[b]) if log else paired_effect(w[a] - w[b])


def _scratch(r: dict[str, Result]) -> pd.DataFrame:
    return r["classification"].tables["runs"]


# --- chapter 4 ---------------------------------------------------------------------------------


@claim(
    "kp-exact",
    "04_kernel_padding",
    "Sec. 4",
    "Zero-padded even kernels compute exactly the same function",
    "same function (by construction)",
    "exact",
    "max |y_KP - y| in float64 < 1e-9 on every model tested",
    (Need("kp_exact", "kp_exact"),),
)
def _kp_exact(r: dict[str, Result]) -> tuple[str, str]:
    t = r["kp_exact"].tables["kp_exact"]
    worst = float(t["max_abs_diff"].max())
    return f"max |diff| = {worst:.1e} over {len(t)} models", REPRODUCED if worst < 1e-9 else NOT


@claim(
    "kp-lowers-l1-scratch",
    "04_kernel_padding",
    "Table 3, Fig. 4",
    "The same for the six ResNets of Table 3 trained from scratch (quarter width, 96 px)",
    f"x{(TABLE3.loc['kp'] / TABLE3.loc['vanilla']).min():.2f}-{(TABLE3.loc['kp'] / TABLE3.loc['vanilla']).max():.2f} "
    "over the six models",
    "trained proxy",
    f"raw-sum L1, KP/vanilla log ratio paired by architecture (seed 0 of each of the six), t 95% CI; the paper's "
    f"region: x{np.exp(L1_REGION.hi):.2f} or lower; gate: KP within {GATE_POINTS:g} points of vanilla on average",
    (Need("classification", "runs", "method", ("vanilla", "kp")), Need("imbalance_archs", "runs")),
)
def _kp_l1_scratch(r: dict[str, Result]) -> Outcome:
    runs = pd.concat([_scratch(r), r["imbalance_archs"].tables["runs"]])
    runs = runs[runs["seed"] == 0]
    e = paired(runs.assign(seed=runs["arch"]), "L1_raw")
    lower = int((runs.pivot_table(index="arch", columns="method", values="L1_raw").eval("kp < vanilla")).sum())
    ours = f"{ratio(e)} (n = {e.n} architectures; KP lower in {lower})"
    cs = (judged("raw L1", e, paper_ratios("kp", "vanilla"), L1_REGION),)
    why = gate(runs, ("kp",))
    verdict = NOT_TESTABLE if why else judge(e.lo, e.hi, L1_REGION)
    return Outcome(f"{ours}; {why}" if why else ours, verdict, cs, BY_CONSTRUCTION)


@claim(
    "kp-smoother-scratch",
    "04_kernel_padding",
    "Table 3",
    "Kernel padding is smoother than noise training and BlurPool, on ResNet-50 trained from scratch",
    "lower L1 than both",
    "trained proxy",
    "as kp-smoother, on the from-scratch ResNet-50; not testable with fewer than two paired seeds per comparator "
    "(no CI)",
    (Need("classification", "runs", "method", ("kp", "noise", "blurpool")),),
)
def _smoother_scratch(r: dict[str, Result]) -> Outcome:
    runs = _scratch(r)
    seeds = runs.groupby("method")["seed"].nunique()
    if min(seeds.get("noise", 0), seeds.get("blurpool", 0)) < 2:
        text = ", ".join(f"{m} {seeds.get(m, 0)}" for m in ("vanilla", "kp", "noise", "blurpool"))
        return Outcome(f"seeds per method: {text}; one seed gives no CI", NOT_TESTABLE, (), BY_CONSTRUCTION)
    o = smoother(runs)
    return Outcome(o.ours, o.verdict, o.contrasts, BY_CONSTRUCTION)


@claim(
    "kp-accuracy-scratch",
    "04_kernel_padding",
    "Table 4",
    "Kernel padding costs about 1% accuracy, on ResNet-50 trained from scratch (quarter width, 96 px)",
    f"{TABLE4['diff'].max()} to {TABLE4['diff'].min()} points",
    "trained proxy",
    f"paired difference of test accuracy KP - vanilla (points), t 95% CI; the paper's region: a cost of "
    f"{-COST_REGION.hi:.2f} to {-COST_REGION.lo:g} points",
    SCRATCH,
)
def _kp_acc_scratch(r: dict[str, Result]) -> Outcome:
    e = paired(_scratch(r).assign(acc=lambda d: 100 * d["test_acc"]), "acc", log=False)
    cs = (judged("accuracy KP - vanilla", e, tuple(TABLE4["diff"]), COST_REGION, log=False),)
    return Outcome(e.text(" pt"), judge(e.lo, e.hi, COST_REGION), cs, BY_CONSTRUCTION)


# --- chapter 5 ---------------------------------------------------------------------------------


@claim(
    "theorem1-scratch",
    "05_perturbation",
    "Fig. 5",
    "Theorem 1 on ResNet-50 trained from scratch",
    f"R^2 = {FIG5_R2} (r = {np.sqrt(FIG5_R2):.2f})",
    "trained proxy",
    f"as theorem1: vanilla's correlation r of MD with R_XY over the 25 pixels, per seed, t 95% CI; the paper's "
    f"region: r >= {R_REGION.lo:.2f}",
    (Need("classification", "theorem1", "method", ("vanilla",)),),
)
def _theorem1_scratch(r: dict[str, Result]) -> Outcome:
    return theorem1_correlation(r["classification"].tables["theorem1"])


@claim(
    "table5-scratch",
    "05_perturbation",
    "Table 5",
    "After KP, R_XY and MD vary less over neighbouring pixels, on ResNet-50 trained from scratch",
    "std ratios after/before x0.42-0.52 (R_XY), x0.29-0.40 (MD)",
    "trained proxy",
    "as table5-std: KP/vanilla paired log ratios of CV(R_XY) and CV(MD), both required",
    (Need("classification", "theorem1", "method", ("vanilla", "kp")),),
)
def _table5_scratch(r: dict[str, Result]) -> Outcome:
    cs = table5_contrasts(theorem1_fits(r["classification"].tables["theorem1"]))
    ours = "; ".join(f"{c.name} x{np.exp(c.estimate):.2f} [{np.exp(c.lo):.2f}, {np.exp(c.hi):.2f}]" for c in cs)
    verdict = all_required([judge(c.lo, c.hi, c.region) for c in cs])
    return Outcome(f"{ours} (n = {cs[0].n})", verdict, cs, BY_CONSTRUCTION)


@claim(
    "micro-object",
    "05_perturbation",
    "Table 6, Fig. 6",
    "In the micro-object task KP models learn sooner",
    f"{-TABLE6['diff'].max():.0f}-{-TABLE6['diff'].min():.0f} epochs sooner (e.g. R-101: "
    f"{TABLE6.loc['resnet101', 'before']} -> {TABLE6.loc['resnet101', 'after']})",
    "trained proxy",
    "first epoch with test accuracy > 90%; a run that never gets there is censored at the horizon (the paper's "
    "estimand: 'max epochs if never', averaged); the restricted-mean difference KP - vanilla over paired seeds, t "
    f"95% CI, against the paper's region ({MICRO_REGION.hi:.1f} epochs or fewer); its p from an exact paired "
    "permutation test on the joint ranks, 'never' tied at the top; where runs are censored, a tight null or a "
    "smaller effect is not concluded ('inconclusive'): a censored time only bounds the true one from below",
    (Need("micro_object", "runs", "variant", ("vanilla", "kp")),),
)
def _micro(r: dict[str, Result]) -> Outcome:
    runs = r["micro_object"].tables["runs"]
    e = paired(runs, "first_epoch_90", log=False, by="variant")
    w = runs.assign(t=runs["first_epoch_90"].where(runs["reached"], np.inf))
    w = w.pivot_table(index="seed", columns="variant", values="t").dropna()
    p = paired_rank_test(w["kp"], w["vanilla"])
    censored = {v: int((~runs[runs["variant"] == v]["reached"]).sum()) for v in ("vanilla", "kp")}
    horizon = r["micro_object"].provenance["config"]["epochs"]
    verdict = judge(e.lo, e.hi, MICRO_REGION)
    if any(censored.values()) and verdict in (NOT, SMALLER):
        verdict = INCONCLUSIVE
    ours = (
        f"{e.mean:+.1f} epochs [95% CI {e.lo:+.1f}, {e.hi:+.1f}] (restricted mean, horizon {horizon} epochs), exact "
        f"rank test p = {p:.3f} (uncorrected), n = {e.n}; never reached: vanilla {censored['vanilla']}, KP "
        f"{censored['kp']}"
    )
    c = judged("first epoch > 90%, KP - vanilla", e, tuple(TABLE6["diff"]), MICRO_REGION, log=False)
    return Outcome(ours, verdict, (replace(c, p=p),), BY_CONSTRUCTION)


@claim(
    "translation-scratch",
    "05_perturbation",
    "Sec. 5",
    "Kernel padding improves invariance to a 1-pixel translation, on ResNet-50 trained from scratch",
    "stated",
    "trained proxy",
    f"as translation, over the from-scratch seeds; declared region x{np.exp(TRANSLATION_REGION.hi):.2f} or lower",
    SCRATCH,
)
def _translation_scratch(r: dict[str, Result]) -> Outcome:
    e = paired(_scratch(r), "translation")
    cs = (judged("translation KP/vanilla", e, (), TRANSLATION_REGION),)
    return Outcome(ratio(e) + f" (n = {e.n})", judge(e.lo, e.hi, TRANSLATION_REGION), cs, BY_CONSTRUCTION)
