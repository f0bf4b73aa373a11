"""Append entries to the rules' revision log (src/deadpixels/paper/claims/record/revisions.jsonl), one per
claim, each with the claim's current fingerprint and its verdict and value as they are now.

    python scripts/log_revision.py --claims kp-lattice,kp-lattice-gpu --kind rule --date 2026-12-03 \
        --change "..." --reason "..." --before /tmp/claims-before.csv

``--before`` is a claims table computed before the change (``python -m deadpixels claims --out F``,
or the committed data/results/claims.csv): the effect is then written per row as "old -> new (our
value now)". Old lines are never touched; a wrong entry is corrected by a new one (``--corrects``).
"""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from deadpixels.paper.claims import CLAIMS, claims_table, load_current
from deadpixels.paper.claims.record.fingerprints import fingerprint
from deadpixels.paper.claims.record.revisions import KINDS, append


def results_seen(claim_id: str) -> str:
    """The results the claim reads, as experiment@commit (scale)."""
    c = next(c for c in CLAIMS if c.claim_id == claim_id)
    scale = c.scale or "cpu"
    seen = []
    for name in (*c.experiments, *c.optional):
        r = load_current(name, scale)
        if r is not None:
            seen.append(f"{name}@{str(r.provenance.get('git_commit', '?'))[:7]} ({scale})")
    return ", ".join(seen) or "none cached"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--claims", required=True, help="comma-separated claim ids")
    p.add_argument("--kind", required=True, choices=KINDS)
    p.add_argument("--date", required=True)
    p.add_argument("--change", required=True)
    p.add_argument("--reason", required=True)
    p.add_argument("--results-seen", default="", help="default: the cached results each claim reads")
    p.add_argument("--effect", default="", help="default: old -> new from --before")
    p.add_argument("--before", help="a claims table (csv) computed before the change")
    p.add_argument("--corrects", type=int)
    a = p.parse_args(argv)
    ids = [s for s in a.claims.split(",") if s]
    known = {c.claim_id: c for c in CLAIMS}
    unknown = [i for i in ids if i not in known]
    if unknown:
        print(f"log_revision: unknown claims {unknown}; known: {sorted(known)}", file=sys.stderr)
        return 2
    now = claims_table().set_index("claim_id")
    before = pd.read_csv(a.before).set_index("claim_id") if a.before else None
    for cid in ids:
        verdict, ours = str(now.loc[cid, "verdict"]), str(now.loc[cid, "ours"])
        effect = a.effect
        if not effect and before is not None:
            old = str(before.loc[cid, "verdict"]) if cid in before.index else "(no row)"
            effect = f"{old} -> {verdict}" + (" (unchanged)" if old == verdict else "") + f": {ours}"
        r = append(
            claim_id=cid,
            date=a.date,
            kind=a.kind,
            change=a.change,
            reason=a.reason,
            results_seen=a.results_seen or results_seen(cid),
            effect=effect,
            fingerprint=fingerprint(known[cid]),
            verdict_then=verdict,
            value_then=ours,
            corrects=a.corrects,
        )
        print(f"{r.id}: {cid} {r.fingerprint} {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
