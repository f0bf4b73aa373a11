"""The book's experiments, one module per chapter, and their registry."""

from __future__ import annotations

from ..pipeline.experiment import Experiment
from . import (
    census,
    erf_saturation,
    finetune,
    kernel_padding,
    kp_growth,
    own_network,
    perturbation,
    rf_accuracy,
    trained_erf,
    zoo,
)

#: Every experiment by name.
EXPERIMENTS: dict[str, Experiment] = {
    e.name: e
    for module in (
        rf_accuracy,
        erf_saturation,
        trained_erf,
        kernel_padding,
        finetune,
        kp_growth,
        perturbation,
        census,
        zoo,
        own_network,
    )
    for e in module.EXPERIMENTS
}


def get_experiment(name: str) -> Experiment:
    """The experiment called ``name``; a ValueError lists the known ones."""
    if name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}; available: {', '.join(sorted(EXPERIMENTS))}")
    return EXPERIMENTS[name]


def chapters() -> list[str]:
    return sorted({e.chapter for e in EXPERIMENTS.values()})


__all__ = ["EXPERIMENTS", "get_experiment", "chapters"]
