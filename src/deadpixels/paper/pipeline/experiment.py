"""What an experiment is: a name, the chapter it feeds, a typed config per scale, the function that
runs it, and how :mod:`deadpixels.paper.pipeline.verify` compares a rerun with its cached result."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: The scales: ``smoke`` (seconds, tests), ``cpu`` (the cached default, 2 CPU cores), ``gpu`` (the
#: trained experiments long enough to test the paper's claims, minutes on one GPU; only where an
#: experiment defines it) and ``paper`` (the paper's protocol: GPU cluster, the datasets).
SCALES = ("smoke", "cpu", "gpu", "paper")


@dataclass(frozen=True)
class Tolerance:
    """How a rerun must agree with the cache.

    ``kind``: ``"exact"`` (a quantity that holds at any scale and is computed in float64, or is an
    integer; agreement within ``atol``, a stated rounding bound), ``"deterministic"`` (float32
    arithmetic on fixed inputs: within ``rtol``/``atol``) or ``"trained"`` (training on a CPU;
    within ``rtol``/``atol``, and every claim it feeds must keep its verdict).
    """

    kind: str
    rtol: float = 0.0
    atol: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in ("exact", "deterministic", "trained"):
            raise ValueError(f"tolerance kind must be exact, deterministic or trained; got {self.kind!r}")

    def allows(self, cached: Any, rerun: Any) -> Any:
        """Elementwise: does ``rerun`` agree with ``cached``? ``|rerun - cached| <= atol + rtol |cached|``,
        and NaN agrees only with NaN. The one formula that :meth:`describe` states and ``verify`` applies."""
        import numpy as np

        a, b = np.asarray(cached, dtype=np.float64), np.asarray(rerun, dtype=np.float64)
        both_nan = np.isnan(a) & np.isnan(b)
        with np.errstate(invalid="ignore"):
            return both_nan | (np.abs(b - a) <= self.atol + self.rtol * np.abs(a))

    def describe(self) -> str:
        return f"{self.kind}: |rerun - cached| <= {self.atol:g} + {self.rtol:g} |cached|"


@dataclass(frozen=True)
class Cell:
    """One independent unit of an experiment's grid (for example one seed and one method).

    ``key`` names it (and its cache folder); ``params`` are what it computes with; ``after`` names
    the cells whose outputs it needs (a pilot that fixes the task, say)."""

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)
    after: tuple[str, ...] = ()


@dataclass(frozen=True)
class Grid:
    """An experiment as a grid of cells: ``cells(config)`` lists them, ``compute(config, cell, deps,
    ctx)`` computes one (``deps``: the outputs of its ``after`` cells, by key) and returns tables,
    arrays and JSON values by name, and ``aggregate(config, outputs)`` joins every cell's output
    (by key, in cell order) into the experiment's result, in the same format as a serial run."""

    cells: Callable[[Any], list[Cell]]
    compute: Callable[..., dict[str, Any]]
    aggregate: Callable[[Any, dict[str, dict[str, Any]]], dict[str, Any]]


def run_serially(grid: Grid, config: Any, ctx: Any) -> dict[str, Any]:
    """A grid's serial definition: every cell in order, in this process, without caching; what an
    experiment's ``run`` is when it declares a grid (the runner computes the same cells, cached)."""
    outputs: dict[str, dict[str, Any]] = {}
    for cell in grid.cells(config):
        outputs[cell.key] = grid.compute(config, cell, {a: outputs[a] for a in cell.after}, ctx)
    return grid.aggregate(config, outputs)


def single_cell(run: Callable[..., dict[str, Any]]) -> Grid:
    """The grid of an experiment that is one unit of work: one cell, ``run(config, ctx)``."""
    return Grid(
        cells=lambda _config: [Cell("all")],
        compute=lambda config, _cell, _deps, ctx: run(config, ctx),
        aggregate=lambda _config, outputs: outputs["all"],
    )


@dataclass(frozen=True)
class Experiment:
    """One experiment of the book. ``configs`` maps each scale to a frozen config dataclass;
    ``run(config, ctx)`` returns tables (DataFrames), arrays and JSON values by name. An experiment
    made of independent runs also declares its ``grid``, which the pipeline's runner spreads over
    worker processes or a cluster, caching every cell; ``run`` stays the serial definition."""

    name: str
    chapter: str
    description: str
    configs: Mapping[str, Any]
    run: Callable[..., dict[str, Any]]
    tolerance: Tolerance
    grid: Grid | None = None

    @property
    def as_grid(self) -> Grid:
        """The experiment's grid: its own, or one cell that calls ``run``."""
        return self.grid if self.grid is not None else single_cell(self.run)

    def config(self, scale: str) -> Any:
        """The config at ``scale`` (frozen: derive variants with :func:`override`)."""
        if scale not in SCALES:
            raise ValueError(f"unknown scale {scale!r}; available: {', '.join(SCALES)}")
        if scale not in self.configs:
            raise ValueError(f"{self.name} has no {scale!r} scale; available: {', '.join(self.configs)}")
        return self.configs[scale]


def config_dict(config: Any) -> dict[str, Any]:
    """A config dataclass as a plain, JSON-serialisable dict (tuples become lists)."""

    def plain(v: Any) -> Any:
        if isinstance(v, (tuple, list)):
            return [plain(x) for x in v]
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        return v

    return {k: plain(v) for k, v in dataclasses.asdict(config).items()}


def override(config: Any, **changes: Any) -> Any:
    """A copy of ``config`` with ``changes``; unknown fields are refused with the allowed ones."""
    fields = {f.name for f in dataclasses.fields(config)}
    unknown = sorted(set(changes) - fields)
    if unknown:
        raise ValueError(
            f"{type(config).__name__} has no field {', '.join(unknown)}; fields: {', '.join(sorted(fields))}"
        )
    return dataclasses.replace(config, **changes)


def data_root(config: Any) -> str:
    """Where the paper's datasets live: the config's ``data_root``, ``$DEADPIXELS_DATA`` or ``~/data``."""
    return getattr(config, "data_root", None) or os.environ.get("DEADPIXELS_DATA", "~/data")


__all__ = [
    "SCALES",
    "Tolerance",
    "Cell",
    "Grid",
    "single_cell",
    "run_serially",
    "Experiment",
    "config_dict",
    "override",
    "data_root",
]
