"""Runs an experiment's grid of cells and caches every cell on its own, so that a run killed
half-way resumes where it stopped, and the cells can run side by side: in this process, in worker
processes (``jobs``), or as a SLURM job array through submitit (:mod:`.executors`).

A cell's cache lives in ``<results>/<experiment>/.cells/<scale>-<config hash>/<cell key>/`` with
its own provenance; it is reused only while the config and the computing source are unchanged, and
only by a run that computes with the same settings (CPU threads and device type, on which float32
results depend): a resume never mixes cells of two settings. A cell being computed is claimed with
a lock, so a second identical run waits for it and reuses it instead of computing it again."""

from __future__ import annotations

import re
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from tqdm.auto import tqdm

from .context import RunContext
from .experiment import Cell, Experiment
from .locks import lock_path, locked
from .provenance import environment, git_state, source_hash
from .settings import CellSettings, resume_settings, uniform_settings
from .store import CacheError, Result, load_folder, save


@dataclass(frozen=True)
class CellTask:
    """Everything a worker needs to compute one cell (picklable: it crosses process and job boundaries)."""

    experiment: Experiment
    scale: str
    config: Any
    cell: Cell
    folder: Path
    deps: tuple[tuple[str, Path], ...]
    ctx: RunContext
    source_hash: str
    config_hash: str


@dataclass(frozen=True)
class CellOutcome:
    key: str
    ok: bool
    wall_time_s: float
    error: str = ""
    reused: bool = False  # another run computed it meanwhile; this one waited and took it


def safe_key(key: str) -> str:
    """A cell key as a folder name."""
    return re.sub(r"[^A-Za-z0-9_.=,+-]", "_", key)


def cell_root(results: Path, experiment: str, scale: str, config_hash: str) -> Path:
    return results / experiment / ".cells" / f"{scale}-{config_hash[:12]}"


def as_output(result: Result) -> dict[str, Any]:
    """A cached cell back as the dict its ``compute`` returned."""
    return {**result.tables, **result.arrays, **result.values}


def load_cell(folder: Path, source: str, config_hash: str) -> Result | None:
    """The cached cell in ``folder`` if it was computed from this config and this source, else None."""
    try:
        res = load_folder(folder)
    except CacheError:
        return None
    p = res.provenance
    return res if p.get("config_hash") == config_hash and p.get("source_hash") == source else None


def claim_path(folder: Path) -> Path:
    """The lock a cell's computation holds (a hidden sibling of its folder)."""
    return lock_path(folder, "claim")


def compute_cell(task: CellTask) -> CellOutcome:
    """Compute one cell and cache it (in a worker, a job, or this process), holding the cell's claim
    lock: where another run is computing the same cell, this one waits and then reuses its result
    (released by the kernel if that run dies, so the wait ends with it). Errors are caught and
    returned, so one failing cell never stops the others."""
    start, threads = time.time(), torch.get_num_threads()
    try:
        task.ctx.apply()
        with locked(claim_path(task.folder), exclusive=True, wait_s=None):
            done = load_cell(task.folder, task.source_hash, task.config_hash)
            if done is not None:
                here = CellSettings(torch.get_num_threads(), task.ctx.device.type)
                there = CellSettings.recorded(done.provenance)
                if there != here:
                    raise ValueError(f"another run cached this cell with {there.describe()}; this run computes "
                                     f"with {here.describe()} and does not mix them (rerun with {there.options()})")
                return CellOutcome(task.cell.key, True, time.time() - start, reused=True)
            _compute(task, start)
    except Exception as exc:  # noqa: BLE001 - reported with the cell, rerun next time
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return CellOutcome(task.cell.key, False, time.time() - start, detail)
    finally:
        torch.set_num_threads(threads)  # in this process (serial), the caller's threads come back
    return CellOutcome(task.cell.key, True, time.time() - start)


def _compute(task: CellTask, start: float) -> None:
    deps = {key: as_output(load_folder(folder)) for key, folder in task.deps}
    out = task.experiment.as_grid.compute(task.config, task.cell, deps, task.ctx)
    res = Result.from_output(task.experiment.name, task.scale, out)
    res.provenance = {
        "experiment": task.experiment.name,
        "scale": task.scale,
        "cell": task.cell.key,
        "params": {k: v if isinstance(v, (int, float, str, bool)) else str(v) for k, v in task.cell.params.items()},
        "config_hash": task.config_hash,
        "source_hash": task.source_hash,
        **git_state(),
        "environment": environment(task.ctx.device_name),
        "wall_time_s": round(time.time() - start, 2),
    }
    save(res, task.folder)


#: An executor: takes the tasks of one wave (cells whose dependencies are done) and yields each
#: task's outcome as it finishes.
Executor = Callable[[Sequence[CellTask]], Any]


def serial(tasks: Sequence[CellTask]) -> Any:
    """Compute the cells one after another in this process."""
    for task in tasks:
        yield compute_cell(task)


serial.cell_threads = torch.get_num_threads  # type: ignore[attr-defined]  # this process's threads


@dataclass
class GridRun:
    """What :func:`run_grid` did: every cell's output (by key, in cell order), which cells it
    computed now, and their wall times."""

    outputs: dict[str, dict[str, Any]]
    computed: list[str]
    wall_time_s: dict[str, float]
    settings: CellSettings | None = None  # what every cell computed with (one setting: never mixed)


def run_grid(
    experiment: Experiment,
    scale: str,
    config: Any,
    config_hash: str,
    ctx: RunContext,
    root: Path,
    executor: Executor = serial,
) -> GridRun:
    """Compute the cells of ``experiment`` that are not cached under ``root``, wave by wave (a
    cell waits for the cells it needs), and return every cell's output. A cell that fails is
    reported with its error after the others finish; nothing is aggregated then, and rerunning
    computes only what is still missing."""
    grid = experiment.as_grid
    cells = grid.cells(config)
    keys = [c.key for c in cells]
    if len(set(keys)) != len(keys):
        raise ValueError(f"{experiment.name}: cell keys must be unique")
    unknown = sorted({a for c in cells for a in c.after} - set(keys))
    if unknown:
        raise ValueError(f"{experiment.name}: cells wait for cells that do not exist: {', '.join(unknown)}")
    source = source_hash(experiment.run.__module__)
    folders = {c.key: root / safe_key(c.key) for c in cells}
    cached = {c.key: r for c in cells if (r := load_cell(folders[c.key], source, config_hash)) is not None}
    ctx = resume_settings(experiment.name, len(cells), cached.values(), ctx, executor)
    done = set(cached)
    failed: dict[str, str] = {}
    computed, walls = [], {}
    todo = [c for c in cells if c.key not in done]
    bar = tqdm(total=len(cells), initial=len(done), desc=f"{experiment.name} cells", disable=not ctx.progress)
    while todo:
        wave = [c for c in todo if all(a in done for a in c.after)]
        blocked = [c for c in todo if any(a in failed for a in c.after)]
        for c in blocked:
            failed[c.key] = f"not run: it needs {', '.join(a for a in c.after if a in failed)}, which failed"
        if not wave:
            if not blocked:
                raise ValueError(f"{experiment.name}: cells {[c.key for c in todo]} wait on each other")
            break
        tasks = [
            CellTask(experiment, scale, config, c, folders[c.key], tuple((a, folders[a]) for a in c.after), ctx,
                     source, config_hash)
            for c in wave
        ]
        for outcome in executor(tasks):
            bar.update(1)
            walls[outcome.key] = round(outcome.wall_time_s, 2)
            if outcome.ok:
                done.add(outcome.key)
                computed.append(outcome.key)
            elif outcome.reused:
                done.add(outcome.key)
            else:
                failed[outcome.key] = outcome.error
        todo = [c for c in todo if c.key not in done and c.key not in failed]
    bar.close()
    if failed:
        lines = "\n".join(f"  {k}: {v}" for k, v in failed.items())
        raise RuntimeError(
            f"{len(failed)} of {len(cells)} cells of {experiment.name} failed ({len(done)} cached):\n{lines}\n"
            "rerun the same command to retry them; the cached cells are not computed again"
        )
    cached = {c.key: load_folder(folders[c.key]) for c in cells}  # each cell read once
    for key, res in cached.items():
        walls.setdefault(key, res.provenance.get("wall_time_s"))
    settings = uniform_settings(experiment.name, {k: CellSettings.recorded(r.provenance) for k, r in cached.items()})
    return GridRun({key: as_output(res) for key, res in cached.items()}, computed, walls, settings)


def cached_cells(experiment: Experiment, config: Any, config_hash: str, root: Path) -> tuple[int, int]:
    """(cached, total) cells of ``experiment`` for this config and source, for ``list``."""
    cells = experiment.as_grid.cells(config)
    source = source_hash(experiment.run.__module__)
    return sum(load_cell(root / safe_key(c.key), source, config_hash) is not None for c in cells), len(cells)


__all__ = [
    "CellTask",
    "CellOutcome",
    "claim_path",
    "Executor",
    "GridRun",
    "serial",
    "compute_cell",
    "run_grid",
    "cell_root",
    "cached_cells",
    "safe_key",
    "as_output",
]
