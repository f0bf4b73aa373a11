"""The claims of the paper and their verdicts (engine in :mod:`.engine`, verdicts defined in
:mod:`.verdicts`, outcomes and their comparison with the paper's numbers in :mod:`.outcome`, the
table in :mod:`.table`; rules in :mod:`.structure` for chapters 1-3, :mod:`.finetuned` and
:mod:`.finetuned_erf` for the fine-tuned Lite0 of chapters 4-5 (gated by :mod:`.kp_effect`) and
:mod:`.training` for the from-scratch proxies, :mod:`.zoo` for timm's census; the revision log in
:mod:`.revisions`, checked by :mod:`.fingerprints`). Rows are ordered by chapter, then by registration."""

from . import fills_in, finetuned, finetuned_erf, growth, ineffect, structure, training, zoo  # noqa: F401  (registers every claim)
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
    evaluate,
    load_current,
)
from .outcome import Contrast, Outcome
from .revisions import REVISIONS
from .table import chapter_claims, claims_provenance, claims_table

__all__ = [
    "CLAIMS",
    "compare_verdicts",
    "Claim",
    "Need",
    "Outcome",
    "Contrast",
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
