"""The results cache: each experiment's result (stored by :mod:`.store`) in
``data/results/<experiment>/<scale>/``, with its provenance. Writes are atomic, loads check every
file's checksum and the config hash, and nothing here ever runs an experiment by itself."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

from .context import RunContext
from .experiment import SCALES, Experiment, config_dict
from .provenance import environment, git_state, source_hash
from .runner import Executor, cached_cells, cell_root, run_grid, serial
from .settings import CellSettings
from .store import (
    CacheError,
    CorruptResult,
    MissingResult,
    Result,
    StaleConfig,
    check_writable,
    load_folder,
    recover,
    save,
)


def results_dir() -> Path:
    """``$DEADPIXELS_RESULTS`` or the repository's ``data/results``."""
    env = os.environ.get("DEADPIXELS_RESULTS")
    return Path(env) if env else Path(__file__).resolve().parents[4] / "data" / "results"


def config_hash(config: Any) -> str:
    """A short, stable hash of a config dataclass (or of its dict)."""
    d = config if isinstance(config, dict) else config_dict(config)
    return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:16]


def result_folder(experiment: str, scale: str, config: Any = None, canonical: Any = None) -> Path:
    """``<results>/<experiment>/<scale>`` for the scale's own config; a config that differs from it
    (an override such as ``--seeds``) gets ``<scale>+<its hash>`` so it never replaces the canonical result."""
    name = scale if config is None or canonical is None or config == canonical else f"{scale}+{config_hash(config)[:8]}"
    return results_dir() / experiment / name


def load(experiment: Experiment, scale: str) -> Result:
    """The canonical cached result of ``experiment`` at ``scale``, which must match the current config."""
    config = experiment.config(scale)
    return load_folder(result_folder(experiment.name, scale), config_hash(config))


def run_and_save(
    experiment: Experiment,
    scale: str,
    ctx: RunContext | None = None,
    config: Any = None,
    executor: Executor = serial,
) -> Result:
    """Run ``experiment`` at ``scale`` (with ``config``, default the scale's own) cell by cell
    through ``executor``, reusing every cell already cached for this config and source, and cache
    the aggregated result with its provenance."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; available: {', '.join(SCALES)}")
    ctx = ctx or RunContext()
    canonical = experiment.config(scale)
    config = canonical if config is None else config
    folder = result_folder(experiment.name, scale, config, canonical)
    check_writable(folder)
    git = git_state()  # before the run: the code that runs is the code of this state
    source = source_hash(experiment.run.__module__)  # and so is the source it hashes
    chash = config_hash(config)
    start = time.time()
    root = cell_root(results_dir(), experiment.name, folder.name, chash)
    grid = run_grid(experiment, scale, config, chash, ctx, root, executor)
    res = Result.from_output(experiment.name, scale, experiment.as_grid.aggregate(config, grid.outputs))
    res.provenance = {
        **describe(experiment, scale, config, canonical),
        "source_hash": source,
        **git,
        "environment": cells_environment(environment(ctx.device_name), grid.settings),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "wall_time_s": round(time.time() - start, 2),
        "cells": {"n": len(grid.outputs), "computed_in_this_run": grid.computed, "wall_time_s": grid.wall_time_s},
    }
    return load_folder(save(res, folder))


def cells_environment(driver: dict[str, Any], settings: CellSettings | None) -> dict[str, Any]:
    """The environment a result states: the driver's, with the CPU threads its cells computed with
    (which its numbers depend on), not the driver's own."""
    return driver if settings is None else {**driver, "cpu_threads": settings.threads}


def describe(experiment: Experiment, scale: str, config: Any, canonical: Any) -> dict[str, Any]:
    """What every result's provenance says first: the experiment, its scale, config and data."""
    return {
        "experiment": experiment.name,
        "chapter": experiment.chapter,
        "scale": scale,
        "config": config_dict(config),
        "config_hash": config_hash(config),
        "canonical": config == canonical,
        "seed": getattr(config, "seed", None),
        "data": getattr(config, "data", None),
        "source_module": experiment.run.__module__,
    }


def clear_cells(experiment: Experiment, scale: str, config: Any = None) -> None:
    """Forget the cached cells of ``config`` (default: the scale's own), so the next run computes all."""
    canonical = experiment.config(scale)
    config = canonical if config is None else config
    folder = result_folder(experiment.name, scale, config, canonical)
    shutil.rmtree(cell_root(results_dir(), experiment.name, folder.name, config_hash(config)), ignore_errors=True)


def cell_progress(experiment: Experiment, scale: str) -> tuple[int, int]:
    """(cached, total) cells of the canonical config at ``scale``: a partly computed grid."""
    config = experiment.config(scale)
    chash = config_hash(config)
    return cached_cells(experiment, config, chash, cell_root(results_dir(), experiment.name, scale, chash))


__all__ = [
    "results_dir",
    "config_hash",
    "result_folder",
    "CacheError",
    "MissingResult",
    "CorruptResult",
    "StaleConfig",
    "recover",
    "check_writable",
    "Result",
    "save",
    "load",
    "load_folder",
    "run_and_save",
    "describe",
    "cells_environment",
    "cell_progress",
    "clear_cells",
]
