"""A chapter runs as a plain notebook outside the book: jupytext executes it from the repository root."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
JUPYTEXT = Path(sys.executable).with_name("jupytext")


@pytest.mark.skipif(not JUPYTEXT.exists(), reason="jupytext is not installed")
def test_a_chapter_executes_as_a_plain_notebook(tmp_path):
    out = tmp_path / "03_dead_pixels.ipynb"
    done = subprocess.run(
        [str(JUPYTEXT), "--to", "notebook", "--execute", "chapters/03_dead_pixels.md", "-o", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    nb = json.loads(out.read_text())
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    assert outputs and not [o for o in outputs if o.get("output_type") == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs) or any(
        "lattice" in json.dumps(o.get("data", {})) for o in outputs
    )
