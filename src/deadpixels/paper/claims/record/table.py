"""The claims table: every claim judged on the cached results, with the columns the book and
``claims.csv`` show. It sits above the engine and the stability check (which judges claims again on
halves of their seeds), so neither imports the other through it."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ...pipeline.provenance import git_state
from ...pipeline.results import Result
from ..judging.engine import CLAIMS, NOT_RUN, NOT_TESTABLE, evaluate, load_current, protocol
from ..judging.outcome import holm, summarise
from ..judging.stability import seed_halves
from .revisions import revised


def _p_text(raw: list[float], adjusted: list[float]) -> str:
    shown = [f"{a:.3g}" if np.isfinite(a) else "n/a" for a in adjusted]
    return "; ".join(shown) if any(np.isfinite(raw)) else ""


def claims_table(scale: str = "cpu", results: dict[str, Result] | None = None) -> pd.DataFrame:
    """Every claim with the paper's value, ours and the verdict from the cached results at ``scale``
    (or from ``results``, by experiment name, where given), each CI held against the paper's own
    values (``vs_paper``), CI ends next to a decision boundary (``at_edge``), the contrasts'
    p-values Holm-corrected over every contrast read at the same scale (``p_holm``), and how far
    kernel padding took effect (``kp_effect``, and the gate's state in ``kp_in_effect``: one of
    :data:`~.kp_effect.KP_STATES`, empty for a claim not about kernel padding)."""
    caches: dict[str, dict[str, Result]] = {}

    def cache_at(s: str) -> dict[str, Result]:
        if results is not None:
            return results
        if s not in caches:
            names = {n for c in CLAIMS if (c.scale or scale) == s for n in (*c.experiments, *c.optional)}
            caches[s] = {n: r for n in sorted(names) if (r := load_current(n, s)) is not None}
        return caches[s]

    rows, contrasts = [], []
    for c in CLAIMS:
        cache = cache_at(c.scale or scale)
        out = evaluate(c, cache)
        vs_paper, at_edge = summarise(out.contrasts)
        contrasts.append(out.contrasts)
        rows.append(
            {
                "claim_id": c.claim_id,
                "chapter": c.chapter,
                "paper_ref": c.paper_ref,
                "statement": c.statement,
                "evidence": c.evidence,
                "protocol": protocol(c, cache),
                "paper": c.paper,
                "ours": out.ours,
                "scale": c.scale or scale,
                "verdict": out.verdict,
                "vs_paper": vs_paper,
                "at_edge": at_edge,
                "p_holm": "",
                "kp_effect": out.kp.text if out.kp else "",
                "kp_in_effect": out.kp.state if out.kp else "",
                "reason": out.reason if out.verdict == NOT_TESTABLE else "",
                "ungated_verdict": out.ungated if out.ungated and out.ungated != out.verdict else "",
                "stability": seed_halves(c, cache) if out.verdict != NOT_RUN else "",
                "rule": c.rule,
                "revised": revised(c.claim_id),
            }
        )
    for s in {row["scale"] for row in rows}:  # Holm over every contrast p read at one scale
        idx = [i for i, row in enumerate(rows) if row["scale"] == s]
        flat = [(i, k.p) for i in idx for k in contrasts[i]]
        adjusted = holm([p for _, p in flat])
        for i in idx:
            mine = [(p, a) for (j, p), a in zip(flat, adjusted) if j == i]
            rows[i]["p_holm"] = _p_text([p for p, _ in mine], [a for _, a in mine])
    return pd.DataFrame(rows).sort_values("chapter", kind="stable").reset_index(drop=True)


def chapter_claims(chapter: str, scale: str = "cpu") -> pd.DataFrame:
    """The claims of one chapter (for the chapter's verdict table)."""
    t = claims_table(scale)
    return t[t["chapter"] == chapter].reset_index(drop=True)


def claims_provenance(scale: str) -> dict:
    """What ``claims.csv`` was computed from: the scale, the code, and the config hash, source hash
    and date of every cached result the verdicts read."""
    used = {}
    pairs = {(n, c.scale or scale) for c in CLAIMS for n in (*c.experiments, *c.optional)}
    for name, at in sorted(pairs):
        res = load_current(name, at)
        used[name if at == scale else f"{name}@{at}"] = (
            None
            if res is None
            else {k: res.provenance.get(k) for k in ("config_hash", "source_hash", "git_commit", "dirty", "date")}
        )
    return {
        "scale": scale,
        **git_state(),
        "results": used,
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }


__all__ = ["claims_table", "chapter_claims", "claims_provenance"]
