"""Does the paper's zero-initialised KP fill in within the paper's own fine-tuning? Judged on the
growth curve of ``kp_growth`` (Lite0, the paper's recipe, one run past 4,000 steps), registered on
2026-12-07 before that curve was computed (issue #40).

The rule: per recorded step, f (:func:`~.kp_effect.removed_fraction`, the share of the window-coverage
imbalance the padded taps remove) averaged over the padded layers and seeds; a straight line of log f
against the log of the learning rate summed so far (the taps grow with the steps SGD takes, each as
long as its learning rate), fitted to the records from :data:`FIT_FROM` steps on; its 95% prediction
interval at the summed learning rate of the paper's whole cosine schedule (:data:`PAPER_STEPS` steps).
The paper's statement holds if that interval reaches the gate's one half (kp_effect): "reproduced" if
the interval reaches it, "smaller than the paper's" if it lies below. The same line gives the step at
which the gate would open. An extrapolation assumes the power law goes on: the row says so."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as st

from ...pipeline.results import Result
from ..judging.engine import Need, claim
from ..judging.kp_effect import kernel_sizes, removed_fraction
from ..judging.outcome import Contrast, Outcome
from ..judging.verdicts import MARGIN, NOT_TESTABLE, Region, judge
from .finetuned import PAPER_STEPS

#: The first step whose record enters the fit (the early steps are a transient of the optimiser).
FIT_FROM = 256
FILLED = Region.above(MARGIN)


def cosine_cum_lr(lr: float, steps: int, horizon: int) -> float:
    """The learning rate summed over the first ``steps`` of a cosine schedule of length ``horizon``."""
    t = np.arange(min(steps, horizon))
    return float(np.sum(lr * (1 + np.cos(np.pi * t / horizon)) / 2))


def curve(growth: pd.DataFrame, model: str) -> pd.DataFrame:
    """f per recorded step (mean over layers and seeds), with the summed learning rate."""
    k = growth["layer"].map(kernel_sizes(model)).to_numpy(dtype=float)
    g = growth.assign(f=removed_fraction(growth["padded_share"].to_numpy(dtype=float), k))
    return g.groupby("step", as_index=False).agg(cum_lr=("cum_lr", "mean"), f=("f", "mean"))


def extrapolate(c: pd.DataFrame, target: float, level: float = 0.95) -> tuple[float, float, float, float, float]:
    """Fit log f = a + b log cum_lr on the records from :data:`FIT_FROM` on; f at ``target`` with its
    prediction interval (capped at 1), the exponent b and the summed learning rate where f = 1/2."""
    d = c[(c["step"] >= FIT_FROM) & (c["f"] > 0)]
    x, y = np.log(d["cum_lr"].to_numpy()), np.log(d["f"].to_numpy())
    n = len(x)
    b, a = np.polyfit(x, y, 1)
    resid = y - (a + b * x)
    s = np.sqrt(np.sum(resid**2) / (n - 2))
    x0 = np.log(target)
    se = s * np.sqrt(1 + 1 / n + (x0 - x.mean()) ** 2 / np.sum((x - x.mean()) ** 2))
    q = st.t.ppf(1 - (1 - level) / 2, n - 2)
    pred = a + b * x0
    opens = float(np.exp((np.log(MARGIN) - a) / b)) if b > 0 else float("inf")
    cap = lambda v: float(min(np.exp(v), 1.0))  # noqa: E731
    return cap(pred), cap(pred - q * se), cap(pred + q * se), float(b), opens


def steps_to(cum_lr: float, lr: float, horizon: int) -> str:
    """The step at which a cosine schedule of ``horizon`` steps has summed ``cum_lr``, in words."""
    total = cosine_cum_lr(lr, horizon, horizon)
    if cum_lr > total:
        steps = cum_lr / lr
        at_constant = f"{steps:,.0f}" if steps < 1e7 else f"{steps:.1e}"
        return (
            f"beyond the paper's {horizon:,} steps (its schedule sums to {total:.0f}; at a constant lr {lr:g}: "
            f"{at_constant} steps)"
        )
    t = np.arange(horizon)
    cum = np.cumsum(lr * (1 + np.cos(np.pi * t / horizon)) / 2)
    return f"after {int(np.searchsorted(cum, cum_lr)) + 1:,} steps"


@claim(
    "kp-fills-in-paper",
    "04_kernel_padding",
    "Sec. 4",
    "The zero-initialised padded entries fill in within the paper's fine-tuning (extrapolated from a growth curve)",
    "they fill in (no number given)",
    "reduced protocol",
    f"f per recorded step of kp_growth, mean over layers and seeds; log f against log summed lr fitted from step "
    f"{FIT_FROM} on; its 95% prediction interval at the summed lr of the paper's {PAPER_STEPS:,}-step cosine; "
    f"reproduced if the interval reaches {MARGIN:g} (the KP gate's threshold), 'smaller than the paper's' if it lies "
    "below; an extrapolation that assumes the power law goes on; registered 2026-12-07 before the curve existed",
    (Need("kp_growth", "growth"),),
)
def _fills_in_paper(r: dict[str, Result]) -> Outcome:
    res = r["kp_growth"]
    cfg = res.provenance["config"]
    c = curve(res.tables["growth"], cfg["model"])
    if int((c["step"] >= FIT_FROM).sum()) < 3:
        return Outcome(f"{len(c)} records, fewer than 3 from step {FIT_FROM} on", NOT_TESTABLE, reason="too-short")
    target = cosine_cum_lr(cfg["lr"], PAPER_STEPS, PAPER_STEPS)
    f, lo, hi, b, opens = extrapolate(c, target)
    last = c.iloc[-1]
    ours = (
        f"f = {100 * last['f']:.1f}% measured at step {int(last['step']):,}; predicted at {PAPER_STEPS:,} steps "
        f"{100 * f:.1f}% [95% PI {100 * lo:.1f}, {100 * hi:.1f}] (power {b:.2f} in summed lr); f reaches the gate's "
        f"{100 * MARGIN:.0f}% "
        f"{steps_to(opens, cfg['lr'], PAPER_STEPS)}"
    )
    contrast = Contrast("predicted f at the paper's length", f, lo, hi, float("nan"), len(c), (), FILLED, 0.95, False)
    return Outcome(ours, judge(lo, hi, FILLED), (contrast,))


__all__ = ["FIT_FROM", "FILLED", "cosine_cum_lr", "curve", "extrapolate", "steps_to"]
