"""The changelog and rerun pages' tables: every cached result with its commit, date and run time,
read from the results' provenance (never written by hand), and the rules' revision log with each
entry's verdict then beside today's."""

from __future__ import annotations

import html
from collections.abc import Callable

import pandas as pd

from ..claims import REVISIONS
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


def revisions(today: pd.DataFrame) -> pd.DataFrame:
    """The revision log, one row per entry, oldest first, with the verdict the entry saw and the
    verdict ``today`` (a claims table) gives, so that a verdict that moved since is visible."""
    now = dict(zip(today["claim_id"], today["verdict"]))
    rows = []
    for r in REVISIONS:
        then = r.verdict_then or "not recorded"
        verdict = now.get(r.claim_id, "-")
        moved = " (moved since)" if r.verdict_then and r.verdict_then != verdict else ""
        rows.append(
            {
                "#": r.id,
                "claim": r.claim_id,
                "date": r.date,
                "kind": r.kind + (f" of #{r.corrects}" if r.corrects else ""),
                "change": r.change,
                "reason": r.reason,
                "results that existed": r.results_seen or "-",
                "effect on them": r.effect or "-",
                "verdict then": then,
                "verdict today": verdict + moved,
            }
        )
    return pd.DataFrame(rows)


def revisions_html(today: pd.DataFrame, anchor: Callable[[str], str]) -> str:
    """The revision log as HTML, each claim's latest entry carrying the id ``anchor(claim)`` that
    the report's "rule revised" marks link to."""
    t = revisions(today)
    last = {claim: i for i, claim in enumerate(t["claim"])}
    head = "".join(f"<th>{html.escape(c)}</th>" for c in t.columns)
    rows = []
    for i, r in enumerate(t.itertuples(index=False)):
        ident = f' id="{anchor(r.claim)}"' if last[r.claim] == i else ""
        rows.append(f"<tr{ident}>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in r) + "</tr>")
    return f'<table class="dp-table dp-wide"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


__all__ = ["cached", "results", "run_times", "revisions", "revisions_html"]
