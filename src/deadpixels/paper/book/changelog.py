"""The changelog and rerun pages' tables: every cached result with its commit, date and run time,
read from the results' provenance (never written by hand)."""

from __future__ import annotations

import pandas as pd

from ..experiments import EXPERIMENTS
from ..pipeline.collect import partial_note
from ..pipeline.experiment import SCALES
from ..pipeline.provenance import code_status
from ..pipeline.results import CacheError, Result, load


def cached() -> list[Result]:
    """Every current cached result, by experiment and scale."""
    out = []
    for name in sorted(EXPERIMENTS):
        for scale in SCALES:
            if scale not in EXPERIMENTS[name].configs:
                continue
            try:
                out.append(load(EXPERIMENTS[name], scale))
            except CacheError:
                continue
    return out


def results() -> pd.DataFrame:
    """One row per cached result: date, commit, device, and whether its code changed since."""
    rows = []
    for r in cached():
        p = r.provenance
        rows.append(
            {
                "experiment": r.experiment,
                "scale": r.scale,
                "date": (p.get("date") or "")[:10],
                "commit": (p.get("git_commit") or "")[:7],
                "device": p.get("environment", {}).get("device"),
                "code now": code_status(p),
                "note": partial_note(r) or "",
            }
        )
    return pd.DataFrame(rows)


def run_times() -> pd.DataFrame:
    """How long each cached result took to compute, and where."""
    rows = []
    for r in cached():
        p = r.provenance
        wall = p.get("wall_time_s")
        rows.append(
            {
                "experiment": r.experiment,
                "scale": r.scale,
                "wall time (min)": round(wall / 60, 1) if wall else None,
                "device": p.get("environment", {}).get("device"),
                "CPU threads": p.get("environment", {}).get("cpu_threads"),
                "note": partial_note(r) or "",
            }
        )
    return pd.DataFrame(rows)


__all__ = ["cached", "results", "run_times"]
