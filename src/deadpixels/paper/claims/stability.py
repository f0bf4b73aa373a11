"""Whether a verdict on trained evidence survives another sample: the claim is judged again on two
disjoint halves of its seeds (interleaved: 0, 2, 4, ... and 1, 3, 5, ...). A verdict that either half
does not repeat is marked fragile. Halves have half the power, so a fragile verdict is not a wrong
one; it is one that a rerun with other seeds could change."""

from __future__ import annotations

from dataclasses import replace

from ..pipeline.results import Result
from .engine import Claim, evaluate

#: The evidence levels that rest on seeds.
SEEDED = ("paper protocol", "trained proxy")


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


def seed_halves(c: Claim, results: dict[str, Result], verdict: str) -> str:
    """ "stable", "fragile (halves: a / b)", or why the check does not apply."""
    if c.evidence not in SEEDED:
        return ""
    if any(n not in results for n in c.experiments):
        return ""
    seeds = _seeds(c, results)
    if not seeds:
        return ""  # its CIs come from resampling images, not seeds
    if len(seeds) < 4:
        return f"not checked ({len(seeds)} seeds)"
    halves = [evaluate(c, _only(results, c.experiments, seeds[k::2]))[1] for k in (0, 1)]
    if all(h == verdict for h in halves):
        return "stable (both seed halves agree)"
    return f"fragile (seed halves: {halves[0]} / {halves[1]})"


__all__ = ["seed_halves", "SEEDED"]
