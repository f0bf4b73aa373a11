"""A result assembled from cells computed elsewhere: a lent GPU machine sends back its cell cache,
and this turns it into the experiment's result here, after checking that every cell ran this
config and the code of the commit it claims.

A run stopped before every cell was computed can be collected with ``partial=True``: the result
then says so in its provenance (``complete: false``, the missing cells by name), the claims that
read it say so beside their numbers, and ``verify`` refuses it (rerun to complete it instead).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from .experiment import Experiment
from .provenance import source_hash, source_hash_at
from .results import config_hash, describe, result_folder
from .runner import as_output, safe_key
from .settings import CellSettings, uniform_settings
from .store import CacheError, Result, load_folder, save


def collect(
    experiment: Experiment,
    scale: str,
    cells: Path,
    commit: str,
    partial: bool = False,
    wall_time_s: float | None = None,
    tree_source_hash: str | None = None,
    force: bool = False,
) -> Result:
    """Aggregate the cells under ``cells`` into ``experiment``'s canonical result at ``scale``
    (``wall_time_s``: how long the runs took there, as their logs say).

    Where git cannot tell ``commit``'s source hash (a copied working tree on a GPU machine),
    ``tree_source_hash`` stands in for it: it must equal this tree's own source hash (which the
    caller has checked against the commit's, as ``scripts/gpu-run.sh`` does), and the result says
    so in ``commit_from``; collecting the same cells again where git is at hand checks the commit.

    Raises:
        ValueError: where ``commit``'s source hash is unknown or differs from a cell's, a cell has
            another config, cells are missing without ``partial`` (or ones the aggregate needs), the
            collected result does not read back, or a partial result would replace a complete one
            without ``force``. Nothing is replaced before every check has passed.
    """
    if wall_time_s is not None and not (np.isfinite(wall_time_s) and wall_time_s >= 0):
        raise ValueError(f"--wall-time must be a finite number of seconds >= 0; got {wall_time_s}")
    commit = full_sha(commit)
    config = experiment.config(scale)
    chash, module = config_hash(config), experiment.run.__module__
    expected = source_hash_at(commit, module)
    how = "collected: every cell's source hash equals this commit's (source_hash_at)"
    if expected is None and tree_source_hash is not None:
        here = source_hash(module)
        if tree_source_hash != here:
            raise ValueError(f"--source-hash {tree_source_hash} is not this tree's source hash ({here})")
        expected = here
        how = (
            "collected on a copied tree without git: every cell's source hash equals the tree's, which the run "
            "checked against the commit's; collect again where git is at hand to check the commit itself"
        )
    if expected is None:
        raise ValueError(
            f"commit {commit!r} is not in this repository (or git is unavailable); on a copied tree, pass "
            "--source-hash with the commit's source hash"
        )
    outputs: dict[str, dict[str, Any]] = {}
    found: list[dict[str, Any]] = []
    missing = []
    for cell in experiment.as_grid.cells(config):
        folder = cells / safe_key(cell.key)
        if not (folder / "provenance.json").exists():
            missing.append(cell.key)
            continue
        try:
            res = load_folder(folder)
        except CacheError as exc:
            raise ValueError(f"cell {cell.key}: {exc}") from None
        p = res.provenance
        if p.get("config_hash") != chash:
            raise ValueError(f"cell {cell.key} ran another config ({p.get('config_hash')}, not {chash})")
        if p.get("source_hash") != expected:
            raise ValueError(f"cell {cell.key} ran other code ({p.get('source_hash')}; {commit[:10]} has {expected})")
        outputs[cell.key], found = as_output(res), [*found, p]
    uniform_settings(experiment.name, {p["cell"]: CellSettings.recorded(p) for p in found if "cell" in p})
    if missing and not partial:
        raise ValueError(f"{len(missing)} cells are missing ({', '.join(missing[:4])}, ...): collect with partial")
    try:
        out = experiment.as_grid.aggregate(config, outputs)
    except KeyError as exc:
        raise ValueError(f"the result cannot be assembled without cell {exc}") from None
    res = Result.from_output(experiment.name, scale, out)
    res.provenance = {
        **describe(experiment, scale, config, config),
        "source_hash": expected,
        "git_commit": commit,
        "dirty": False,
        "commit_from": how,
        "cells_recorded_git": sorted({f"{p.get('git_commit')} (dirty: {p.get('dirty')})" for p in found}),
        "environment": found[0]["environment"],
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "wall_time_s": wall_time_s,
        "cell_wall_time_s": round(sum(p.get("wall_time_s", 0.0) for p in found), 1),
        "complete": not missing,
        "cells": {"n": len(outputs) + len(missing), "present": len(outputs), "missing": missing},
    }
    target = result_folder(experiment.name, scale)
    if missing and not force:
        try:
            if load_folder(target).provenance.get("complete") is not False:
                raise ValueError(
                    f"{experiment.name} at {scale} scale is cached complete; a partial collect ({len(missing)} cells "
                    "missing) would replace it: pass --force to do so"
                )
        except CacheError:
            pass  # nothing complete to protect
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{target.name}.check-") as tmp:
        try:  # the whole round trip, before anything is replaced
            load_folder(save(res, Path(tmp) / "result"))
        except (CacheError, ValueError) as exc:
            raise ValueError(f"the collected result does not read back ({exc}); nothing was replaced") from None
    return load_folder(save(res, target))


def full_sha(commit: str) -> str:
    """``commit`` as a full SHA where git knows it (``HEAD``, a short SHA), else as given (a copied tree)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}"],
            check=False, capture_output=True, text=True, timeout=30, cwd=Path(__file__).resolve().parent,
        )
    except (OSError, subprocess.TimeoutExpired):
        return commit
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else commit


def is_partial(result: Result) -> bool:
    """Whether ``result`` was collected from an incomplete grid."""
    return result.provenance.get("complete") is False


def partial_note(result: Result, cells: bool = False) -> str:
    """How incomplete a partial result is, in words ("" for a complete one); ``cells`` names the missing ones."""
    if not is_partial(result):
        return ""
    c = result.provenance["cells"]
    return f"partial run: {c['present']} of {c['n']} cells" + (f" (missing {', '.join(c['missing'])})" if cells else "")


__all__ = ["collect", "is_partial", "partial_note"]
