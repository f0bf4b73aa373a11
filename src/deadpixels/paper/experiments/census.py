"""Chapter 6 (and 1, 3): the dead-pixel census of every torchvision classifier: TRF, layers with an
odd kernel and an even stride, and the structural output ERF before and after kernel padding."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch
import torchvision
from torch import nn
from tqdm.auto import tqdm

from ...erf import structural_erf
from ...fitting import imbalance_indices, lattice_ratio
from ...kernel_padding import find_odd_stride_layers, kernel_pad
from ...receptive_field import theoretical_rf
from ..lab.measure import MAP_STORAGE, compact
from ..lab.models import imagenet_metrics, torchvision_model
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


@dataclass
class Analysis:
    """The dead-pixel analysis of one architecture (no weights, no data)."""

    odd_layers: list = field(default_factory=list)
    trf: Any = None
    excluded: str | None = None  # why the model was not analysed
    kp_note: str | None = None  # why kernel padding could not be applied
    metrics: dict[str, float] = field(default_factory=dict)  # L1, L2, lattice, kp_L1, kp_L2, kp_lattice
    maps: dict[str, np.ndarray] = field(default_factory=dict)  # "structural", "structural_kp"


def analyse(model: nn.Module, size: int = 224) -> Analysis:
    """Odd-kernel/even-stride layers, TRF, and the structural output ERF's imbalance before and
    after kernel padding. A model whose receptive field is global, or that cannot be traced, comes
    back with ``excluded`` set; one that kernel padding cannot keep exact, with ``kp_note``."""
    out = Analysis(odd_layers=find_odd_stride_layers(model))
    try:
        out.trf = theoretical_rf(model, size)
    except ValueError as exc:
        out.excluded = str(exc)
        return out
    if out.trf.is_global:
        out.excluded = f"global receptive field ({out.trf.reason})"
        return out
    out.maps["structural"] = structural_erf(model, size, target="output", dtype=torch.float32)
    try:
        out.maps["structural_kp"] = structural_erf(kernel_pad(model), size, target="output", dtype=torch.float32)
    except ValueError as exc:  # odd feature maps at a stride-2 layer: KP would change shapes
        out.kp_note = str(exc).split(". Use")[0]
    for key, prefix in (("structural", ""), ("structural_kp", "kp_")):
        if key in out.maps:
            l1, l2 = imbalance_indices(out.maps[key])
            out.metrics.update({f"{prefix}L1": l1, f"{prefix}L2": l2, f"{prefix}lattice": lattice_ratio(out.maps[key])})
    return out


@dataclass(frozen=True)
class CensusConfig:
    models: tuple[str, ...] | None = None  # None: every torchvision classifier
    size: int = 224
    data: str = "none (architecture only)"
    maps: str = MAP_STORAGE


def run_census(config: CensusConfig, device: str = "cpu", progress: bool = True) -> dict[str, Any]:
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
        a = analyse(torchvision_model(name), size)
        row["odd_stride_layers"] = "; ".join(
            f"{o.name} ({o.kernel[0]}x{o.kernel[1]}/s{o.stride[0]})" for o in a.odd_layers
        )
        row["n_odd_stride"] = len(a.odd_layers)
        if a.excluded:
            rows.append({**row, "status": f"excluded: {a.excluded}"})
            continue
        trf = a.trf.size if isinstance(a.trf.size, int) else max(a.trf.size)
        row.update(trf=trf, trf_stride=a.trf.stride, status="analysed", **a.metrics)
        if a.kp_note:
            row["kp_note"] = a.kp_note
        arrays.update({f"{name}/{key}": compact(M) for key, M in a.maps.items()})
        rows.append(row)
    return {"census": pd.DataFrame(rows), **arrays}


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
