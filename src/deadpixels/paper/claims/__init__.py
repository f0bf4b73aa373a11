"""The claims of the paper and their verdicts (engine in :mod:`.engine`, verdicts defined in
:mod:`.verdicts`; rules in :mod:`.structure` for chapters 1-3, :mod:`.finetuned` for the fine-tuned
Lite0 of chapters 4-5 and :mod:`.training` for the from-scratch proxies; the revision log in
:mod:`.revisions`). Rows are ordered by chapter, then by registration."""

from . import finetuned, structure, training  # noqa: F401  (registers every claim)
from .agreement import compare_verdicts
from .engine import (
    CLAIMS,
    EVIDENCE,
    INCONCLUSIVE,
    LARGER,
    NOT,
    NOT_RUN,
    NOT_TESTABLE,
    PARTIAL,
    REPRODUCED,
    SMALLER,
    VERDICTS,
    Claim,
    Need,
    chapter_claims,
    claims_provenance,
    claims_table,
    evaluate,
    load_current,
)
from .revisions import REVISIONS

__all__ = [
    "CLAIMS",
    "compare_verdicts",
    "Claim",
    "Need",
    "claims_table",
    "chapter_claims",
    "claims_provenance",
    "evaluate",
    "load_current",
    "VERDICTS",
    "EVIDENCE",
    "REPRODUCED",
    "PARTIAL",
    "NOT",
    "INCONCLUSIVE",
    "SMALLER",
    "LARGER",
    "NOT_TESTABLE",
    "NOT_RUN",
    "REVISIONS",
]
