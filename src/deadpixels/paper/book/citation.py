"""How to cite this artifact, from one source each: the version from ``pyproject.toml`` and the
repository's location from ``_config.yml`` (``repository.url``; left out of the citation and of the
book's buttons until it names a published location)."""

from __future__ import annotations

import re
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
    """The artifact's BibTeX entry: version, the commit it was built from, and its URL where one is
    configured."""
    url = repository_url()
    return (
        "@software{deadpixels_reproduced,\n"
        "  title   = {Dead pixels, reproduced: a reproducible-paper book for Kim et al. (2023)},\n"
        "  author  = {{The deadpixels reproducibility team}},\n"
        f"  year    = {{2026}}, version = {{{version()}}},\n"
        + (f"  url     = {{{url}}},\n" if url else "")
        + f"  note    = {{Jupyter Book and Python package deadpixels, commit {commit()}}}\n}}"
    )


__all__ = ["version", "repository_url", "commit", "software_bibtex"]
