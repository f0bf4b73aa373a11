"""The book's answer in one table, for the top of the landing page: one row per claim of the paper,
saying in plain words what we find, on what evidence (model, steps, seeds; partial where partial),
the main caveat, and where to read more. Every word that states a finding is computed from the
claims table (its verdicts, protocols, KP gate), so a changed verdict changes the sentence; only
the claims' names and the meaning of each verdict are written here."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import pandas as pd

from ..claims.judging.verdicts import REASONS
from ..claims.rules.finetuned import PAPER_STEPS


@dataclass(frozen=True)
class PaperClaim:
    """One of the paper's five claims and the claims of the table that judge it, with short names."""

    chapter: str
    claim: str
    parts: tuple[tuple[str, str], ...]  # (claim_id, short name)


PAPER_CLAIMS = (
    PaperClaim("01_rf_vs_accuracy", "RF size does not predict accuracy",
               (("trf-not-accuracy", "TRF, nine ResNets"), ("trf-not-accuracy-zoo", "TRF, every torchvision CNN"),
                ("erf-not-accuracy", "trained ERF, EfficientNet-Lite"))),
    PaperClaim("02_erf_saturation", "The ERF saturates with depth",
               (("erf-saturation", "EfficientNet-Lite0 to Lite2"), ("erf-saturation-resnets", "ResNet-50 to -152"))),
    PaperClaim("03_dead_pixels", "Dead pixels come from odd kernels with even strides",
               (("checkerboard", "checkerboard in trained ERFs"), ("cause-odd-even", "odd/even as the cause"))),
    PaperClaim("04_kernel_padding",
               "Kernel padding removes the imbalance, more smoothly than noise or anti-aliasing, at about 1% accuracy",
               (("kp-fills-in-paper", "the paper's zero-init KP fills in by its length"),
                ("kp-lattice-gpu", "flattens the checkerboard (fine-tuned)"),
                ("kp-smoother-gpu", "smoother than noise training and BlurPool"), ("kp-accuracy-gpu", "accuracy cost"),
                ("kp-lattice-ineffect", "flattens the checkerboard, KP in effect from step 0 (fine-tuned)"),
                ("kp-lattice-scratch", "flattens the checkerboard, trained from scratch"),
                ("kp-lowers-l1-scratch", "lower L1, trained from scratch"))),
    PaperClaim("05_perturbation", "The imbalance hurts tasks where single pixels matter",
               (("theorem1-gpu", "Theorem 1 (fine-tuned, gpu scale)"),
                ("theorem1", "Theorem 1 (fine-tuned, cpu scale)"),
                ("theorem1-scratch", "Theorem 1 (from scratch)"),
                ("micro-object", "micro-object task"), ("translation-gpu", "translation"))),
)

#: Exact checks, shown apart from the empirical verdicts: they hold or fail by arithmetic.
ARITHMETIC = (("trf-table1", "TRFs of Table 1"), ("acc5-table1", "Acc@5 of Table 1"),
              ("fig2-coverage", "window counts of Fig. 2"), ("kp-exact", "zero-init KP leaves outputs unchanged"))

#: What each verdict means, in plain words.
PLAIN = {
    "reproduced": "holds",
    "partially reproduced": "holds in part",
    "not reproduced": "does not hold",
    "smaller than the paper's": "holds, but smaller than the paper's",
    "larger than the paper's": "holds, and larger than the paper's",
    "inconclusive": "undecided",
    "not testable at this scale": "not testable here",
    "not run at this scale": "not run yet",
}

#: What each evidence level without a protocol rests on.
BASIS = {
    "exact": "exact: the nine torchvision ResNets' TRFs and published accuracies",
    "structural": "structural: every torchvision CNN's architecture, no weights",
    "untrained proxy": "untrained proxy: random-init ResNets",
    "extension": "extension: torchvision's metadata",
}


@dataclass(frozen=True)
class AnswerRow:
    chapter: str
    claim: str
    finding: str
    evidence: str
    caveat: str


def _rows(table: pd.DataFrame) -> dict[str, pd.Series]:
    return {r["claim_id"]: r for _, r in table.iterrows()}


def _text(value: object) -> str:
    return "" if value is None or pd.isna(value) else str(value)


def evidence_of(row: pd.Series) -> str:
    """The size of one claim's evidence from its protocol: model and steps, seeds or images, partial."""
    protocol = _text(row.get("protocol"))
    if not protocol:
        return BASIS.get(row["evidence"], row["evidence"])
    level = f"{row['evidence']}: "
    flat = re.sub(r"\s*\([^)]*\)", "", protocol).split(". ")[0]
    main, _, rest = flat.partition("; ")
    parts = main.split(", ")
    keep = [parts[0]] + [p for p in parts[1:] if "seeds" in p or p.startswith("ERF on")]
    if "partial run" in rest or "partial run" in _text(row.get("ours")):
        keep.append("partial run")
    return level + ", ".join(keep)


def caveat_of(rows: list[pd.Series]) -> str:
    """The main caveat of a group of claims, first that applies: KP did not take effect; a proxy
    stands in for the paper's trained ResNets; a reduced protocol."""
    gate = next((_text(r.get("kp_effect")) for r in rows if r.get("kp_in_effect") == "did not take effect"), "")
    if gate:
        what = gate.split(" (")[0].replace(": its padded entries hold ", " (its padded entries: ")
        return what + (")" if "(" in what else "") + ", so KP's own claims are not judged"
    levels = [r["evidence"] for r in rows]
    if any("proxy" in lvl for lvl in levels):
        return "a proxy stands in for the paper's ImageNet ResNets (EfficientNet-Lite, small ResNets)"
    if "reduced protocol" in levels:
        return f"a reduced protocol: far fewer SGD steps than the paper's about {PAPER_STEPS:,}"
    return "none beyond the evidence named"


def finding_of(row: pd.Series) -> str:
    """What one claim's row says, in plain words: its verdict, why it is not testable, and where its CI
    stands against the paper's own values (all read from the row, none typed)."""
    text = PLAIN.get(row["verdict"], row["verdict"])
    reason = _text(row.get("reason"))
    if reason:
        text += f" ({REASONS.get(reason, reason).split(' (')[0]})"
    if _text(row.get("ungated_verdict")):
        text += f"; {row['ungated_verdict']} without the KP gate"
    vs = _text(row.get("vs_paper"))
    if "excludes every value the paper reported" in vs and row["verdict"] != "not reproduced":
        text += "; the paper's own values lie outside our CI"
    elif "includes every value the paper reported" in vs and row["verdict"] == "inconclusive":
        text += "; our CI holds both no effect and the paper's values"
    return text


def answer(table: pd.DataFrame) -> list[AnswerRow]:
    """One :class:`AnswerRow` per claim of the paper, from the claims table."""
    by_id = _rows(table)
    out = []
    for pc in PAPER_CLAIMS:
        rows = [(by_id[cid], name) for cid, name in pc.parts if cid in by_id]
        finding = " | ".join(f"{name}: {finding_of(r)}" for r, name in rows) or "not run yet"
        evidence = "; ".join(dict.fromkeys(evidence_of(r) for r, _ in rows))
        out.append(AnswerRow(pc.chapter, pc.claim, finding, evidence, caveat_of([r for r, _ in rows])))
    return out


def arithmetic(table: pd.DataFrame) -> str:
    """The exact checks in one sentence (verdict and our number each)."""
    by_id = _rows(table)
    out = []
    for cid, name in ARITHMETIC:
        if cid in by_id:
            ours = _text(by_id[cid]["ours"]).split(":")[0]
            out.append(f"{name}: {PLAIN.get(by_id[cid]['verdict'], by_id[cid]['verdict'])}"
                       + (f" ({ours})" if "[" not in ours and len(ours) < 40 else ""))
    return "; ".join(out)


def beyond(table: pd.DataFrame) -> str:
    """What this book adds beyond the paper, with the censuses' numbers from their claims."""
    rows = _rows(table)

    def numbers(claim_id: str) -> str:
        row = rows.get(claim_id)
        return f" ({_text(row['ours']).split(' (')[0]}; {row['verdict']})" if row is not None else ""

    return (
        f"a dead-pixel census of the torchvision CNNs{numbers('cause-odd-even')} and of one timm model per "
        f"architecture family{numbers('cause-odd-even-timm')}; `python -m deadpixels check` for any model, "
        "squeeze-and-excitation nets along their spatial path; L1 split into magnitude and shape; effective padding"
    )


def answer_html(table: pd.DataFrame, chapter_link: str = "chapters/{}.html") -> str:
    """The answer as a table that becomes cards on a phone, then the exact checks and the extensions."""
    cols = ("the paper's claim", "what we find", "evidence; main caveat")
    body = []
    for row in answer(table):
        claim = f'<a href="{chapter_link.format(row.chapter)}">{html.escape(row.claim)}</a>'
        caveat = f'<br><span class="answer-caveat">Caveat: {html.escape(row.caveat)}</span>'
        cells = (claim, html.escape(row.finding), html.escape(row.evidence) + caveat)
        body.append("<tr>" + "".join(f'<td data-label="{k}">{v}</td>' for k, v in zip(cols, cells)) + "</tr>")
    head = "".join(f"<th>{c}</th>" for c in cols)
    return (
        f'<table class="dp-table claims cards answer"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody>'
        f'</table><p class="answer-extra"><b>Exact checks</b> (arithmetic, apart from the verdicts above): '
        f"{html.escape(arithmetic(table))}.<br><b>Beyond the paper:</b> {html.escape(beyond(table))}.</p>"
    )


__all__ = [
    "PAPER_CLAIMS", "ARITHMETIC", "PLAIN", "AnswerRow", "finding_of", "answer", "arithmetic", "beyond", "answer_html",
]
