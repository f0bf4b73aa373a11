"""The package's architecture: a light core, layers whose imports flow one way (core -> lab ->
pipeline -> experiments -> claims -> book -> cli), no private names across modules, small modules."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from deadpixels.paper.pipeline.provenance import imported_modules, module_name

SRC = Path(__file__).resolve().parents[1] / "src" / "deadpixels"
MODULES = sorted(SRC.rglob("*.py"))
#: The layers, lowest first; a module's layer is decided by its folder.
LAYERS = ("core", "lab", "pipeline", "experiments", "claims", "book", "cli")


def layer_of(module: str) -> str | None:
    """The layer of a dotted ``deadpixels`` module name (None for ``deadpixels.paper`` itself)."""
    parts = module.split(".")
    if parts[0] != "deadpixels":
        return None
    if len(parts) == 1 or parts[1] != "paper":
        return "cli" if parts[1:] == ["__main__"] else "core"
    return parts[2] if len(parts) > 2 and parts[2] in LAYERS else None


def _imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(module, names, level) of every ``from ... import`` in ``path``."""
    tree = ast.parse(path.read_text())
    return [
        (n.module or "", [a.name for a in n.names], n.level) for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
    ]


def test_every_module_has_a_layer():
    unplaced = [str(p.relative_to(SRC)) for p in MODULES if layer_of(module_name(p)) is None]
    assert unplaced == ["paper/__init__.py"], unplaced


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_imports_flow_downwards(path):
    mine = layer_of(module_name(path))
    if mine is None:
        return
    for target in imported_modules(path):
        theirs = layer_of(target)
        if theirs is None:
            continue
        assert LAYERS.index(theirs) <= LAYERS.index(mine), (
            f"{path.relative_to(SRC)} ({mine}) imports {target} ({theirs}): a lower layer never imports a higher one"
        )


def test_layer_rule_catches_an_upward_import(tmp_path):
    """The rule itself can fail: a lab module importing the claims is an upward import."""
    engine, lab = layer_of("deadpixels.paper.claims.judging.engine"), layer_of("deadpixels.paper.lab.x")
    assert LAYERS.index(engine) > LAYERS.index(lab)
    assert layer_of("deadpixels.graph") == "core" and layer_of("deadpixels.__main__") == "cli"


#: The claims' three folders and what each may import of the others: the rules and the record read
#: the judging; the judging reads neither; the rules and the record never read each other.
CLAIMS_JOBS = {"judging": {"judging"}, "rules": {"rules", "judging"}, "record": {"record", "judging"}}


def claims_job(module: str) -> str | None:
    """The folder of a ``deadpixels.paper.claims`` module (None outside the claims, or for the
    package itself, which assembles all three)."""
    parts = module.split(".")
    return parts[3] if parts[:3] == ["deadpixels", "paper", "claims"] and len(parts) > 3 else None


CLAIMS_MODULES = [p for p in MODULES if claims_job(module_name(p))]


def test_every_claims_module_sits_in_one_of_the_three_folders():
    flat = [p.name for p in (SRC / "paper" / "claims").glob("*.py") if p.name != "__init__.py"]
    assert not flat, f"claims/ keeps its modules in rules/, judging/ or record/: {flat}"
    assert {claims_job(module_name(p)) for p in CLAIMS_MODULES} == set(CLAIMS_JOBS)


@pytest.mark.parametrize("path", CLAIMS_MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_the_claims_folders_import_one_way(path):
    mine = claims_job(module_name(path))
    for target in imported_modules(path):
        theirs = claims_job(target)
        if target == "deadpixels.paper.claims":
            theirs = "the claims package"
        assert theirs is None or theirs in CLAIMS_JOBS[mine], (
            f"{path.relative_to(SRC)} ({mine}) imports {target} ({theirs}); "
            f"{mine} may import {sorted(CLAIMS_JOBS[mine])}"
        )


def test_the_claims_folder_rule_can_fail():
    assert "rules" not in CLAIMS_JOBS["judging"] and "record" not in CLAIMS_JOBS["rules"]
    assert claims_job("deadpixels.paper.claims.rules.zoo") == "rules" and claims_job("deadpixels.paper.claims") is None


def test_import_deadpixels_is_light():
    code = (
        "import sys, deadpixels; heavy = [m for m in ('pandas', 'matplotlib', 'seaborn', 'skimage', "
        "'deadpixels.paper') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


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


def test_source_hash_covers_exactly_the_computing_folders():
    from deadpixels.paper.pipeline.provenance import computes

    assert computes(SRC / "erf.py") and computes(SRC / "paper/lab/training.py")
    assert computes(SRC / "paper/experiments/finetune.py")
    for path in ("paper/pipeline/results.py", "paper/claims/engine.py", "paper/book/figures.py", "paper/cli/check.py"):
        assert not computes(SRC / path), path
