"""The revision log is machine-checked: no rule changes without an entry that records its new
fingerprint, and the fingerprint moves with everything that decides a verdict."""

from __future__ import annotations

import pytest

from deadpixels.paper.claims import CLAIMS, contrasts, regions
from deadpixels.paper.claims.fingerprints import fingerprint, fingerprints
from deadpixels.paper.claims.revisions import REVISIONS, latest_fingerprint
from deadpixels.paper.claims.verdicts import Region


def test_every_rule_matches_its_latest_record():
    changed = {
        cid: (latest_fingerprint(cid), now) for cid, now in fingerprints().items() if latest_fingerprint(cid) != now
    }
    assert not changed, (
        "rules changed without a revision entry (claim: recorded -> now); add a Revision with the new fingerprint "
        f"to claims/revisions.py: {changed}"
    )


def test_a_fingerprint_moves_with_a_threshold_a_region_and_the_rule_text(monkeypatch):
    c = next(c for c in CLAIMS if c.claim_id == "kp-lowers-l1-gpu")
    before = fingerprint(c)
    monkeypatch.setattr(contrasts, "GATE_POINTS", 4.0)  # a helper's constant, read through gate()
    assert fingerprint(c) != before
    monkeypatch.undo()
    monkeypatch.setitem(c.evaluate.__globals__, "L1_REGION", Region.below(-0.5))  # the region the rule reads
    assert fingerprint(c) != before
    monkeypatch.undo()
    assert fingerprint(c) == before


def test_the_log_names_real_claims_and_says_which_way_each_change_moved():
    ids = {c.claim_id for c in CLAIMS}
    for r in REVISIONS:
        assert r.claim_id in ids, r.claim_id
        if r.fingerprint:  # the machine-checked era
            assert r.effect, f"{r.claim_id} ({r.date}): say how the change moved the verdict on the data seen"


@pytest.mark.parametrize("name", ["L1_REGION", "COST_REGION", "MICRO_REGION"])
def test_the_paper_regions_lie_on_the_papers_side(name):
    assert getattr(regions, name).hi < 0
