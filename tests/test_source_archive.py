"""The book ships with its code and data: the source archive of the exact commit is complete (a
reader who unpacks it can verify a result without git or this checkout), the same commit always
gives the same bytes, and an unpacked archive still knows which commit it is."""

from __future__ import annotations

import hashlib
import io
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from deadpixels.paper.book import citation
from deadpixels.paper.pipeline import provenance

pytestmark = pytest.mark.skipif(citation.archive_name() is None, reason="not a git checkout")


def _members() -> dict[str, tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(citation.source_archive()), mode="r:gz") as tar:
        return {m.name: m for m in tar.getmembers()}


def test_the_archive_is_named_by_version_and_commit_and_the_same_commit_gives_the_same_bytes():
    name = citation.archive_name()
    assert name == f"deadpixels-{citation.version()}-{citation.short_commit()}.tar.gz"
    first = citation.source_archive()
    citation._git_archive.cache_clear()  # made again, not served from the cache
    assert hashlib.sha256(citation.source_archive()).hexdigest() == hashlib.sha256(first).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", citation.archive_sha256())
    assert citation.swhid() == f"swh:1:rev:{citation.commit().split()[0]}"


def test_the_archive_holds_code_book_and_results_under_one_folder():
    prefix = citation.archive_name().removesuffix(".tar.gz") + "/"
    names = set(_members())
    assert all(n.startswith(prefix) or n == prefix.rstrip("/") for n in names)
    for needed in (
        "README.md",
        "requirements.txt",
        "pyproject.toml",
        "_toc.yml",
        "_config.yml",
        "intro.md",
        "src/deadpixels/__init__.py",
        "data/results/claims.csv",
        "chapters/01_rf_vs_accuracy.md",
    ):
        assert prefix + needed in names, needed
    assert not any("/.venv/" in n or "/_build/" in n for n in names)


def test_the_bibtex_names_version_commit_archive_and_swhid():
    bib = citation.software_bibtex()
    assert f"version = {{{citation.version()}}}" in bib
    assert f"swhid   = {{{citation.swhid()}}}" in bib
    assert citation.archive_name() in bib and citation.archive_sha256() in bib


def test_rerun_lines_start_from_the_archive():
    lines = citation.rerun_lines()
    assert len(lines) == 3 and lines[0].startswith(f"tar xzf {citation.archive_name()}")
    assert "deadpixels run 01_rf_vs_accuracy" in lines[2]


def test_an_unpacked_archive_knows_its_commit_and_verifies_a_result_without_git(tmp_path):
    with tarfile.open(fileobj=io.BytesIO(citation.source_archive()), mode="r:gz") as tar:
        tar.extractall(tmp_path, filter="data")
    root = tmp_path / citation.archive_name().removesuffix(".tar.gz")
    sha = citation.commit().split()[0]
    assert (root / ".git_archival.txt").read_text().strip() == f"commit: {sha}"
    env = {**os.environ, "PYTHONPATH": str(root / "src"), "GIT_CEILING_DIRECTORIES": str(tmp_path)}
    env.pop(provenance.COMMIT_ENV, None)
    state = subprocess.run(
        [
            sys.executable,
            "-c",
            "import deadpixels, json; from deadpixels.paper.pipeline.provenance import git_state;"
            " print(deadpixels.__file__); print(json.dumps(git_state()))",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert Path(state[0]).is_relative_to(root)  # the archive's package, not this checkout's
    assert f'"git_commit": "{sha}"' in state[1] and '"commit_from": ".git_archival.txt"' in state[1]
    out = subprocess.run(
        [sys.executable, "-m", "deadpixels", "verify", "trf", "--quiet"],
        check=False,
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]


def test_a_checkout_inside_another_repository_is_not_taken_for_it(tmp_path, monkeypatch):
    """An archive unpacked inside the reader's own git repository must not claim the reader's commit."""
    monkeypatch.delenv(provenance.COMMIT_ENV, raising=False)
    elsewhere = str(tmp_path)  # git answers for a repository around the unpacked archive

    def git(*args: str) -> str:
        return elsewhere if args[:2] == ("rev-parse", "--show-toplevel") else "f" * 40

    monkeypatch.setattr(provenance, "_git", git)
    monkeypatch.setattr(provenance, "ARCHIVAL", tmp_path / ".git_archival.txt")
    assert provenance.git_state()["git_commit"] is None
    (tmp_path / ".git_archival.txt").write_text("commit: " + "a" * 40 + "\n")
    assert provenance.git_state() == {"git_commit": "a" * 40, "dirty": None, "commit_from": ".git_archival.txt"}
