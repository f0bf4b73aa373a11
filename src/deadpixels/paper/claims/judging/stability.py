"""Whether an effect on trained evidence is stable across samples: the claim is judged again on two
disjoint halves of its seeds (interleaved: 0, 2, 4, ... and 1, 3, 5, ...), and for every contrast
each half's estimate must lie inside the other half's CI (they agree in direction and magnitude).
It compares effects, not labels: two halves that are each too small to decide still agree or
disagree on the size of the effect."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ...pipeline.results import Result
from .engine import Claim, evaluate

#: The evidence levels that rest on seeds.
SEEDED = ("paper protocol", "reduced protocol", "trained proxy")
#: A seed half with fewer pairs than this gives no check: its CI is too wide to disagree with anything.
MIN_PAIRS = 3


def _seeds(c: Claim, results: dict[str, Result]) -> list:
    found: set = set()
    for name in c.experiments:
        for t in results[name].tables.values():
            if "seed" in t:
                found |= set(t["seed"].dropna().unique())
    return sorted(found)


def _only(results: dict[str, Result], names: tuple[str, ...], seeds: list) -> dict[str, Result]:
    out = dict(results)
    for name in names:
        r = results[name]
        tables = {k: t[t["seed"].isin(seeds)] if "seed" in t else t for k, t in r.tables.items()}
        out[name] = replace(r, tables=tables)
    return out


def _inside(v: float, lo: float, hi: float) -> bool:
    return bool(np.isfinite(v) and np.isfinite(lo) and np.isfinite(hi) and lo <= v <= hi)


def seed_halves(c: Claim, results: dict[str, Result]) -> str:
    """Whether two disjoint halves of the seeds agree in direction and magnitude: for every
    contrast, each half's estimate lies inside the other half's CI ("halves agree"), or which do
    not; "not checked" where a half holds fewer than :data:`MIN_PAIRS` pairs."""
    if c.evidence not in SEEDED:
        return ""
    if any(n not in results for n in c.experiments):
        return ""
    seeds = _seeds(c, results)
    if not seeds:
        return ""  # its CIs come from resampling images, not seeds
    if len(seeds) < 2 * MIN_PAIRS:
        return f"not checked ({len(seeds)} seeds; two halves of {MIN_PAIRS} need {2 * MIN_PAIRS})"
    halves = [evaluate(c, _only(results, c.experiments, seeds[k::2])).contrasts for k in (0, 1)]
    if not halves[0] or len(halves[0]) != len(halves[1]):
        return "not checked (no contrast on a half)"
    fewest = min(k.n for h in halves for k in h)
    if fewest < MIN_PAIRS:
        return f"not checked (a seed half holds {fewest} pairs; {MIN_PAIRS} needed)"
    apart = [
        a.name for a, b in zip(*halves) if not (_inside(a.estimate, b.lo, b.hi) and _inside(b.estimate, a.lo, a.hi))
    ]
    sizes = f"{halves[0][0].n} and {halves[1][0].n} pairs"
    if not apart:
        return f"halves agree ({sizes}: each half's estimate inside the other's CI)"
    return f"halves disagree on {', '.join(apart)} ({sizes})"


__all__ = ["seed_halves", "SEEDED", "MIN_PAIRS"]
