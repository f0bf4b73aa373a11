"""Chapter 4 (and 3, 5): kernel padding. Its exactness (zero-padded kernels, float64), and the
classifiers trained before and after it (code in :mod:`.classifiers`), registered here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import torch
from tqdm.auto import tqdm

from ...kernel_padding import find_odd_stride_layers, kernel_pad
from ..lab.models import RESNETS, portable_init, torchvision_model
from ..pipeline.context import RunContext
from ..pipeline.experiment import Experiment, Tolerance
from .classifiers import GRID as CLASSIFIER_GRID
from .classifiers import IMBALANCE_GRID, ClassifierConfig, run_classification, run_imbalance_archs

#: The six ResNets of the paper's Table 3.
SIX = ("resnet50", "resnet101", "wide_resnet50_2", "wide_resnet101_2", "resnext50_32x4d", "resnext101_32x8d")
#: The three 101-layer ResNets of Tables 4-6.
HUNDRED_ONE = ("resnet101", "wide_resnet101_2", "resnext101_32x8d")


# --- exactness --------------------------------------------------------------------------------


@dataclass(frozen=True)
class KPExactConfig:
    models: tuple[str, ...]
    size: int = 224
    n_images: int = 2
    data: str = "random normal inputs"


def run_kp_exact(config: KPExactConfig, ctx: RunContext) -> dict[str, Any]:
    progress = ctx.progress
    rows = []
    gen = torch.Generator().manual_seed(0)
    for name in tqdm(config.models, desc="KP exactness", disable=not progress):
        with portable_init(0):  # the same random model on every CPU, so max_abs_output is exact too
            model = torchvision_model(name)
        for m in model.modules():  # non-trivial BN statistics, as in a trained model
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.normal_(0, 0.1, generator=gen)
                m.running_var.uniform_(0.5, 2.0, generator=gen)
        padded = kernel_pad(model, pools=False).eval()
        x = torch.randn(config.n_images, 3, config.size, config.size, generator=gen, dtype=torch.float64)
        with torch.no_grad():
            a, b = model(x), padded(x)
        rows.append(
            {
                "model": name,
                "padded_layers": len(find_odd_stride_layers(model)),
                "max_abs_diff": float((a - b).abs().max()),
                "max_abs_output": float(a.abs().max()),
            }
        )
    return {"kp_exact": pd.DataFrame(rows)}


_SMOKE = ClassifierConfig(
    archs=("resnet18",),
    width=0.125,
    size=64,
    epochs=1,
    n_train=64,
    n_val=32,
    n_test=32,
    theorem_images=16,
    md_grid_step=16,
    md_images=8,
    attack_images=8,
    eps_grid=(2.0, 8.0),
)
_TRAINED = Tolerance("trained", rtol=0.05, atol=0.02)

EXPERIMENTS = [
    Experiment(
        "kp_exact",
        "04_kernel_padding",
        "Kernel padding with zero-padded kernels leaves outputs unchanged (float64)",
        {
            "smoke": KPExactConfig(models=("resnet18", "mobilenet_v2"), size=64),
            "cpu": KPExactConfig(
                models=(
                    "resnet18",
                    "resnet50",
                    "resnext50_32x4d",
                    "wide_resnet50_2",
                    "mobilenet_v2",
                    "densenet121",
                    "regnet_x_400mf",
                    "googlenet",
                    "alexnet",
                    "shufflenet_v2_x1_0",
                )
            ),
            "paper": KPExactConfig(models=tuple(RESNETS), n_images=4),
        },
        run_kp_exact,
        Tolerance("exact", atol=1e-12),
    ),
    Experiment(
        "classification",
        "04_kernel_padding",
        "Classifiers before/after kernel padding, with Gaussian-noise and BlurPool alternatives: accuracy, "
        "output ERF, Theorem 1, translation, one-pixel attack",
        {
            "smoke": _SMOKE,
            "cpu": ClassifierConfig(
                archs=("resnet50",),
                width=0.25,
                size=96,
                epochs=8,
                n_train=1024,
                n_val=256,
                n_test=256,
                # registered 2026-12-07 (issue #40, claims.power): 12 paired seeds for vanilla and KP,
                # 8 for each comparator
                seeds=(0, 1, 2, 3, 4, 5, 6, 7),
                extra_seed_methods=("vanilla", "kp"),
                extra_seeds=(8, 9, 10, 11),
            ),
            "paper": ClassifierConfig(
                archs=SIX,
                width=1.0,
                size=224,
                epochs=200,
                extra_seed_methods=("vanilla", "kp"),
                extra_seeds=(1, 2),
                weights="IMAGENET1K_V1",
                theorem_images=10000,
                md_grid_step=14,
                md_images=256,
                attack_images=256,
                data="caltech101",
            ),
        },
        run_classification,
        _TRAINED,
        CLASSIFIER_GRID,
    ),
    Experiment(
        "imbalance_archs",
        "04_kernel_padding",
        "Table 3 for the other five ResNets: output-ERF imbalance of trained classifiers before/after kernel "
        "padding (R-50 is in 'classification')",
        {
            "smoke": ClassifierConfig(**{**_SMOKE.__dict__, "methods": ("vanilla", "kp"), "perturbation": False}),
            "cpu": ClassifierConfig(
                archs=tuple(a for a in SIX if a != "resnet50"),
                width=0.25,
                size=96,
                epochs=6,
                n_train=768,
                n_val=256,
                n_test=256,
                methods=("vanilla", "kp"),
                perturbation=False,
            ),
        },
        run_imbalance_archs,
        _TRAINED,
        IMBALANCE_GRID,
    ),
]
