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
from ..pipeline.experiment import Experiment, Tolerance, data_root
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


def run_micro_object(config: MicroConfig, ctx: RunContext) -> dict[str, Any]:
    device, progress = ctx.device, ctx.progress
    hist, rows = [], []
    for arch in config.archs:
        for seed in config.seeds:
            splits = micro_object_splits(config, seed)
            for variant in ("vanilla", "kp"):
                model = build_model(arch, 2, config.width, variant, None, seed=seed)
                _, h = train_classifier(
                    model,
                    splits,
                    TrainConfig(epochs=config.epochs),
                    seed,
                    device,
                    progress,
                    desc=f"micro {arch}/{variant}/{seed}",
                )
                first, reached = first_epoch_above(h, ACCURACY_THRESHOLD, config.epochs)
                rows.append(
                    {
                        "arch": arch,
                        "variant": variant,
                        "seed": seed,
                        "first_epoch_90": first,
                        "reached": reached,
                        "final_test_acc": float(h["test_acc"].iloc[-1]),
                    }
                )
                hist.append(h.assign(arch=arch, variant=variant, seed=seed))
    return {"runs": pd.DataFrame(rows), "history": pd.concat(hist, ignore_index=True)}


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
                epochs=20,
                seeds=(0, 1, 2, 3, 4),
                n_train=2048,
                n_test=256,
            ),
            "paper": MicroConfig(
                archs=HUNDRED_ONE, width=1.0, size=224, box=8, epochs=50, seeds=(0, 1, 2, 3, 4), data="caltech101"
            ),
        },
        run_micro_object,
        Tolerance("trained", rtol=0.0, atol=3.0),
    ),
]
