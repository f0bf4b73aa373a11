"""The revision log is machine-checked: no rule changes without an entry that records its new
fingerprint, the fingerprint moves with everything that decides a verdict, and the log is
append-only (its git history proves that no committed entry was changed or removed)."""

from __future__ import annotations

import dataclasses
import functools
import json
import subprocess
import sys
from pathlib import Path

import pytest

from deadpixels.paper.claims import CLAIMS
from deadpixels.paper.claims.judging import contrasts, regions
from deadpixels.paper.claims.judging.verdicts import Region
from deadpixels.paper.claims.record.fingerprints import fingerprint, fingerprints
from deadpixels.paper.claims.record.revisions import LOG, REVISIONS, append, latest_fingerprint, read

ROOT = Path(__file__).resolve().parents[1]


def _claim(claim_id: str):  # noqa: ANN202
    return next(c for c in CLAIMS if c.claim_id == claim_id)


def test_every_rule_matches_its_latest_record():
    changed = {
        cid: (latest_fingerprint(cid), now) for cid, now in fingerprints().items() if latest_fingerprint(cid) != now
    }
    assert not changed, (
        "rules changed without a revision entry (claim: recorded -> now); append one with scripts/log_revision.py: "
        f"{changed}"
    )


def test_a_fingerprint_moves_with_a_threshold_a_region_and_the_rule_text(monkeypatch):
    c = _claim("kp-lowers-l1-gpu")
    before = fingerprint(c)
    monkeypatch.setattr(contrasts, "GATE_POINTS", 4.0)  # a helper's constant, read through gate()
    assert fingerprint(c) != before
    monkeypatch.undo()
    monkeypatch.setitem(c.evaluate.__globals__, "L1_REGION", Region.below(-0.5))  # the region the rule reads
    assert fingerprint(c) != before
    monkeypatch.undo()
    assert fingerprint(c) == before


def test_a_fingerprint_moves_with_a_dict_constant_of_the_papers_tables(monkeypatch):
    c = _claim("acc5-table1")
    before = fingerprint(c)
    table1 = c.evaluate.__globals__["TABLE1"]
    edited = {**table1, "resnet34": {**table1["resnet34"], "acc5": table1["resnet34"]["acc5"] + 0.01}}
    monkeypatch.setitem(c.evaluate.__globals__, "TABLE1", edited)
    assert fingerprint(c) != before


def test_a_fingerprint_moves_with_lite_depth_behind_its_cache(monkeypatch):
    c = _claim("erf-saturation")
    before = fingerprint(c)

    @functools.lru_cache(maxsize=8)
    def lite_depth(name: str) -> int:
        return 7  # an edited body

    monkeypatch.setitem(c.evaluate.__globals__, "lite_depth", lite_depth)
    assert fingerprint(c) != before


@pytest.mark.parametrize(
    "field, value",
    [("evidence", "trained proxy"), ("scale", "paper"), ("needs", ()), ("optional", ("census",)), ("paper", "x0.1")],
)
def test_a_fingerprint_moves_with_the_declaration(field, value):
    c = _claim("kp-lowers-l1")
    assert fingerprint(dataclasses.replace(c, **{field: value})) != fingerprint(c)


def test_the_log_names_real_claims_and_says_which_way_each_change_moved():
    ids = {c.claim_id for c in CLAIMS}
    for r in REVISIONS:
        assert r.claim_id in ids, r.claim_id
        if r.fingerprint and r.kind != "baseline":  # the machine-checked era
            assert r.effect, f"{r.claim_id} ({r.date}): say how the change moved the verdict on the data seen"
        if r.date >= "2026-12-03":  # entries record the verdict and value they saw from then on
            assert r.verdict_then and r.value_then, f"entry {r.id} ({r.claim_id}) lacks its verdict and value then"


def first_rewrite(old: str, new: str) -> int | None:
    """The 1-based number of the first line of ``old`` that ``new`` does not keep as it was (None:
    ``new`` only appends)."""
    a, b = old.splitlines(), new.splitlines()
    for i, line in enumerate(a):
        if i >= len(b) or b[i] != line:
            return i + 1
    return None


def test_first_rewrite_catches_an_edit_a_removal_and_a_reordering():
    old = "a\nb\nc\n"
    assert first_rewrite(old, old + "d\n") is None
    assert first_rewrite(old, "a\nB\nc\n") == 2
    assert first_rewrite(old, "a\nc\n") == 2
    assert first_rewrite(old, "a\nb\n") == 3
    assert first_rewrite(old, "b\na\nc\n") == 1


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def log_history(path: str) -> list[tuple[str, str]]:
    """(commit, the file's path at that commit) for every commit that touched ``path``, oldest first,
    following renames: the log moved from claims/ to claims/record/ and its history moved with it."""
    out = _git("log", "--follow", "--format=%x00%H", "--name-only", "--", path)
    pairs = []
    for block in out.split("\0")[1:]:
        commit, *names = [line for line in block.splitlines() if line.strip()]
        pairs.append((commit, names[-1] if names else path))
    return pairs[::-1]


def test_the_logs_history_goes_back_past_its_move_to_the_record_folder():
    try:
        history = log_history(LOG.relative_to(ROOT).as_posix())
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    if _git("rev-parse", "--is-shallow-repository").strip() == "true":
        pytest.skip("a shallow clone lacks the log's history")
    assert history[0][1] == "src/deadpixels/paper/claims/revisions.jsonl", history[0]


def test_no_committed_entry_was_ever_changed_or_removed():
    """Walk every committed version of the log, oldest first, then the working tree: each extends the last."""
    try:
        _git("rev-parse", "--git-dir")
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: the history cannot be walked")
    if _git("rev-parse", "--is-shallow-repository").strip() == "true":
        pytest.skip("a shallow clone lacks the log's history")
    path = LOG.relative_to(ROOT).as_posix()
    history = log_history(path)
    assert history, f"{path} has no committed version"
    versions = []
    for commit, at in history:
        try:
            versions.append((commit[:7], _git("show", f"{commit}:{at}")))
        except subprocess.CalledProcessError:  # the commit deleted the file
            versions.append((commit[:7], ""))
    versions.append(("working tree", LOG.read_text(encoding="utf-8")))
    for (a, old), (b, new) in zip(versions, versions[1:]):
        line = first_rewrite(old, new)
        assert line is None, f"{b} changed or removed line {line} of {path} as committed in {a}; append a correction"


def test_append_writes_one_new_line_and_keeps_every_old_one(tmp_path):
    log = tmp_path / "log.jsonl"
    log.write_text(LOG.read_text(encoding="utf-8"), encoding="utf-8")
    before = log.read_text(encoding="utf-8")
    r = append(log, claim_id="kp-exact", date="2026-12-03", kind="correction", change="c", reason="r",
               results_seen="", effect="none", corrects=1, verdict_then="reproduced", value_then="v")
    assert r.id == len(REVISIONS) + 1
    assert first_rewrite(before, log.read_text(encoding="utf-8")) is None
    assert read(log)[-1] == r


def test_a_broken_log_is_refused_with_the_line_named(tmp_path):
    log = tmp_path / "log.jsonl"
    lines = LOG.read_text(encoding="utf-8").splitlines()
    del lines[2]  # an entry removed: the ids no longer count up
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 3: id 4"):
        read(log)
    entry = json.loads(lines[0]) | {"kind": "rewrite"}
    log.write_text(json.dumps(entry) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="kind must be one of"):
        read(log)


@pytest.mark.parametrize("name", ["L1_REGION", "COST_REGION", "MICRO_REGION"])
def test_the_paper_regions_lie_on_the_papers_side(name):
    assert getattr(regions, name).hi < 0


def test_a_fingerprint_moves_with_a_core_function_a_rule_reaches(monkeypatch):
    """fig2-coverage reads kernel_padding.window_coverage (the core): editing it moves the fingerprint."""
    from deadpixels import kernel_padding

    c = _claim("fig2-coverage")
    before = fingerprint(c)
    original = kernel_padding.window_coverage

    def window_coverage(length: int, kernel: int, stride: int, padding: int = 0):  # noqa: ANN202
        return original(length, kernel, stride, padding)[::-1]

    window_coverage.__module__ = original.__module__
    monkeypatch.setitem(c.evaluate.__globals__, "window_coverage", window_coverage)
    assert fingerprint(c) != before


def test_fingerprints_are_the_same_in_a_fresh_process():
    code = (
        "import json; from deadpixels.paper.claims.record import fingerprints as f; print(json.dumps(f.fingerprints()))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == fingerprints()
