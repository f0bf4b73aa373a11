"""Chapters 1-3 on real ImageNet-trained CNNs: the ERF of EfficientNet-Lite0/1/2 at every stage
output and at the logit of the predicted class, with ImageNet weights, with random weights (BN
calibrated) and structurally, each measured with a bootstrap 95% CI over images."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from ...erf import effective_rf, structural_erf
from ...fitting import fit_gaussian, imbalance_indices, lattice_ratio, mean_sigma
from ...receptive_field import theoretical_rf
from ..lab import data as D
from ..lab.efficientnet import LITE, LITE_MEAN, LITE_STD, build_lite
from ..lab.measure import MAP_STORAGE, calibrate_batchnorm, compact, measure
from ..lab.training import logits
from ..pipeline.context import RunContext
from ..pipeline.experiment import Experiment, Tolerance

#: Quantities that get a bootstrap CI; sigma needs a Gaussian fit per resample, so it gets fewer.
CHEAP = ("L1", "L2", "L1_raw", "L2_raw", "lattice")


def lite_stages(model: torch.nn.Module) -> list[tuple[str, str]]:
    """(label, module name) of every stage output: the last block of each run of blocks with the
    same output width (EfficientNet's stages), e.g. ``("stage 4, stride 16", "_blocks.7")``."""
    blocks = list(model._blocks)
    widths = [b._project_conv.out_channels for b in blocks]
    stride, out = 2, []  # the stem has stride 2
    for i, b in enumerate(blocks):
        stride *= b._depthwise_conv.stride[0]
        if i + 1 == len(blocks) or widths[i + 1] != widths[i]:
            out.append((f"stage {len(out) + 1}, stride {stride}", f"_blocks.{i}"))
    return out


def bootstrap(maps: np.ndarray, n_boot: int, n_fit: int, seed: int) -> dict[str, tuple[float, float]]:
    """Percentile 95% CIs over images of :data:`CHEAP` (``n_boot`` resamples) and of the mean sigma
    (``n_fit`` resamples, one Gaussian fit each)."""
    rng = np.random.default_rng(seed)
    n = len(maps)
    draws: dict[str, list[float]] = {k: [] for k in (*CHEAP, "sigma")}
    for b in range(n_boot):
        R = maps[rng.integers(0, n, n)].mean(0, dtype=np.float64)
        l1, l2 = imbalance_indices(R)
        l1r, l2r = imbalance_indices(R * n, normalise=None)
        for k, v in zip(CHEAP, (l1, l2, l1r, l2r, lattice_ratio(R))):
            draws[k].append(v)
        if b < n_fit:
            try:
                g = fit_gaussian(R)
                draws["sigma"].append(g.sigma)
            except (RuntimeError, ValueError):
                continue
    return {k: tuple(np.percentile(v, [2.5, 97.5])) if v else (np.nan, np.nan) for k, v in draws.items()}


@dataclass(frozen=True)
class TrainedERFConfig:
    models: tuple[str, ...] = tuple(LITE)
    size: int = 224  # one input size for all three, so their ERFs compare (the saturation question)
    n_images: int = 64
    batch_size: int = 16
    kinds: tuple[str, ...] = ("imagenet", "random_init", "structural")
    n_boot: int = 200
    n_fit_boot: int = 40
    seed: int = 0
    data: str = "64 random crops of the scikit-image photographs, normalised to [-1, 1] as the Lite models expect"
    maps: str = MAP_STORAGE


def _weighted_rows(
    model: Any, name: str, kind: str, x: torch.Tensor, targets: list, config: TrainedERFConfig, device: torch.device
) -> tuple[list[dict], dict[str, np.ndarray]]:
    rows, arrays = [], {}
    predicted = logits(model, x, device=device).argmax(1)
    for stage, target in targets:
        maps = effective_rf(
            model,
            x,
            target=target,
            labels=predicted if target == "output" else None,
            batch_size=config.batch_size,
            device=device,
            progress=False,
            per_image=True,
        )
        R = maps.mean(0, dtype=np.float64)
        ci = bootstrap(maps, config.n_boot, config.n_fit_boot, config.seed)
        row = {"model": name, "kind": kind, "stage": stage, "target": target, **measure(R, n_images=len(maps))}
        row["sigma"] = mean_sigma(row)
        row.update({f"{k}_lo": lo for k, (lo, _) in ci.items()} | {f"{k}_hi": hi for k, (_, hi) in ci.items()})
        rows.append(row)
        arrays[f"{name}/{target}/{kind}"] = compact(R)
    return rows, arrays


def run_trained_erf(config: TrainedERFConfig, ctx: RunContext) -> dict[str, Any]:
    device, progress = ctx.device, ctx.progress
    x = D.natural_images(config.n_images, config.size, seed=config.seed, mean=LITE_MEAN, std=LITE_STD)
    rows, arrays, models = [], {}, []
    for name in tqdm(config.models, desc="trained ERFs", disable=not progress):
        base = build_lite(name, "imagenet")
        targets = [*lite_stages(base), ("output", "output")]
        trf = theoretical_rf(base, config.size, target=targets[-2][1])
        models.append(
            {
                "model": name,
                "resolution": LITE[name].resolution,
                "top1": LITE[name].top1,
                "params_m": LITE[name].params_m,
                "trf": trf.size,
                "n_stages": len(targets) - 1,
                "final_stage": targets[-2][1],
            }
        )
        for kind in config.kinds:
            if kind == "structural":
                for stage, target in targets:
                    S = structural_erf(base, config.size, target=target, dtype=torch.float32)
                    row = {"model": name, "kind": kind, "stage": stage, "target": target, **measure(S)}
                    rows.append({**row, "sigma": mean_sigma(row)})
                    arrays[f"{name}/{target}/structural"] = compact(S)
                continue
            model = base if kind == "imagenet" else build_lite(name, None, seed=config.seed)
            if kind == "random_init":
                calibrate_batchnorm(model, x, device)
            r, a = _weighted_rows(model.to(device), name, kind, x, targets, config, device)
            rows += r
            arrays.update(a)
    return {"erf": pd.DataFrame(rows), "models": pd.DataFrame(models), **arrays}


EXPERIMENTS = [
    Experiment(
        "erf_trained",
        "03_dead_pixels",
        "ERF of ImageNet-trained EfficientNet-Lite0/1/2 at every stage and at the output, trained vs random "
        "vs structural, with bootstrap CIs",
        {
            "smoke": TrainedERFConfig(
                models=("efficientnet_lite0",), size=32, n_images=2, batch_size=2, n_boot=5, n_fit_boot=2
            ),
            "cpu": TrainedERFConfig(),
        },
        run_trained_erf,
        Tolerance("deterministic", rtol=1e-3, atol=1e-3),
    ),
]
