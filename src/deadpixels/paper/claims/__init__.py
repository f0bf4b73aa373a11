"""The claims of the paper and their verdicts (engine in :mod:`.engine`; rules in :mod:`.structure`
for chapters 1-3 and :mod:`.training` for chapters 4-5; the revision log in :mod:`.revisions`)."""

from . import (  # noqa: F401  (registers every claim)
    gpu,  # noqa: F401, I001  (the gpu-scale rules, registered after the cpu-scale ones)
    structure,
    training,
)
from .agreement import compare_verdicts
from .engine import (
    CLAIMS,
    EVIDENCE,
    INCONCLUSIVE,
    NOT,
    NOT_RUN,
    NOT_TESTABLE,
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
    "NOT_TESTABLE",
    "NOT_RUN",
    "REVISIONS",
]
