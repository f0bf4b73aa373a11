"""Chapter 6 (and 1, 3): the dead-pixel census of every torchvision classifier: TRF, layers with an
odd kernel and an even stride, and the structural output ERF before and after kernel padding."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import torchvision
from tqdm.auto import tqdm

from ...dead_pixels import DeadPixelReport, dead_pixel_test
from ..lab.measure import MAP_STORAGE, compact
from ..lab.models import imagenet_metrics, torchvision_model
from ..pipeline.context import RunContext
from ..pipeline.experiment import Experiment, Tolerance

#: Model-name prefixes that are not CNNs (self-attention mixes all positions).
NON_CNN = ("vit_", "swin_", "maxvit_")
#: Families, matched as name prefixes in this order.
FAMILIES = (
    "wide_resnet",
    "resnext",
    "resnet",
    "regnet_x",
    "regnet_y",
    "efficientnet_v2",
    "efficientnet",
    "mobilenet_v2",
    "mobilenet_v3",
    "mnasnet",
    "densenet",
    "vgg",
    "convnext",
    "shufflenet",
    "squeezenet",
    "inception",
    "googlenet",
    "alexnet",
    "vit",
    "swin",
    "maxvit",
)


def family(name: str) -> str:
    return next((key for key in FAMILIES if name.startswith(key)), name)


def input_size(name: str, default: int = 224) -> int:
    """Inception-v3 needs 299 px; every other torchvision classifier takes ``default``."""
    return 299 if name == "inception_v3" else default


@dataclass(frozen=True)
class CensusConfig:
    models: tuple[str, ...] | None = None  # None: every torchvision classifier
    size: int = 224
    data: str = "none (architecture only)"
    maps: str = MAP_STORAGE


def run_census(config: CensusConfig, ctx: RunContext) -> dict[str, Any]:
    progress = ctx.progress
    names = config.models or sorted(torchvision.models.list_models(module=torchvision.models))
    rows, arrays = [], {}
    for name in tqdm(names, desc="census", disable=not progress):
        size = input_size(name, config.size)
        row: dict[str, Any] = {"model": name, "family": family(name), "input": size}
        try:
            row.update({k: v for k, v in imagenet_metrics(name).items() if k in ("acc1", "acc5", "params")})
        except (KeyError, ValueError):
            pass
        if name.startswith(NON_CNN):
            rows.append({**row, "status": "excluded: not a CNN (self-attention mixes all positions)"})
            continue
        found, maps = analysis_row(name, dead_pixel_test(torchvision_model(name), size))
        rows.append({**row, **found})
        arrays.update(maps)
    return {"census": pd.DataFrame(rows), **arrays}


def analysis_row(name: str, a: DeadPixelReport) -> tuple[dict[str, Any], dict[str, Any]]:
    """One census row (odd/even layers, status, spatial TRF, gates, imbalance before and after KP)
    and the stored maps of one model's dead-pixel test; the torchvision and timm censuses share it."""
    row: dict[str, Any] = {
        "odd_stride_layers": "; ".join(f"{o.name} ({o.kernel[0]}x{o.kernel[1]}/s{o.stride[0]})" for o in a.odd_layers),
        "n_odd_stride": len(a.odd_layers),
    }
    if a.excluded:
        return {**row, "status": f"excluded: {a.excluded}"}, {}
    maps = {f"{name}/{key}": compact(M) for key, M in a.maps.items()}
    if a.untraced:  # maps from the module tree, no TRF: shown, but not counted with the analysed
        return {**row, "status": f"no TRF, ERF from the module tree: {a.untraced}", **a.metrics}, maps
    spatial = a.spatial_trf
    assert spatial is not None
    trf = spatial.size if isinstance(spatial.size, int) else max(spatial.size)
    row.update(trf=trf, trf_stride=spatial.stride, gates=a.gates, status="analysed", **a.metrics)
    if a.kp_note:
        row["kp_note"] = a.kp_note
    return row, maps


EXPERIMENTS = [
    Experiment(
        "census",
        "06_census",
        "TRF, odd-kernel/even-stride layers and structural ERF of every torchvision classifier",
        {
            "smoke": CensusConfig(models=("resnet18", "mobilenet_v2", "convnext_tiny", "efficientnet_b0", "vit_b_16")),
            "cpu": CensusConfig(),
            "paper": CensusConfig(),
        },
        run_census,
        Tolerance("deterministic", rtol=1e-4, atol=1e-5),
    ),
]
