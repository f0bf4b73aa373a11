"""The reproducibility report's tables: verdicts by evidence level, the main claims table (HTML that
wraps at 1280 px), the coverage of every table and figure of the paper, and the anchor of
each claim's latest revision entry (the log itself is the changelog's)."""

from __future__ import annotations

import hashlib
import html
from functools import lru_cache

import pandas as pd

from ..claims import EVIDENCE, VERDICTS
from ..claims.judging.engine import EVIDENCE_MEANING
from ..claims.judging.kp_effect import DATA_SEEN, WRITTEN
from ..claims.judging.verdicts import MEANING, REASONS
from .cross_checks import flips

CHAPTER_TITLES = {
    "01_rf_vs_accuracy": "1. RF vs accuracy",
    "02_erf_saturation": "2. ERF saturation",
    "03_dead_pixels": "3. Dead pixels",
    "04_kernel_padding": "4. Kernel padding",
    "05_perturbation": "5. Perturbation",
    "06_census": "6. Census",
}
#: The paper's tables and figures, and what our book has for each (beyond the claims that cite them).
PAPER_ITEMS = {
    "Table 1": "TRF, Acc@5 and stage-4 ERF of nine ImageNet ResNets on CUB",
    "Table 2": "the same after fine-tuning on Caltech-101",
    "Table 3": "L1 of the output ERF: vanilla, noise, anti-aliasing, KP",
    "Table 4": "Caltech-101 accuracy before and after KP",
    "Table 5": "std over 25 pixels of R_XY and MD",
    "Table 6": "micro-object task: first epoch above 90%",
    "Fig. 1": "checkerboard ERFs",
    "Fig. 2": "odd kernels with even strides",
    "Fig. 3": "a figure of the paper that this book does not cover",
    "Fig. 4": "L1 and L2 before and after KP",
    "Fig. 5": "R_XY against MD over 25 pixels",
    "Fig. 6": "micro-object test-accuracy curves",
}
#: What the book says where no claim row exists.
UNCOVERED = {"Fig. 3": "not covered: this book has no experiment or claim for the paper's Fig. 3"}


def _slug(verdict: str) -> str:
    return "verdict-" + verdict.replace(" ", "-").replace("'", "")


def revision_anchor(claim_id: str) -> str:
    """The id of a claim's latest entry in the report's revision log (what a "rule revised" mark links to)."""
    return f"rev-{claim_id}"


def evidence_levels() -> pd.DataFrame:
    """Each evidence level, strongest first, with its meaning."""
    return pd.DataFrame({"evidence": list(EVIDENCE_MEANING), "meaning": list(EVIDENCE_MEANING.values())})


def verdict_meanings() -> pd.DataFrame:
    """Each verdict with its one meaning, as the claims engine applies it."""
    return pd.DataFrame({"verdict": list(MEANING), "meaning": list(MEANING.values())})


def _text(r: object, name: str) -> str:
    v = getattr(r, name, "")
    return v if isinstance(v, str) else ""


@lru_cache(maxsize=1)
def _flipped() -> dict[str, str]:
    return flips()


def _p_values(text: str) -> str:
    """claims.csv's p-values ("5.37e-05; 0.13; n/a") as every table writes them: "< 0.001" or three
    decimals; a word ("n/a": no contrast there) stays as it is."""
    from .formatting import p_value

    def one(p: str) -> str:
        try:
            return p_value(float(p))
        except ValueError:
            return p

    return "; ".join(one(p) for p in text.split("; ")) if text else ""


def notes_html(r: object) -> str:
    """What sits under a verdict: its stability, a flip on a committed rerun under other settings,
    where each CI stands against the paper's values, CI ends at a decision boundary and the
    Holm-corrected p-values."""
    parts = [
        ("not testable: ", REASONS.get(_text(r, "reason"), _text(r, "reason"))),
        ("without the KP gate (written after these data were seen): ", _text(r, "ungated_verdict")),
        ("", _text(r, "stability")),
        ("verdict on a rerun: ", _flipped().get(_text(r, "claim_id"), "")),
        ("vs paper: ", _text(r, "vs_paper")),
        ("at the edge: ", _text(r, "at_edge")),
        ("Holm-corrected p: ", _p_values(_text(r, "p_holm"))),
    ]
    return "".join(f"<br><small>{label}{html.escape(v)}</small>" for label, v in parts if v)


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Number of claims by verdict (rows) and evidence level (columns, those some claim has), with totals;
    context rows (reason ``context``) are not claims and are not counted."""
    if "reason" in table:
        table = table[table["reason"].fillna("") != "context"]
    t = pd.crosstab(
        pd.Categorical(table["verdict"], VERDICTS),
        pd.Categorical(table["evidence"], EVIDENCE),
        margins=True,
        margins_name="all",
        dropna=False,
    )
    t.index.name, t.columns.name = "verdict", "evidence"
    return t.loc[:, t.loc["all"] > 0]  # an evidence level no claim has (yet) gets no column


def gate_history(table: pd.DataFrame) -> str:
    """The KP gate's history in one paragraph (Markdown), its counts computed from the claims table:
    when it was written, what it judges, and every verdict it moved."""
    moved = table[table.get("ungated_verdict", pd.Series("", index=table.index)).fillna("") != ""]
    rows = ", ".join(f"{r.claim_id} ({r.ungated_verdict})" for r in moved.itertuples()) or "none"
    toward = int((moved["ungated_verdict"] == "reproduced").sum()) if len(moved) else 0
    return (
        f"**The KP gate came after the data.** The rule that a claim about kernel padding is judged only where KP "
        f"took effect (`claims.judging.kp_effect`) was written on {WRITTEN}, after the fine-tuned results it judges "
        f"({DATA_SEEN}) had been computed and shown: it is not pre-registered. It moves {len(moved)} verdicts, all "
        f"to *not testable*; without it they would read: {rows}. Of these, {toward} would read *reproduced*. Each "
        "row shows the verdict without the gate beside its own."
    )


def _protocol_refs(table: pd.DataFrame) -> tuple[dict[str, str], str]:
    """Each distinct protocol of a claims table with its tag (P1, P2, ...) and the anchor prefix of
    this table (several claims tables can share a page)."""
    protocols = list(dict.fromkeys(p for p in table["protocol"] if isinstance(p, str) and p))
    key = hashlib.sha1("\0".join(table["claim_id"]).encode()).hexdigest()[:6]
    return {p: f"P{i}" for i, p in enumerate(protocols, start=1)}, f"protocol-{key}-"


def _evidence_cell(r: object, ref: dict[str, str], anchor: str) -> str:
    """The evidence level and its size in short (model, steps, seeds), with a link to the protocol
    written out once under the table."""
    from .answer import evidence_of

    row = pd.Series(r._asdict())  # type: ignore[attr-defined]
    if r.protocol not in ref:  # type: ignore[attr-defined]
        return html.escape(r.evidence)  # type: ignore[attr-defined]
    tag = ref[r.protocol]  # type: ignore[attr-defined]
    return f'{html.escape(evidence_of(row))}<br><small>protocol <a href="#{anchor}{tag}">{tag}</a></small>'


def _protocol_legend(ref: dict[str, str], anchor: str) -> str:
    """The protocols of a claims table, each written out once, under it."""
    if not ref:
        return ""
    items = "".join(f'<li id="{anchor}{tag}"><b>{tag}</b>: {html.escape(p)}</li>' for p, tag in ref.items())
    return f'<p><small>The protocols (sizes) of the evidence:</small></p><ol class="dp-protocols">{items}</ol>'


def main_table_html(table: pd.DataFrame, chapter_link: str = "chapters/{}.html") -> str:
    """The claims as an HTML table: statement and numbers wrap, verdicts coloured, chapters linked."""
    cols = ["claim", "paper", "evidence and size", "the paper says", "we find", "verdict"]
    head = "".join(f"<th>{c}</th>" for c in cols)
    ref, anchor = _protocol_refs(table)  # each protocol written once, under the table
    rows = []
    for r in table.itertuples():
        chapter = f'<a href="{chapter_link.format(r.chapter)}">{CHAPTER_TITLES.get(r.chapter, r.chapter)}</a>'
        cells = [
            f"<b>{html.escape(r.claim_id)}</b><br>{html.escape(r.statement)}<br><small>{chapter}</small>",
            html.escape(r.paper_ref),
            _evidence_cell(r, ref, anchor),
            html.escape(r.paper),
            html.escape(r.ours),
            f'<span class="{_slug(r.verdict)}">{html.escape(r.verdict)}</span>'
            + notes_html(r)
            + (
                f'<br><small><a href="changelog.html#{revision_anchor(r.claim_id)}">rule revised '
                f"{html.escape(r.revised[5:-1])}</a>"
                "</small>"
                if r.revised
                else ""
            ),
        ]
        rows.append("<tr>" + "".join(f'<td data-label="{k}">{c}</td>' for k, c in zip(cols, cells)) + "</tr>")
    return (
        f'<table class="dp-table dp-wide claims"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
        + _protocol_legend(ref, anchor)
    )


def headline(table: pd.DataFrame) -> str:
    """One sentence per scale, computed from the verdicts: what reproduced, on what evidence, and what did not."""
    out = []
    for scale, t in table[table["verdict"] != "not run at this scale"].groupby("scale", sort=False):
        rep = t[t["verdict"] == "reproduced"]
        by_level = rep["evidence"].value_counts()
        levels = ", ".join(f"{n} {lvl}" for lvl, n in by_level.items())
        nots = ", ".join(t[t["verdict"] == "not reproduced"]["claim_id"]) or "none"
        rest = len(t) - len(rep) - int((t["verdict"] == "not reproduced").sum())
        out.append(
            f"At {scale} scale, {len(rep)} of the {len(t)} claims judged reproduced ({levels or 'none'}); "
            f"not reproduced: {nots}; the other {rest} are inconclusive, partial, smaller than the paper's "
            "or not testable."
        )
    return " ".join(out)


def overview_html(table: pd.DataFrame, chapter_link: str = "chapters/{}.html", rules: bool = False) -> str:
    """The intro's table: one row per claim with its chapter, the paper's number, ours, the evidence
    (its size in short, the protocol written out once under the table) and the verdict as a
    coloured badge; becomes stacked cards on a narrow screen."""
    ref, anchor = _protocol_refs(table)
    rows = []
    for r in table.itertuples():
        link = f'<a href="{chapter_link.format(r.chapter)}">{html.escape(r.claim_id)}</a>'
        cells = [
            ("claim", f"{link}<br>{html.escape(r.statement)}"),
            ("the paper", html.escape(r.paper)),
            ("we find", html.escape(r.ours)),
            ("evidence", _evidence_cell(r, ref, anchor)),
            (
                "verdict",
                f'<span class="badge-verdict {_slug(r.verdict)}">{html.escape(r.verdict)}</span>'
                + notes_html(r)
                + (f"<details><summary>rule</summary><small>{html.escape(r.rule)}</small></details>" if rules else ""),
            ),
        ]
        rows.append("<tr>" + "".join(f'<td data-label="{k}">{v}</td>' for k, v in cells) + "</tr>")
    head = "".join(f"<th>{k}</th>" for k in ("claim", "the paper", "we find", "evidence", "verdict"))
    body = "".join(rows)
    table_html = f'<table class="dp-table dp-wide claims cards"><thead><tr>{head}</tr></thead><tbody>{body}'
    return table_html + "</tbody></table>" + _protocol_legend(ref, anchor)


def coverage(table: pd.DataFrame) -> pd.DataFrame:
    """Every table and figure of the paper with the claims that test it and their verdicts."""
    rows = []
    for item, what in PAPER_ITEMS.items():
        hits = table[table["paper_ref"].str.contains(item.replace(".", r"\."), regex=True)]
        found = "; ".join(f"{r.claim_id}: {r.verdict}" for r in hits.itertuples())
        rows.append({"paper": item, "shows": what, "our claims and verdicts": found or UNCOVERED.get(item, "-")})
    return pd.DataFrame(rows)


__all__ = [
    "summary",
    "gate_history",
    "main_table_html",
    "headline",
    "overview_html",
    "coverage",
    "revision_anchor",
    "verdict_meanings",
    "evidence_levels",
    "PAPER_ITEMS",
    "CHAPTER_TITLES",
]
