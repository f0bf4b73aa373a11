"""Chapter 1: theoretical receptive field and ImageNet accuracy of the nine ResNets (Table 1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from ...receptive_field import theoretical_rf
from ..lab.models import DEPTH, RESNETS, imagenet_metrics, torchvision_model
from ..lab.reference import PAPER_TRF
from ..pipeline.context import RunContext
from ..pipeline.experiment import Experiment, Tolerance


@dataclass(frozen=True)
class TRFConfig:
    models: tuple[str, ...] = tuple(RESNETS)
    size: int = 224
    data: str = "none (architecture + torchvision metadata)"


def run_trf(config: TRFConfig, ctx: RunContext) -> dict[str, Any]:
    progress = ctx.progress
    rows = []
    for name in tqdm(config.models, desc="TRF", disable=not progress):
        r = theoretical_rf(torchvision_model(name), config.size)
        rows.append(
            {
                "model": name,
                "label": RESNETS[name],
                "depth": DEPTH[name],
                "trf": r.size,
                "stride": r.stride,
                "padding": r.padding,
                "paper_trf": PAPER_TRF[name],
                **imagenet_metrics(name),
            }
        )
    return {"resnets": pd.DataFrame(rows)}


EXPERIMENTS = [
    Experiment(
        "trf",
        "01_rf_vs_accuracy",
        "Theoretical RF and ImageNet accuracy of the nine ResNets (Table 1)",
        {s: TRFConfig() for s in ("smoke", "cpu", "paper")},
        run_trf,
        Tolerance("exact"),
    ),
]
