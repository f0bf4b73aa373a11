"""How to cite this artifact, from one source each: the version from ``pyproject.toml``, the commit
from git, the source archive of that commit (``git archive``, shipped beside the rendered book) with
its SHA-256, the commit's Software Heritage identifier, and the repository's location from
``_config.yml`` (``repository.url``; left out of the citation and of the book's buttons until it
names a published location)."""

from __future__ import annotations

import functools
import hashlib
import html
import re
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[4]


def version() -> str:
    """The artifact's version, as ``pyproject.toml`` declares it."""
    project = (ROOT / "pyproject.toml").read_text().split("[project]", 1)[1].split("\n[", 1)[0]
    found = re.search(r'^version\s*=\s*"([^"]+)"', project, re.MULTILINE)
    if found is None:
        raise ValueError("pyproject.toml declares no [project] version")
    return found.group(1)


def repository_url() -> str | None:
    """The published location of the book's source, or None while there is none."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text()) or {}
    url = (config.get("repository") or {}).get("url")
    return url or None


def commit() -> str:
    """The git commit the book was built from, marked where the code differed from it."""
    from ..pipeline.provenance import git_state

    state = git_state()
    sha = state.get("git_commit") or "unknown"
    return sha + (" (with uncommitted changes)" if state.get("dirty") else "")


def software_bibtex() -> str:
    """The artifact's BibTeX entry: version, the commit it was built from, that commit's SWHID, the
    source archive with its SHA-256, and the URL where one is configured."""
    url, swh, name = repository_url(), swhid(), archive_name()
    archive = f"; source archive {name}, SHA-256 {archive_sha256()}" if name else ""
    return (
        "@software{deadpixels_reproduced,\n"
        "  title   = {Dead pixels, re-examined: a reproducible-paper book for Kim et al. (2023)},\n"
        "  author  = {{The deadpixels reproducibility team}},\n"
        f"  year    = {{2026}}, version = {{{version()}}},\n"
        + (f"  url     = {{{url}}},\n" if url else "")
        + (f"  swhid   = {{{swh}}},\n" if swh else "")
        + f"  note    = {{Jupyter Book and Python package deadpixels, commit {commit()}{archive}}}\n}}"
    )


#: The chapter whose rerun "Rerun it" shows: its experiment recomputes in seconds.
RERUN_CHAPTER = "01_rf_vs_accuracy"
_SHA = re.compile(r"[0-9a-f]{40}")


def _sha() -> str | None:
    """The full hash of the commit the book is built from, None where it is unknown."""
    sha = commit().split()[0]
    return sha if _SHA.fullmatch(sha) else None


def short_commit() -> str | None:
    """The first 7 hex digits of the commit the book is built from, None where it is unknown."""
    sha = _sha()
    return sha[:7] if sha else None


def swhid() -> str | None:
    """The commit's Software Heritage identifier. A revision's SWHID is its git commit hash (SWH
    hashes revisions as git does), so it is known from git alone, before any archiving."""
    sha = _sha()
    return f"swh:1:rev:{sha}" if sha else None


def archive_name() -> str | None:
    """The source archive's file name, ``deadpixels-<version>-<short commit>.tar.gz``; None outside
    a git checkout (a book built from an archive names the archive it came from in its footer)."""
    from ..pipeline.provenance import git_state

    state = git_state()  # once: its commit, and whether git (not an archive or a variable) named it
    sha = state.get("git_commit") or ""
    if state.get("commit_from") is not None or not _SHA.fullmatch(sha):
        return None
    return f"deadpixels-{version()}-{sha[:7]}.tar.gz"


def source_archive() -> bytes | None:
    """The exact commit as a ``git archive`` (code, book, ``data/results``; gzip without a timestamp,
    so the same commit always gives the same bytes and SHA-256), or None outside a git checkout."""
    name = archive_name()
    if name is None:
        return None
    return _git_archive(commit().split()[0], name.removesuffix(".tar.gz") + "/")


@functools.lru_cache(maxsize=4)
def _git_archive(sha: str, prefix: str) -> bytes:
    """``git archive`` of one commit, made once per process and commit (a new commit is a new key)."""
    out = subprocess.run(
        ["git", "archive", "--format=tar.gz", f"--prefix={prefix}", sha],
        cwd=ROOT,
        capture_output=True,
        check=False,
        timeout=300,
    )
    if out.returncode != 0:
        raise RuntimeError(f"git archive failed: {out.stderr.decode(errors='replace').strip()}")
    return out.stdout


def archive_sha256() -> str | None:
    """The SHA-256 of :func:`source_archive`, None where there is none."""
    data = source_archive()
    return hashlib.sha256(data).hexdigest() if data is not None else None


def rerun_lines(chapter: str = RERUN_CHAPTER) -> list[str] | None:
    """The three shell lines that take a reader from the source archive to a rerun chapter: unpack
    and enter it, install, recompute the chapter's experiments and rebuild the book."""
    name = archive_name()
    if name is None:
        return None
    folder = name.removesuffix(".tar.gz")
    return [
        f"tar xzf {name} && cd {folder}",
        "python3 -m venv .venv && .venv/bin/pip install -r requirements.txt",
        f".venv/bin/python -m deadpixels run {chapter} --fresh && .venv/bin/jupyter-book build .",
    ]


def rerun_html(chapter: str = RERUN_CHAPTER) -> str:
    """The opening of the "Rerun it" page: the source archive beside the book, its SHA-256, and the
    three lines from it to a rerun chapter; in a book built from an archive, which commit it holds."""
    name, lines = archive_name(), rerun_lines(chapter)
    if name is None or lines is None:  # no checkout: nothing to archive
        return (
            f"<p>This book was built outside a git checkout, from commit <code>{html.escape(commit())}</code>"
            " (the commit its source archive names). The archive it was built from is what to share.</p>"
        )
    code = html.escape("\n".join(lines))
    dirty = ""
    if "uncommitted" in commit():
        dirty = " It holds the commit, without the uncommitted changes this build was made with."
    return (
        f'<p>This book ships with its code and data: <a class="dp-archive" href="{name}">{name}</a>, the exact commit '
        f"it was built from (<code>git archive</code>: the package, the book's sources and <code>data/results</code>), "
        f"SHA-256 <code>{archive_sha256()}</code>.{dirty} Three lines take it to a rerun chapter (chapter 1 "
        "recomputes in seconds; any chapter's name or number works) and a rebuilt book:</p>"
        f'<div class="highlight-bash notranslate"><div class="highlight"><pre>{code}</pre></div></div>'
    )


__all__ = [
    "version",
    "repository_url",
    "commit",
    "short_commit",
    "swhid",
    "archive_name",
    "source_archive",
    "archive_sha256",
    "rerun_lines",
    "rerun_html",
    "software_bibtex",
]
