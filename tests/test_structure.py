"""The package's architecture: a light core, imports flowing one way, no private names across modules."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "deadpixels"
MODULES = sorted(SRC.rglob("*.py"))
CORE = [p for p in MODULES if "paper" not in p.relative_to(SRC).parts]


def _imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(module, names, level) of every ``from ... import`` in ``path``."""
    tree = ast.parse(path.read_text())
    return [
        (n.module or "", [a.name for a in n.names], n.level) for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
    ]


def test_import_deadpixels_is_light():
    code = (
        "import sys, deadpixels; heavy = [m for m in ('pandas', 'matplotlib', 'seaborn', 'skimage', "
        "'deadpixels.paper') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("path", CORE, ids=lambda p: p.name)
def test_core_never_imports_the_paper_layer(path):
    if path.name == "__main__.py":  # the command-line entry point, never imported by `import deadpixels`
        return
    for module, _, _level in _imports(path):
        assert "paper" not in module.split("."), f"{path.name} imports {module}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_private_names_cross_modules_and_modules_stay_small(path):
    for module, names, level in _imports(path):
        ours = level > 0 or module.startswith("deadpixels")
        private = [n for n in names if n.startswith("_") and not n.startswith("__")]
        assert not (ours and private), f"{path.name} imports private {private} from {module}"
    assert len(path.read_text().splitlines()) <= 300, f"{path.name} is over 300 lines"


def test_paper_numbers_have_one_home():
    """The paper's Table 1 TRF values are written once, in reference.py."""
    hits = [p.name for p in MODULES if "1451" in p.read_text()]
    assert hits == ["reference.py"], hits
