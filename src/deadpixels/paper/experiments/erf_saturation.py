"""Chapters 1-3: ERFs (stage 3, stage 4, output) of the nine ResNets, structural and weighted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import torch
from tqdm.auto import tqdm

from ...erf import effective_rf, structural_erf
from ..lab import data as D
from ..lab import datasets
from ..lab.measure import MAP_STORAGE, calibrate_batchnorm, compact, measure
from ..lab.models import DEPTH, RESNETS, build_model
from ..lab.training import logits
from ..pipeline.context import RunContext
from ..pipeline.experiment import Experiment, Tolerance, data_root


@dataclass(frozen=True)
class ERFConfig:
    models: tuple[str, ...] = tuple(RESNETS)
    size: int = 224
    n_images: int | None = 16
    batch_size: int = 8
    weights: str | None = None
    targets: tuple[str, ...] = ("layer3", "layer4", "output")
    seed: int = 0
    data: str = "embedded natural images (scikit-image), random-init weights with BN statistics calibrated"
    maps: str = MAP_STORAGE
    data_root: str | None = None


def run_erf_resnets(config: ERFConfig, ctx: RunContext) -> dict[str, Any]:
    device, progress = ctx.device, ctx.progress
    rows, arrays = [], {}
    if config.data in ("cub200", "caltech101", "pet"):
        test = datasets.paper_dataset(config.data, data_root(config))["test"]
        images: Any = torch.utils.data.DataLoader(test, batch_size=config.batch_size)
        calib = None
    else:
        images = D.natural_images(config.n_images, config.size, seed=config.seed)
        calib = images
    kind = "imagenet" if config.weights else "random_init"
    for name in tqdm(config.models, desc="ERF of ResNets", disable=not progress):
        model = build_model(name, weights=config.weights, seed=config.seed).to(device)
        if calib is not None:
            calibrate_batchnorm(model, calib, device)
        for target in config.targets:
            S = structural_erf(model, config.size, target=target, dtype=torch.float32)
            rows.append({"model": name, "depth": DEPTH[name], "kind": "structural", "target": target, **measure(S)})
            arrays[f"{name}/{target}/structural"] = compact(S)
            labels = None
            if target == "output" and calib is not None:  # the predicted class: random weights have no labels
                labels = logits(model, calib, device=device).argmax(1)
            R = effective_rf(
                model, images, target=target, labels=labels, batch_size=config.batch_size, device=device, progress=False
            )
            rows.append({"model": name, "depth": DEPTH[name], "kind": kind, "target": target, **measure(R)})
            arrays[f"{name}/{target}/{kind}"] = compact(R)
        del model
    return {"erf": pd.DataFrame(rows), **arrays}


EXPERIMENTS = [
    Experiment(
        "erf_resnets",
        "02_erf_saturation",
        "ERF (stage 3, stage 4, output) of the nine ResNets: structural and weighted",
        {
            "smoke": ERFConfig(
                models=("resnet18", "resnet50"),
                size=64,
                n_images=2,
                batch_size=2,
                data="embedded natural images (scikit-image)",
            ),
            "cpu": ERFConfig(),
            "paper": ERFConfig(n_images=None, batch_size=32, weights="IMAGENET1K_V1", data="cub200"),
        },
        run_erf_resnets,
        Tolerance("deterministic", rtol=1e-3, atol=1e-3),
    ),
]
