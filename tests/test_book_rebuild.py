"""The book shows what the result files hold: a rebuild after new results re-executes the pages,
and a missing result stops the build with the command that computes it (a one-page book)."""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from deadpixels.paper.experiments import get_experiment
from deadpixels.paper.pipeline.context import RunContext
from deadpixels.paper.pipeline.results import run_and_save

QUIET = RunContext(progress=False)

ROOT = Path(__file__).resolve().parents[1]
JUPYTER_BOOK = Path(sys.executable).with_name("jupyter-book")
PAGE = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# One page

```{code-cell} ipython3
from deadpixels.paper import book
print("TRF-VALUE", int(book.results("trf")["trf"].tables["resnets"]["trf"].iloc[0]))
```
"""


def _build(book: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(JUPYTER_BOOK), "build", str(book)], capture_output=True, text=True, env=env, timeout=300, check=False
    )


@pytest.mark.skipif(not JUPYTER_BOOK.exists(), reason="jupyter-book is not installed")
def test_rebuild_shows_new_results_and_missing_results_fail(tmp_path, results_tmp):
    book = tmp_path / "book"
    book.mkdir()
    config = (ROOT / "_config.yml").read_text().replace(": _ext/", f": {ROOT / '_ext'}")
    config = config.replace("bibtex_bibfiles:\n  - references.bib\n", "")
    (book / "_config.yml").write_text(config)
    (book / "_toc.yml").write_text("format: jb-book\nroot: page\n")
    (book / "page.md").write_text(PAGE)
    (book / "_static").mkdir()
    (book / "_static" / "sortable.js").write_text("")
    env = {**os.environ, "DEADPIXELS_RESULTS": str(results_tmp), "DEADPIXELS_SCALE": "smoke"}
    html = book / "_build" / "html" / "page.html"

    missing = _build(book, env)
    assert missing.returncode != 0
    assert "python -m deadpixels run trf --scale smoke" in missing.stdout + missing.stderr

    res = run_and_save(get_experiment("trf"), "smoke", ctx=QUIET)
    first = _build(book, env)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "TRF-VALUE 435" in html.read_text()

    table = pd.read_csv(res.folder / "resnets.csv")
    table.loc[0, "trf"] = 999  # a new result, as `deadpixels run` would write it
    table.to_csv(res.folder / "resnets.csv", index=False)
    prov = json.loads((res.folder / "provenance.json").read_text())
    prov["files"]["resnets.csv"] = hashlib.sha256((res.folder / "resnets.csv").read_bytes()).hexdigest()
    (res.folder / "provenance.json").write_text(json.dumps(prov))
    second = _build(book, env)
    assert second.returncode == 0, second.stdout[-3000:]
    assert "TRF-VALUE 999" in html.read_text()
