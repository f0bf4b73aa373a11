"""Chapter 6, "Test your own network": what ``python -m deadpixels check efficientnet_lite0 --images
DIR`` reports for the ImageNet-trained Lite0 on the embedded photographs, cached so that the book
shows the command's report and figure without running it. The same call as the command's
(:func:`deadpixels.dead_pixel_test` with ``images``), on the photographs the command would read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ...dead_pixels import dead_pixel_test
from ..lab import data as D
from ..lab.efficientnet import LITE_MEAN, LITE_STD, build_lite
from ..pipeline.context import RunContext
from ..pipeline.experiment import Experiment, Tolerance


@dataclass(frozen=True)
class OwnNetworkConfig:
    model: str = "efficientnet_lite0"
    size: int = 224
    n_images: int = 32
    batch_size: int = 8
    seed: int = 0
    data: str = "32 random crops of the scikit-image photographs, normalised to [-1, 1] as Lite0 expects"


def flat(metrics: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """The nested metrics of the trained test as one row (``gaussian.r2``, ``area_ratio.50%.ratio``)."""
    row: dict[str, Any] = {}
    for key, value in metrics.items():
        if isinstance(value, dict):
            row.update(flat(value, f"{prefix}{key}."))
        elif isinstance(value, (list, tuple)) and all(isinstance(v, (int, float)) for v in value):
            row.update({f"{prefix}{key}.{i}": v for i, v in enumerate(value)})
        elif value is not None and not isinstance(value, (list, tuple)):
            row[f"{prefix}{key}"] = value
    return row


def run_own_network(config: OwnNetworkConfig, ctx: RunContext) -> dict[str, Any]:
    x = D.natural_images(config.n_images, config.size, seed=config.seed, mean=LITE_MEAN, std=LITE_STD)
    model = build_lite(config.model, "imagenet")
    a = dead_pixel_test(
        model, config.size, images=x, batch_size=config.batch_size, device=ctx.device, progress=ctx.progress
    )
    trained = {k: v for k, v in (a.trained or {}).items() if k != "labels"}
    structural = {
        "odd_stride_layers": len(a.odd_layers),
        "trf": None if a.spatial_trf is None else a.spatial_trf.size,
        **a.metrics,
    }
    return {
        "trained": pd.DataFrame([flat(trained)]),
        "structural": pd.DataFrame([structural]),
        "trained_map": a.maps["trained"].astype(np.float32),
        "structural_map": a.maps["structural"].astype(np.float32),
    }


EXPERIMENTS = [
    Experiment(
        "own_network",
        "06_census",
        "check --images on the ImageNet-trained EfficientNet-Lite0 with the embedded photographs: the trained "
        "ERF's metrics beside the structural test",
        {
            "smoke": OwnNetworkConfig(size=64, n_images=2, batch_size=2),
            "cpu": OwnNetworkConfig(),
        },
        run_own_network,
        Tolerance("deterministic", rtol=1e-3, atol=1e-3),
    ),
]
