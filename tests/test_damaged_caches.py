"""Damaged caches are named, never read as empty; read-only commands neither write nor wait; and
``claims`` never rewrites claims.csv from a damaged result (issue #41)."""

import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from deadpixels.paper import cli
from deadpixels.paper.pipeline.locks import lock_path
from deadpixels.paper.pipeline.results import CorruptResult, load_folder

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "data" / "results"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A copy of the committed trf and kp_exact results, without lock files, as the results folder."""
    for exp in ("trf", "kp_exact"):
        shutil.copytree(COMMITTED / exp / "cpu", tmp_path / exp / "cpu")
    monkeypatch.setenv("DEADPIXELS_RESULTS", str(tmp_path))
    return tmp_path


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def _damage(folder: Path, how: str) -> None:
    prov = json.loads((folder / "provenance.json").read_text())
    if how == "files emptied":
        prov["files"] = {}
    elif how == "cells garbage":
        prov["cells"] = "garbage"
    elif how == "files not a map":
        prov["files"] = ["resnets.csv"]
    elif how == "truncated csv, checksum re-recorded":
        import hashlib

        name = next(n for n in prov["files"] if n.endswith(".csv"))
        (folder / name).write_bytes(b"")
        prov["files"][name] = hashlib.sha256(b"").hexdigest()
    (folder / "provenance.json").write_text(json.dumps(prov))


DAMAGE = ["files emptied", "cells garbage", "files not a map", "truncated csv, checksum re-recorded"]


@pytest.mark.parametrize("how", DAMAGE)
def test_a_damaged_result_is_corrupt_with_its_file_named(cache, how):
    folder = cache / "trf" / "cpu"
    _damage(folder, how)
    with pytest.raises(CorruptResult, match=str(folder)):
        load_folder(folder)


@pytest.mark.parametrize("how", DAMAGE)
def test_list_names_the_damage_and_prints_every_other_row(cache, how, capsys):
    _damage(cache / "trf" / "cpu", how)
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    assert "CORRUPT (see below)" in out and "trf (cpu): " in out and str(cache / "trf" / "cpu") in out
    assert out.count("\nkp_exact") == 1  # the other rows are still printed


def test_list_creates_no_file_and_no_folder(cache):
    before = _files(cache)
    assert cli.main(["list"]) == 0
    assert _files(cache) == before


def test_list_does_not_wait_for_a_writer(cache, capsys):
    folder = cache / "trf" / "cpu"
    path = lock_path(folder)
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)  # a writer holds the folder
    try:
        start = time.monotonic()
        assert cli.main(["list"]) == 0
        assert time.monotonic() - start < 30
    finally:
        os.close(fd)
    out = capsys.readouterr().out
    assert "BUSY (being written)" in out and "held by a writer right now" in out


@pytest.mark.parametrize("how", DAMAGE)
def test_claims_refuses_a_damaged_result_and_keeps_claims_csv(cache, how, capsys):
    (cache / "claims.csv").write_text("kept\n")
    _damage(cache / "trf" / "cpu", how)
    assert cli.main(["claims"]) == 2
    assert "trf" in capsys.readouterr().err
    assert (cache / "claims.csv").read_text() == "kept\n"


def test_a_model_file_that_exits_at_import_is_an_error_not_silence(tmp_path):
    model = tmp_path / "m.py"
    model.write_text("import sys\nsys.exit(0)\n")
    out = subprocess.run(
        [sys.executable, "-m", "deadpixels", "check", f"{model}:net"],
        check=False,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert out.returncode == 2, (out.returncode, out.stdout, out.stderr)
    assert "exit" in out.stderr.lower()
