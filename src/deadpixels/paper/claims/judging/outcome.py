"""What a rule returns: our value, the verdict, and each contrast it judged, with the paper's own
reported values on the contrast's scale, so that every CI is also held against the paper's numbers
(not only against the region the verdict uses) and a CI that ends next to a decision boundary is
flagged ("at the edge")."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .verdicts import Region

#: A CI end closer to a decision boundary (0 or the region's bound) than this fraction of the CI's
#: width is "at the edge": a slightly different sample could move the verdict.
EDGE = 0.1


@dataclass(frozen=True)
class Contrast:
    """One judged contrast: estimate and CI (at ``level``) on the contrast's scale, its p-value (NaN
    where the test gives none), the paper's reported values on the same scale (``()``: the paper
    reports no number) and the region the verdict used (None: no region)."""

    name: str
    estimate: float
    lo: float
    hi: float
    p: float
    n: int
    paper: tuple[float, ...] = ()
    region: Region | None = None
    level: float = 0.95
    log: bool = True  # a log ratio (shown as x ratios) or a difference

    def shown(self, v: float) -> str:
        return f"x{np.exp(v):.2f}" if self.log else f"{v:+.2f}"


@dataclass(frozen=True)
class Outcome:
    """A rule's result: ``ours`` (the text), ``verdict``, the contrasts behind it and, for a claim
    about kernel padding, whether and how far KP took effect (``kp``, a
    :class:`~.kp_effect.KPEffect`). A "not testable" verdict names its ``reason`` (a key of
    :data:`~.verdicts.REASONS`); where the KP gate alone made it so, ``ungated`` is the verdict the
    rule gives without the gate (the gate was written after the fine-tuned results were seen, so
    both are shown)."""

    ours: str
    verdict: str
    contrasts: tuple[Contrast, ...] = ()
    kp: Any = None
    reason: str = ""
    ungated: str = ""


def versus_paper(c: Contrast) -> str:
    """Where the CI stands against the paper's own values (their range, for several models):
    excludes every one, includes every one, lies within their range, or overlaps it."""
    if not c.paper:
        return f"{c.name}: the paper reports no number"
    if not (np.isfinite(c.lo) and np.isfinite(c.hi)):
        return f"{c.name}: no CI"
    low, high = min(c.paper), max(c.paper)
    span = c.shown(low) if low == high else f"{c.shown(low)} to {c.shown(high)}"
    if c.hi < low or c.lo > high:
        side = "below" if c.hi < low else "above"
        return f"{c.name}: CI excludes every value the paper reported ({span}; the CI lies {side} them)"
    if c.lo <= low and high <= c.hi:
        return f"{c.name}: CI includes every value the paper reported ({span})"
    if low <= c.lo and c.hi <= high:
        return f"{c.name}: CI lies within the range the paper reported ({span})"
    return f"{c.name}: CI overlaps the range the paper reported ({span})"


def edges(c: Contrast) -> list[str]:
    """The decision boundaries that a CI end lies within :data:`EDGE` of the CI's width of: 0 and the
    region's finite bounds (where the verdict uses a region), and the lowest and highest of the
    paper's reported values (where "vs paper", or a verdict by the paper's range, reads them)."""
    if not (np.isfinite(c.lo) and np.isfinite(c.hi)) or c.hi <= c.lo:
        return []
    named = []
    if c.region is not None:
        named += [(b, "no effect" if b == 0 else "the paper's region") for b in (0.0, c.region.lo, c.region.hi)]
    if c.paper:
        named += [(min(c.paper), "the paper's lowest value"), (max(c.paper), "the paper's highest value")]
    tol = EDGE * (c.hi - c.lo)
    out, seen = [], set()
    for b, what in named:
        if not np.isfinite(b) or b in seen:
            continue
        seen.add(b)
        for end in (c.lo, c.hi):
            if abs(end - b) < tol:
                out.append(f"{c.name}: CI end {c.shown(end)} next to {what} at {c.shown(b)}")
    return out


def holm(p: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values (NaN stays NaN and is not counted)."""
    idx = [i for i, v in enumerate(p) if np.isfinite(v)]
    order = sorted(idx, key=lambda i: p[i])
    out = [float("nan")] * len(p)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(order) - rank) * p[i]))
        out[i] = running
    return out


def summarise(contrasts: Iterable[Contrast]) -> tuple[str, str]:
    """The row's "vs paper" and "at the edge" texts."""
    cs = list(contrasts)
    return "; ".join(versus_paper(c) for c in cs), "; ".join(e for c in cs for e in edges(c))


__all__ = ["EDGE", "Contrast", "Outcome", "versus_paper", "edges", "holm", "summarise"]
