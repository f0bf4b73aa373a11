"""The claims of the paper and their verdicts (engine in :mod:`.engine`; rules in :mod:`.structure`
for chapters 1-3 and :mod:`.training` for chapters 4-5)."""

from . import structure, training  # noqa: F401  (registers every claim)
from .engine import (
    CLAIMS,
    NOT,
    NOT_RUN,
    PARTIAL,
    REPRODUCED,
    VERDICTS,
    Claim,
    Need,
    chapter_claims,
    claims_provenance,
    claims_table,
    evaluate,
    load_current,
)

__all__ = [
    "CLAIMS",
    "Claim",
    "Need",
    "claims_table",
    "chapter_claims",
    "claims_provenance",
    "evaluate",
    "load_current",
    "VERDICTS",
    "REPRODUCED",
    "PARTIAL",
    "NOT",
    "NOT_RUN",
]
