"""The claims of the paper and their verdicts, in three folders, one per job:

- :mod:`.rules`: one module per chapter, the rules (:mod:`.rules.structure` for chapters 1-3,
  :mod:`.rules.finetuned` and :mod:`.rules.finetuned_erf` for the fine-tuned Lite0 of chapters 4-5,
  :mod:`.rules.training` for the from-scratch proxies, :mod:`.rules.zoo` for timm's census, and the
  kernel-padding rows :mod:`.rules.fills_in`, :mod:`.rules.growth`, :mod:`.rules.ineffect`);
- :mod:`.judging`: the engine, the verdicts, the statistics, the regions and the gates, which know
  no particular rule;
- :mod:`.record`: claims.csv's table and provenance, the rules' fingerprints and the revision log.

Imports flow rules -> judging and record -> judging, never the other way, and never between rules
and record (tests/test_structure.py checks it). Rows are ordered by chapter, then by registration."""

from .judging.agreement import compare_verdicts
from .judging.engine import (
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
from .judging.outcome import Contrast, Outcome
from .record.revisions import REVISIONS
from .record.table import chapter_claims, claims_provenance, claims_table
from .rules import fills_in, finetuned, finetuned_erf, growth, ineffect, structure, training, zoo  # noqa: F401  (registers every claim)

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
