"""What each verdict means, defined once, and the functions that apply the definitions.

Every contrast is an effect with a 95% CI on a scale where 0 is "no effect" (a paired difference,
or the log of a paired ratio). The paper's effect is a declared *region* of that scale, on one side
of 0: the effects that count as the paper's, usually "at least half the paper's smallest effect"
(:data:`MARGIN`). Then:

- **reproduced**: the CI excludes no effect, on the paper's side, and reaches the paper's region;
- **smaller than the paper's** / **larger than the paper's**: the CI excludes no effect on the
  paper's side but lies entirely short of (or beyond) the paper's region;
- **not reproduced**: the CI lies on the other side of 0, or it holds no effect and excludes the
  paper's region (a tight null);
- **inconclusive**: only when the CI holds both no effect and (part of) the paper's region;
- **partially reproduced**: a claim made of separately tested parts (corrected for multiplicity),
  some of which reproduce and some of which do not;
- **not testable at this scale**: a comparator fails its validity gate, or the evidence cannot
  address the claim;
- **not run at this scale**: the results the claim needs are not cached.

Claims that say "about the same" are judged by equivalence (:func:`equivalence`) against a declared
margin.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

REPRODUCED = "reproduced"
PARTIAL = "partially reproduced"
SMALLER = "smaller than the paper's"
LARGER = "larger than the paper's"
NOT = "not reproduced"
INCONCLUSIVE = "inconclusive"
NOT_TESTABLE = "not testable at this scale"
NOT_RUN = "not run at this scale"
VERDICTS = (REPRODUCED, PARTIAL, SMALLER, LARGER, NOT, INCONCLUSIVE, NOT_TESTABLE, NOT_RUN)
#: One sentence per verdict (the glossary and the report show these).
MEANING = {
    REPRODUCED: "the 95% CI excludes no effect, on the paper's side, and reaches the effects that count as the paper's",
    PARTIAL: "the claim has separately tested parts (CIs corrected for their number); some reproduce and the others "
    "do not (not reproduced, smaller or larger) or cannot be tested; none is undecided",
    SMALLER: "the CI excludes no effect on the paper's side, but every effect in it is smaller than the paper's",
    LARGER: "the CI excludes no effect on the paper's side, but every effect in it is larger than the paper's",
    NOT: "the CI lies on the other side of no effect, or holds no effect and excludes the paper's effect",
    INCONCLUSIVE: "the CI holds both no effect and the paper's effect: this sample cannot tell them apart",
    NOT_TESTABLE: "a comparator fails its validity gate, or this evidence cannot address the claim",
    NOT_RUN: "the results the claim needs are not cached at this scale",
}
#: Why a claim is "not testable at this scale": one reason per row, machine-readable (claims.csv's
#: ``reason``), with its words. ``context`` rows are shown beside a claim and not counted as claims.
REASONS = {
    "kp-not-in-effect": "KP did not take effect (its padded entries stayed too small to change the layer much)",
    "comparator-gate": "a comparator failed its accuracy gate (far below vanilla)",
    "too-few-seeds": "too few seeds for a CI",
    "too-short": "the run is too short for the registered fit",
    "underpowered": "the registered plan's CI half-width cannot tell half the paper's effect from none",
    "no-checkerboard": "vanilla shows no checkerboard to remove",
    "proxy-cannot-test": "this evidence cannot test the claim",
    "not-gaussian": "the ERF is not Gaussian to begin with",
    "context": "context for a claim, not a test of it",
}
#: An effect counts as the paper's when it is at least this fraction of the paper's smallest one
#: (on the contrast's scale: log ratio or difference). Declared before any gpu-scale result.
MARGIN = 0.5


@dataclass(frozen=True)
class Region:
    """The effects that count as the paper's: ``[lo, hi]`` on the contrast's scale, not containing 0."""

    lo: float
    hi: float

    def __post_init__(self) -> None:
        if not self.lo <= self.hi or self.lo < 0 < self.hi:
            raise ValueError(f"a paper region must be an interval on one side of 0; got [{self.lo}, {self.hi}]")

    @classmethod
    def below(cls, bound: float) -> Region:
        """Every effect at or below ``bound`` (< 0): 'lowers by at least ...'."""
        return cls(-np.inf, bound)

    @classmethod
    def above(cls, bound: float) -> Region:
        """Every effect at or above ``bound`` (> 0)."""
        return cls(bound, np.inf)

    @classmethod
    def log_ratio_at_most(cls, ratio: float, margin: float = MARGIN) -> Region:
        """A ratio at least ``margin`` of the way (in log) from 1 to the paper's ``ratio`` (< 1)."""
        return cls.below(margin * float(np.log(ratio)))

    @property
    def negative(self) -> bool:
        return self.hi <= 0


def judge(lo: float, hi: float, paper: Region) -> str:
    """The verdict of one contrast with 95% CI ``[lo, hi]`` against the paper's region (see the module)."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return NOT_TESTABLE  # no CI (fewer than two pairs): NaN never counts as agreement
    reaches = lo <= paper.hi and hi >= paper.lo
    if lo <= 0 <= hi:
        return INCONCLUSIVE if reaches else NOT
    on_paper_side = hi < 0 if paper.negative else lo > 0
    if not on_paper_side:
        return NOT
    if reaches:
        return REPRODUCED
    short = lo > paper.hi if paper.negative else hi < paper.lo
    return SMALLER if short else LARGER


def equivalence(lo: float, hi: float, margin: float) -> str:
    """ "About the same": reproduced if the CI lies within ``±margin``, not reproduced if it lies
    entirely outside, else inconclusive (two one-sided tests, read off the 95% CI)."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return NOT_TESTABLE
    if -margin <= lo and hi <= margin:
        return REPRODUCED
    if lo > margin or hi < -margin:
        return NOT
    return INCONCLUSIVE


def all_required(parts: Sequence[str]) -> str:
    """A claim whose mechanism needs every part (an intersection-union test, each part at the 5%
    level, no correction needed): reproduced only if every part is; not reproduced if any part is
    not; otherwise the first undecided part's verdict."""
    if NOT_TESTABLE in parts:
        return NOT_TESTABLE
    if all(p == REPRODUCED for p in parts):
        return REPRODUCED
    for verdict in (NOT, LARGER, INCONCLUSIVE, SMALLER):
        if verdict in parts:
            return verdict
    return INCONCLUSIVE


def separate_parts(parts: Sequence[str]) -> str:
    """A claim made of separately tested parts (their CIs Bonferroni-corrected by the caller):
    reproduced if all are; partially if some are and some are not (not reproduced, smaller or
    larger) or cannot be tested; inconclusive if some are and the rest undecided; else as
    :func:`all_required`."""
    testable = [p for p in parts if p != NOT_TESTABLE]
    if not testable:
        return NOT_TESTABLE
    if all(p == REPRODUCED for p in parts):
        return REPRODUCED
    if REPRODUCED in testable and (NOT_TESTABLE in parts or any(p in (NOT, SMALLER, LARGER) for p in testable)):
        return PARTIAL
    if REPRODUCED in testable:
        return INCONCLUSIVE  # some parts reproduce, the others are undecided: the claim is not yet decided
    return all_required(testable)


def bonferroni_level(k: int, alpha: float = 0.05) -> float:
    """The CI level that keeps the family-wise error of ``k`` CIs at ``alpha``."""
    return 1 - alpha / max(k, 1)


__all__ = [
    "REPRODUCED",
    "PARTIAL",
    "SMALLER",
    "LARGER",
    "NOT",
    "INCONCLUSIVE",
    "NOT_TESTABLE",
    "NOT_RUN",
    "VERDICTS",
    "MEANING",
    "REASONS",
    "MARGIN",
    "Region",
    "judge",
    "equivalence",
    "all_required",
    "separate_parts",
    "bonferroni_level",
]
