"""``deadpixels verify``: rerun an experiment and compare the fresh result with the cached one under
the tolerance the experiment declares; for trained experiments the claims it feeds must also keep
their verdicts."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from .context import RunContext
from .experiment import Experiment, Tolerance
from .provenance import source_hash
from .results import CacheError, Result, config_hash, describe, load, load_folder, results_dir, save
from .runner import CellTask, Executor, cell_root, run_grid, safe_key, serial

#: What a claims layer passes to :func:`verify` to check verdicts: (experiment, scale, fresh result)
#: -> comparisons. The pipeline sits below the claims, so it takes the check instead of importing it.
VerdictCheck = Callable[[Experiment, str, Result], list["Comparison"]]

#: float16 maps (the cached ERF crops) carry ~1e-3 relative rounding: one float16 step near 1.
FLOAT16_STEP = 2.0**-10


@dataclass(frozen=True)
class Comparison:
    item: str
    max_abs_diff: float
    allowed: str
    ok: bool
    note: str = ""
    required: bool = True  # False: reported, not required (a trained experiment's per-seed values)


def _numeric_diff(a: pd.Series, b: pd.Series, tol: Tolerance) -> tuple[float, np.ndarray]:
    """The largest difference, and which rows agree."""
    a, b = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
    diff = np.where(np.isnan(a) & np.isnan(b), 0.0, np.abs(a - b))
    return float(np.nanmax(diff)) if diff.size else 0.0, np.asarray(tol.allows(a, b), dtype=bool)


def _row_names(table: pd.DataFrame, compared: str) -> list[str]:
    """A name per row: its text columns (model, method, ...) and integer ones named like an id (seed),
    other than the ``compared`` one."""
    ids = [c for c in table.columns if not pd.api.types.is_numeric_dtype(table[c]) or c in ("seed", "step", "cell")]
    keys = [c for c in ids if c != compared]
    if not keys:
        return [f"row {i}" for i in range(len(table))]
    return [", ".join(f"{k}={table[k].iloc[i]}" for k in keys[:3]) for i in range(len(table))]


def _shown(value: object) -> str:
    """A value as a mismatch shows it: numbers in full precision, text quoted (at most 120 characters)."""
    if isinstance(value, (int, float, np.number)):
        return repr(float(value))
    text = str(value)
    return repr(text if len(text) <= 120 else text[:117] + "...")


def _mismatches(table: pd.DataFrame, col: str, rerun: pd.Series, agree: np.ndarray, shown: int = 3) -> str:
    """The rows that disagree, each with its cached and rerun value (at most ``shown``, then a count)."""
    bad = np.flatnonzero(~agree)
    names = _row_names(table, col)
    parts = [f"{names[i]}: cached {_shown(table[col].iloc[i])}, rerun {_shown(rerun.iloc[i])}" for i in bad[:shown]]
    more = f"; and {len(bad) - shown} more rows" if len(bad) > shown else ""
    return "; ".join(parts) + more


def compare_tables(cached: Result, fresh: Result, tol: Tolerance) -> list[Comparison]:
    """Column by column: numbers within the tolerance, everything else equal."""
    out = []
    for name in sorted(set(cached.tables) | set(fresh.tables)):
        a, b = cached.tables.get(name), fresh.tables.get(name)
        if a is None or b is None or a.shape != b.shape or list(a.columns) != list(b.columns):
            shape = lambda t: "missing" if t is None else f"{t.shape[0]}x{t.shape[1]}"  # noqa: E731
            out.append(
                Comparison(
                    f"table {name}",
                    float("nan"),
                    "same shape and columns",
                    False,
                    f"cached {shape(a)}, rerun {shape(b)}",
                )
            )
            continue
        for col in a.columns:
            if pd.api.types.is_numeric_dtype(a[col]) and pd.api.types.is_numeric_dtype(b[col]):
                diff, agree = _numeric_diff(a[col], b[col], tol)
                ok = bool(agree.all())
                note = "" if ok else _mismatches(a, col, b[col], agree)
                out.append(Comparison(f"{name}.{col}", diff, tol.describe(), ok, note))
            else:
                same = (a[col].astype(str) == b[col].astype(str)).fillna(False) | (a[col].isna() & b[col].isna())
                equal = bool(same.all())
                note = "" if equal else _mismatches(a, col, b[col], same.to_numpy(dtype=bool))
                out.append(Comparison(f"{name}.{col}", 0.0 if equal else float("nan"), "equal", equal, note))
    return out


def compare_arrays(cached: Result, fresh: Result, tol: Tolerance) -> list[Comparison]:
    """Every cached array within the tolerance (plus one float16 step for float16 maps)."""
    out = []
    for name in sorted(set(cached.arrays) | set(fresh.arrays)):
        a, b = cached.arrays.get(name), fresh.arrays.get(name)
        if a is None or b is None or a.shape != b.shape:
            out.append(Comparison(f"array {name}", float("nan"), "same shape", False, "missing or reshaped"))
            continue
        t = replace(tol, atol=tol.atol + FLOAT16_STEP) if a.dtype == np.float16 else tol
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        diff = np.abs(a64 - b64)
        ok = bool(np.all(t.allows(a64, b64)))
        out.append(Comparison(f"array {name}", float(diff.max()) if diff.size else 0.0, t.describe(), ok))
    return out


def verify(
    experiment: Experiment,
    scale: str = "cpu",
    ctx: RunContext | None = None,
    verdicts: VerdictCheck | None = None,
    executor: Executor = serial,
) -> list[Comparison]:
    """Rerun ``experiment`` at ``scale`` through the same grid runner as ``run`` (its cells in a
    temporary folder, so the cache is never touched) and compare it with the cached result. For a
    trained experiment, ``verdicts`` (the claims layer's check) also compares the verdicts of the
    claims it feeds. Without ``ctx.threads`` the rerun computes with the CPU threads the cached result
    records (:func:`recorded_threads`): float32 numbers depend on them, so any other count would
    compare two settings, not two runs."""
    ctx = ctx or RunContext()
    cached = load(experiment, scale)
    ctx = with_recorded_threads(ctx, cached)
    if cached.provenance.get("complete") is False:
        missing = len(cached.provenance["cells"]["missing"])
        raise ValueError(
            f"{experiment.name} at {scale} scale is a partial result ({missing} cells missing): complete it with "
            f"`python -m deadpixels run {experiment.name} --scale {scale}`, then verify"
        )
    config = experiment.config(scale)
    chash = config_hash(config)
    with tempfile.TemporaryDirectory() as tmp:
        grid = run_grid(experiment, scale, config, chash, ctx, Path(tmp) / "cells", executor)
        fresh = Result.from_output(experiment.name, scale, experiment.as_grid.aggregate(config, grid.outputs))
        fresh.provenance = {**describe(experiment, scale, config, config), **fresh.provenance}  # what rules read
        fresh = load_folder(save(fresh, Path(tmp) / "rerun"))  # the same CSV round trip as the cached result
    rows = compare_tables(cached, fresh, experiment.tolerance) + compare_arrays(cached, fresh, experiment.tolerance)
    if experiment.tolerance.kind == "trained" and verdicts is not None:
        # float32 training diverges per seed between machines: per-seed values are reported, and what the
        # book claims (each verdict, each contrast inside its cached CI) is required
        rows = [replace(r, required=False) for r in rows] + verdicts(experiment, scale, fresh)
    return rows


def recorded_threads(result: Result) -> int | None:
    """The CPU threads ``result``'s cells computed with, as its provenance states them."""
    threads = result.provenance.get("environment", {}).get("cpu_threads")
    return threads if isinstance(threads, int) and threads > 0 else None


def with_recorded_threads(ctx: RunContext, cached: Result) -> RunContext:
    """``ctx`` with the cached result's threads where it names none (the default of ``verify``)."""
    return ctx if ctx.threads is not None else replace(ctx, threads=recorded_threads(cached))


def cell_spread(
    experiment: Experiment,
    scale: str,
    keys: list[str],
    repeat: int = 1,
    ctx: RunContext | None = None,
    executor: Executor = serial,
) -> pd.DataFrame:
    """How far reruns of single cells land from their cached values: the measured spread from which a
    trained experiment's per-seed tolerance comes (same machine and device, or another). Each cell of
    ``keys`` is recomputed ``repeat`` times (in a temporary folder; the cache is never touched) and
    every number of its tables compared with the cached cell's: one row per (cell, repeat, column)
    with the largest absolute and relative difference."""
    ctx = ctx or RunContext()
    config = experiment.config(scale)
    chash = config_hash(config)
    root = cell_root(results_dir(), experiment.name, scale, chash)
    cells = {c.key: c for c in experiment.as_grid.cells(config)}
    unknown = [k for k in keys if k not in cells]
    if unknown:
        raise ValueError(
            f"{experiment.name} has no cell {', '.join(unknown)}; its cells: {', '.join(list(cells)[:6])}, ..."
        )
    if repeat < 1:
        raise ValueError(f"--repeat must be a positive whole number; got {repeat}")
    cached = {}
    for k in keys:
        try:
            cached[k] = load_folder(root / safe_key(k))
        except CacheError as exc:
            raise ValueError(f"cell {k} is not cached under {root} ({exc}): nothing to compare a rerun with") from None
    source = source_hash(experiment.run.__module__)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(repeat):
            tasks = []
            for k in keys:
                deps = tuple((a, root / safe_key(a)) for a in cells[k].after)
                folder = Path(tmp) / str(r) / safe_key(k)
                tasks.append(CellTask(experiment, scale, config, cells[k], folder, deps, ctx, source, chash))
            for outcome in executor(tasks):
                if not outcome.ok:
                    raise RuntimeError(f"rerun of cell {outcome.key} failed: {outcome.error}")
            for k in keys:
                fresh = load_folder(Path(tmp) / str(r) / safe_key(k))
                rows += _cell_differences(k, r + 1, cached[k], fresh)
    return pd.DataFrame(rows)


def _cell_differences(key: str, repeat: int, cached: Result, fresh: Result) -> list[dict]:
    out = []
    for name, a in cached.tables.items():
        b = fresh.tables.get(name)
        if b is None or a.shape != b.shape:
            out.append(
                {"cell": key, "repeat": repeat, "item": name, "max_abs_diff": np.nan, "max_rel_diff": np.nan,
                 "note": "missing or reshaped"}
            )
            continue
        for col in a.columns:
            if pd.api.types.is_numeric_dtype(a[col]) and pd.api.types.is_numeric_dtype(b[col]):
                x, y = a[col].to_numpy(float), b[col].to_numpy(float)
                d = np.where(np.isnan(x) & np.isnan(y), 0.0, np.abs(x - y))
                with np.errstate(divide="ignore", invalid="ignore"):
                    rel = np.where(d == 0, 0.0, d / np.abs(x))
                out.append(
                    {"cell": key, "repeat": repeat, "item": f"{name}.{col}", "max_abs_diff": float(np.nanmax(d)),
                     "max_rel_diff": float(np.nanmax(rel)), "note": ""}
                )
    return out


def summarise(rows: list[Comparison]) -> pd.DataFrame:
    """The comparison as a table (one row per column, array or verdict)."""
    return pd.DataFrame(
        [
            {
                "item": r.item,
                "max |diff|": r.max_abs_diff,
                "allowed": r.allowed,
                "status": "ok" if r.ok else "MISMATCH" if r.required else "differs (reported, not required)",
                "note": r.note,
            }
            for r in rows
        ]
    )


def summarise_compact(table: pd.DataFrame) -> pd.DataFrame:
    """One row per table or verdict, arrays folded into one row, mismatches listed item by item."""
    group = table["item"].map(lambda s: "arrays" if s.startswith("array ") else s.split(".")[0])
    rows = []
    for g, t in table.groupby(group, sort=False):
        bad = t[t["status"].str.startswith("MISMATCH")]
        differs = t[t["status"].str.startswith("differs")]
        rows.append(
            {
                "compared": f"{g} ({len(t)} items)",
                "max |diff|": t["max |diff|"].max(),
                "allowed": t["allowed"].iloc[0],
                "status": "MISMATCH: " + ", ".join(bad["item"]) if not bad.empty else (
                    f"differs in {len(differs)} of {len(t)} (reported, not required)" if not differs.empty else "ok"
                ),
                "note": "; ".join(n for n in t["note"] if n),
            }
        )
    return pd.DataFrame(rows)


__all__ = [
    "Comparison",
    "verify",
    "summarise",
    "summarise_compact",
    "compare_tables",
    "compare_arrays",
    "VerdictCheck",
    "cell_spread",
    "recorded_threads",
    "with_recorded_threads",
]
