"""The paper's statement that the zero-initialised padded entries "fill in during fine-tuning"
(Sec. 4), judged on what the KP gate measures: the fraction f of the window-coverage imbalance the
padded taps remove (:func:`~.kp_effect.removed_fraction`), one mean over the padded layers per seed,
with a t 95% CI over seeds. Registered on 2026-12-07 (issue #39), after the fine-tuned results it
judges had been seen: it is not pre-registered, and its row says so."""

from __future__ import annotations

import pandas as pd

from ...pipeline.results import Result
from ..judging.contrasts import judged
from ..judging.kp_effect import kernel_sizes, removed_fraction
from ..judging.outcome import Outcome
from ..judging.stats import paired_effect
from ..judging.verdicts import MARGIN, NOT_TESTABLE, Region, judge
from .finetuned import finetune_claim, kp_took_effect

#: Filled in: the padded taps remove at least half the coverage imbalance (the KP gate's threshold,
#: where its prediction reaches the paper's lattice effect; see :mod:`.kp_effect`).
FILLED = Region.above(MARGIN)


def per_seed_fraction(padded: pd.DataFrame, model: str) -> pd.Series:
    """f, the removed fraction of the coverage imbalance, averaged over the padded layers, per seed."""
    if "coverage_f" in padded and padded["coverage_f"].notna().all():  # measured on the weights (kp_effect)
        return padded["coverage_f"].groupby(padded["seed"]).mean()
    k = padded["layer"].map(kernel_sizes(model)).to_numpy(dtype=float)
    f = removed_fraction(padded["padded_share"].to_numpy(dtype=float), k)
    return pd.Series(f, index=padded.index).groupby(padded["seed"]).mean()


@finetune_claim(
    "kp-fills-in",
    "04_kernel_padding",
    "Sec. 4",
    "The zero-initialised padded entries fill in during fine-tuning",
    "they fill in (no number given)",
    "f, the fraction of the window-coverage imbalance the padded taps remove (claims.kp_effect), mean over the "
    "padded layers per seed, t 95% CI over seeds; reproduced if the CI lies above 0 and reaches "
    f"{MARGIN:g} (at least half the imbalance removed, the KP gate's threshold); 'smaller than the paper's' if it "
    "lies above 0 but below; registered 2026-12-07, after these results had been seen",
)
def _fills_in(r: dict[str, Result]) -> Outcome:
    res = r["kp_finetune"]
    padded = res.tables.get("padded", pd.DataFrame())
    if padded.empty:
        return Outcome("the padded entries were not measured", NOT_TESTABLE, reason="proxy-cannot-test")
    f = per_seed_fraction(padded, res.provenance["config"]["model"])
    e = paired_effect(f.to_numpy())
    ours = (
        f"f = {100 * e.mean:.1f}% [95% CI {100 * e.lo:.1f}, {100 * e.hi:.1f}] of the coverage imbalance removed "
        f"(n = {e.n} seeds; filled in: at least {100 * MARGIN:.0f}%)"
    )
    c = judged("removed fraction f", e, (), FILLED, log=False)
    return Outcome(ours, judge(e.lo, e.hi, FILLED), (c,), kp_took_effect(r))


__all__ = ["FILLED", "per_seed_fraction"]
