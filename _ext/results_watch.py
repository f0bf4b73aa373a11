"""Sphinx extension: re-execute a page when the cached results it shows, or the package source, change.

Sphinx re-reads only the pages whose source changed, and a chapter's source does not change when
`python -m deadpixels run ...` writes new results. This extension keeps, per page, a digest of the
result files the page depends on (the experiments it loads with ``book.results(...)`` and those the
claims of its chapter read; the intro and the report depend on every result) and of ``src/deadpixels``.
When a digest differs, the page is marked outdated, so the plain ``jupyter-book build .`` re-executes it
(``execute_notebooks: force``) and shows what the result files hold, and only the pages that need it.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOADS = re.compile(r"book\.results\(([^)]*)\)")


def _results_dir() -> Path:
    return Path(os.environ.get("DEADPIXELS_RESULTS") or ROOT / "data" / "results")


def _hash_files(h: hashlib._Hash, base: Path, pattern: str) -> None:
    # the store's .lock files are how writers take turns, not results: they never mark a page outdated
    for path in sorted(p for p in base.glob(pattern) if p.is_file() and not p.name.endswith(".lock")):
        h.update(str(path.relative_to(base)).encode() + b"\0" + path.read_bytes())


def _experiments(source: str, chapter: str) -> set[str] | None:
    """The experiments a page shows, or None for 'all' (pages that tabulate every claim)."""
    if "claims_table(" in source:
        return None
    names = {n for args in LOADS.findall(source) for n in re.findall(r"[\"']([a-z0-9_]+)[\"']", args)}
    try:  # the claims shown by book.verdicts(chapter) may read more experiments than the page loads
        from deadpixels.paper.claims import CLAIMS

        names |= {n for c in CLAIMS if c.chapter in source for n in (*c.experiments, *c.optional)}
    except ImportError:
        return None
    return names


def digest(source: str, chapter: str) -> str:
    """sha256 over the page's result files, the scale shown, the package source and, for a page that
    cites the commit, the commit."""
    h = hashlib.sha256(os.environ.get("DEADPIXELS_SCALE", "cpu").encode())
    names = _experiments(source, chapter)
    results = _results_dir()
    for name in sorted(names) if names is not None else [""]:
        _hash_files(h, results / name if name else results, "**/*")
    _hash_files(h, ROOT / "src" / "deadpixels", "**/*.py")
    if "citation." in source:  # the page shows the commit (BibTeX, the source archive): a new one re-executes it
        try:
            from deadpixels.paper.book import citation

            h.update(citation.commit().encode())
        except ImportError:
            pass
    return h.hexdigest()


def _outdated(app, env, added, changed, removed):  # noqa: ANN001 - Sphinx's event signature
    stored = getattr(env, "deadpixels_digests", {})
    new, outdated = {}, []
    for doc in env.found_docs:
        path = Path(env.doc2path(doc))
        if not path.is_file():
            continue
        new[doc] = digest(path.read_text(), Path(doc).name)
        if doc in stored and stored[doc] != new[doc] and doc not in added and doc not in changed:
            outdated.append(doc)
    env.deadpixels_digests = new
    return sorted(outdated)


def setup(app):  # noqa: ANN001, ANN201
    app.connect("env-get-outdated", _outdated)
    return {"version": "1.1", "parallel_read_safe": True, "parallel_write_safe": True, "env_version": 2}
