"""Chapter 6: the dead-pixel census of timm's zoo, one randomly initialised model per architecture
family (the list kept in ``lab/timm_families.csv``), each a cell of the grid: odd-kernel/even-stride
layers, the spatial path's TRF, gates, and the structural output ERF before and after kernel
padding. Every model is analysed or refused with the reason its graph gives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ...dead_pixels import dead_pixel_test
from ..lab.measure import MAP_STORAGE
from ..lab.zoo import TIMM_VERSION, timm_families, timm_input_size, timm_model
from ..pipeline.context import RunContext
from ..pipeline.experiment import Cell, Experiment, Grid, Tolerance, run_serially
from .census import analysis_row


@dataclass(frozen=True)
class ZooConfig:
    families: tuple[tuple[str, str], ...]  # (family, model name), from the repository's list
    timm: str = TIMM_VERSION
    weights: str = "none (random init; the test needs the architecture only)"
    data: str = "none (architecture only)"
    maps: str = MAP_STORAGE


def zoo_cells(config: ZooConfig) -> list[Cell]:
    return [Cell(family, {"family": family, "model": name}) for family, name in config.families]


def compute_zoo(config: ZooConfig, cell: Cell, deps: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    """The dead-pixel test of one family's model at the input size it declares."""
    family, name = cell.params["family"], cell.params["model"]
    model = timm_model(name)
    size = timm_input_size(model)
    row, maps = analysis_row(name, dead_pixel_test(model, size))
    params = sum(p.numel() for p in model.parameters())
    return {"zoo": pd.DataFrame([{"family": family, "model": name, "input": size, "params": params, **row}]), **maps}


def aggregate_zoo(config: ZooConfig, outputs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"zoo": pd.concat([o["zoo"] for o in outputs.values()], ignore_index=True)}
    for o in outputs.values():
        out.update({k: v for k, v in o.items() if k != "zoo"})
    return out


GRID = Grid(zoo_cells, compute_zoo, aggregate_zoo)


def run_zoo(config: ZooConfig, ctx: RunContext) -> dict[str, Any]:
    """The serial definition (the runner computes the same cells, each cached)."""
    return run_serially(GRID, config, ctx)


def _smoke() -> tuple[tuple[str, str], ...]:
    keep = ("resnet", "efficientnet", "tresnet", "vit")
    return tuple(f for f in timm_families() if f[0] in keep)


EXPERIMENTS = [
    Experiment(
        "timm_census",
        "06_census",
        "The dead-pixel test of one timm model per architecture family (random init, no data)",
        {"smoke": ZooConfig(_smoke()), "cpu": ZooConfig(timm_families())},
        run_zoo,
        Tolerance("deterministic", rtol=1e-4, atol=1e-5),
        GRID,
    ),
]
