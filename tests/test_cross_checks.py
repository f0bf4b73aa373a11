"""Committed reruns of trained experiments are shown claim by claim, and a flipped verdict is marked."""

from __future__ import annotations

import json

from deadpixels.paper.book import cross_checks


def _report(folder, verdict_status):
    doc = {
        "command": "verify kp_finetune --scale cpu",
        "jobs": 2,
        "threads": 1,
        "git_commit": "abcdef1234",
        "date": "2026-12-03T08:00:00+00:00",
        "environment": {"device": "cpu", "cpu_capability": "AVX512", "torch": "2.14.1"},
        "experiments": {
            "kp_finetune": [
                {"item": "runs.L1", "status": "differs (reported, not required)", "note": ""},
                {"item": "verdict kp-lowers-l1", "status": verdict_status, "note": "cached: a; rerun: b"},
                {"item": "contrast kp-lowers-l1: raw L1", "status": "ok", "note": ""},
                {"item": "contrast kp-lowers-l1: peak-normalised L1", "status": "MISMATCH", "note": ""},
            ]
        },
    }
    (folder / "r.json").write_text(json.dumps(doc))


def test_a_held_verdict_and_its_contrasts_are_counted(tmp_path):
    _report(tmp_path, "ok")
    t = cross_checks.claim_checks(tmp_path)
    row = t.iloc[0]
    assert row["claim"] == "kp-lowers-l1" and row["verdict"] == "same"
    assert row["contrasts that agree"] == "1 of 2"
    assert row["per-seed values that differ"] == "1 of 4 items of kp_finetune"
    assert "--jobs 2 --threads 1" in row["rerun"] and cross_checks.flips(tmp_path) == {}


def test_a_flipped_verdict_is_marked(tmp_path):
    _report(tmp_path, "MISMATCH")
    assert cross_checks.flips(tmp_path)["kp-lowers-l1"].startswith("FLIPS (cached: a; rerun: b) on verify")
