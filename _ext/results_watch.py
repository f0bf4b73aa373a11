"""Sphinx extension: rebuild every page when the cached results or the package source change.

Sphinx re-reads only the pages whose source changed, and the chapters' sources do not change when
`python -m deadpixels run ...` writes new results. This extension keeps a digest of
``data/results`` (or ``$DEADPIXELS_RESULTS``) and of ``src/deadpixels`` in the build environment and
marks every page outdated when it differs, so the plain ``jupyter-book build .`` re-executes the
chapters (``execute_notebooks: force``) and shows what the result files hold.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def digest() -> str:
    """sha256 over the names and contents of the result files and of the package source."""
    results = Path(os.environ.get("DEADPIXELS_RESULTS") or ROOT / "data" / "results")
    h = hashlib.sha256(os.environ.get("DEADPIXELS_SCALE", "cpu").encode())
    for base, pattern in ((results, "*"), (ROOT / "src" / "deadpixels", "*.py")):
        for path in sorted(p for p in base.rglob(pattern) if p.is_file()):
            h.update(str(path.relative_to(base)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def _outdated(app, env, added, changed, removed):  # noqa: ANN001 - Sphinx's event signature
    new, old = digest(), getattr(env, "deadpixels_digest", None)
    env.deadpixels_digest = new
    if old is None or old == new:
        return []
    return sorted(set(env.found_docs) - set(added) - set(changed))


def setup(app):  # noqa: ANN001, ANN201
    app.connect("env-get-outdated", _outdated)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
