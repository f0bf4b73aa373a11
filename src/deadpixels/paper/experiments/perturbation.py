"""Chapter 5: the micro-object task (a black vs a red box), trained from scratch before and after
kernel padding; the score is the first epoch with test accuracy above 90%."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..lab import data as D
from ..lab import datasets
from ..lab.models import build_model
from ..lab.training import TrainConfig, train_classifier
from ..pipeline.context import RunContext
from ..pipeline.experiment import Cell, Experiment, Grid, Tolerance, data_root, run_serially
from .kernel_padding import HUNDRED_ONE

#: The paper's threshold: the first epoch whose test accuracy exceeds it.
ACCURACY_THRESHOLD = 0.9


@dataclass(frozen=True)
class MicroConfig:
    archs: tuple[str, ...]
    width: float
    size: int
    box: int
    epochs: int
    seeds: tuple[int, ...]
    n_train: int | None = None
    n_test: int | None = None
    data: str = "embedded"
    data_root: str | None = None
    seed: int = 0


def micro_object_splits(config: MicroConfig, seed: int) -> dict[str, Any]:
    if config.data == "embedded":
        return D.micro_object(config.n_train, config.n_test, config.size, config.box, seed=seed)
    if config.data != "caltech101":
        raise ValueError(f"micro-object templates come from 'embedded' or 'caltech101'; got {config.data!r}")
    return datasets.paper_micro_object(data_root(config), config.size, config.box, seed=seed)


def first_epoch_above(history: pd.DataFrame, threshold: float, epochs: int) -> tuple[int, bool]:
    """The first epoch whose test accuracy exceeds ``threshold`` (``epochs`` if none), and whether one did."""
    above = history.index[history["test_acc"] > threshold]
    return (int(history["epoch"].iloc[above[0]]), True) if len(above) else (epochs, False)


def micro_cells(config: MicroConfig) -> list[Cell]:
    """One cell per architecture, seed and variant (the vanilla and KP models of a seed see the same data)."""
    return [
        Cell(f"arch={a},seed={s},variant={v}", {"arch": a, "seed": s, "variant": v})
        for a in config.archs
        for s in config.seeds
        for v in ("vanilla", "kp")
    ]


def compute_micro(config: MicroConfig, cell: Cell, deps: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    """Train one model from scratch on the micro-object task; its first epoch above the threshold."""
    arch, seed, variant = cell.params["arch"], cell.params["seed"], cell.params["variant"]
    model = build_model(arch, 2, config.width, variant, None, seed=seed)
    _, h = train_classifier(
        model,
        micro_object_splits(config, seed),
        TrainConfig(epochs=config.epochs),
        seed,
        ctx.device,
        ctx.progress,
        desc=f"micro {arch}/{variant}/{seed}",
    )
    first, reached = first_epoch_above(h, ACCURACY_THRESHOLD, config.epochs)
    ids = {"arch": arch, "variant": variant, "seed": seed}
    row = {**ids, "first_epoch_90": first, "reached": reached, "final_test_acc": float(h["test_acc"].iloc[-1])}
    return {"runs": pd.DataFrame([row]), "history": h.assign(**ids)}


def aggregate_micro(config: MicroConfig, outputs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "runs": pd.concat([o["runs"] for o in outputs.values()], ignore_index=True),
        "history": pd.concat([o["history"] for o in outputs.values()], ignore_index=True),
    }


GRID = Grid(micro_cells, compute_micro, aggregate_micro)


def run_micro_object(config: MicroConfig, ctx: RunContext) -> dict[str, Any]:
    """The serial definition (the runner computes the same cells, each cached)."""
    return run_serially(GRID, config, ctx)


EXPERIMENTS = [
    Experiment(
        "micro_object",
        "05_perturbation",
        "Micro-object task (black vs red box) from scratch, before/after kernel padding",
        {
            "smoke": MicroConfig(
                archs=("resnet18",), width=0.125, size=64, box=4, epochs=2, seeds=(0, 1), n_train=64, n_test=32
            ),
            "cpu": MicroConfig(
                archs=("resnet18",),
                width=0.25,
                size=64,
                box=4,
                # registered 2026-12-07 (issue #40, claims.power): the paper's 50-epoch horizon, 16 paired seeds
                epochs=50,
                seeds=tuple(range(16)),
                n_train=2048,
                n_test=256,
            ),
            "paper": MicroConfig(
                archs=HUNDRED_ONE, width=1.0, size=224, box=8, epochs=50, seeds=(0, 1, 2, 3, 4), data="caltech101"
            ),
        },
        run_micro_object,
        Tolerance("trained", rtol=0.0, atol=3.0),
        GRID,
    ),
]
