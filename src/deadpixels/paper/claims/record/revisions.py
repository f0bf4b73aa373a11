"""The revision log of the claims' rules, an append-only file (``revisions.jsonl``, one JSON object
a line). A rule must be fixed before the results it judges; every rule changed after results it
judges existed has an entry with the reason, the results that existed, how the change moved the
verdict on them, and the verdict and value as they were when the entry was written.

Entries are never edited or removed: a wrong entry gets a new entry that ``corrects`` it, and a
test walks the file's git history and fails when a committed line changed (tests/test_revisions.py).

Machine check: every rule has a fingerprint (:mod:`.fingerprints`); a test fails when a rule's
fingerprint differs from the latest one the log records for it, so no rule changes without an entry.
New entries are written by :func:`append` (``scripts/log_revision.py`` computes their fingerprint,
verdict and value), never by hand-editing old lines."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

#: The log file, next to this module.
LOG = Path(__file__).with_name("revisions.jsonl")
#: What an entry records: a rule change, a fingerprint recorded without a change (``baseline``: when
#: fingerprints were introduced; ``definition``: the fingerprint's definition changed), a change found
#: and logged after the fact (``late``), a correction of an earlier entry, a change of how a verdict
#: is told that leaves the rule as it was (``refactor``).
KINDS = ("rule", "baseline", "definition", "late", "correction", "refactor")


@dataclass(frozen=True)
class Revision:
    id: int
    claim_id: str
    date: str
    kind: str
    change: str
    reason: str
    results_seen: str  # which results (experiment @ commit) existed when the entry was written
    effect: str = ""  # how the change moved the verdict on those results (old -> new, per row)
    fingerprint: str = ""  # the rule's fingerprint after the change (entries from 2026-11-26 on)
    verdict_then: str = ""  # the verdict when the entry was written ("" before 2026-12-03: not recorded)
    value_then: str = ""  # our value when the entry was written
    corrects: int | None = None  # the id of the entry this one corrects

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"revision {self.id}: kind must be one of {KINDS}; got {self.kind!r}")
        if self.kind == "correction" and self.corrects is None:
            raise ValueError(f"revision {self.id}: a correction names the entry it corrects")


def read(path: Path = LOG) -> tuple[Revision, ...]:
    """Every entry of the log, checked: ids 1, 2, 3, ... in order, corrections naming earlier entries."""
    names = {f.name for f in fields(Revision)}
    out: list[Revision] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        data = json.loads(line)
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"{path.name} line {number}: unknown fields {sorted(unknown)}")
        r = Revision(**data)
        if r.id != number:
            raise ValueError(f"{path.name} line {number}: id {r.id}, expected {number} (entries are never removed)")
        if r.corrects is not None and not 1 <= r.corrects < r.id:
            raise ValueError(f"{path.name} line {number}: corrects {r.corrects}, not an earlier entry")
        out.append(r)
    return tuple(out)


REVISIONS: tuple[Revision, ...] = read()


def line_of(r: Revision) -> str:
    """The entry as its line of the log."""
    return json.dumps(asdict(r), ensure_ascii=False)


def append(path: Path = LOG, **entry: object) -> Revision:
    """Append one entry (its id is the next one) and return it; old lines are never rewritten."""
    existing = read(path) if path.exists() else ()
    r = Revision(id=len(existing) + 1, **entry)  # type: ignore[arg-type]
    with path.open("a", encoding="utf-8") as f:
        f.write(line_of(r) + "\n")
        f.flush()
        os.fsync(f.fileno())
    return r


def latest_fingerprint(claim_id: str, log: tuple[Revision, ...] = REVISIONS) -> str | None:
    """The fingerprint the log records for the claim's current rule (None if none is recorded)."""
    marks = [r.fingerprint for r in log if r.claim_id == claim_id and r.fingerprint]
    return marks[-1] if marks else None


def revised(claim_id: str) -> str:
    """'yes (date)' when the claim's rule has a logged change (a rule change, a late one or a
    correction), else ''."""
    dates = [r.date for r in REVISIONS if r.claim_id == claim_id and r.kind in ("rule", "late", "correction")]
    return f"yes ({dates[-1]})" if dates else ""


__all__ = ["LOG", "KINDS", "Revision", "REVISIONS", "read", "append", "line_of", "latest_fingerprint", "revised"]
