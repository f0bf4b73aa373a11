"""Chapters 4-5 on a real ImageNet-trained CNN: the paper's kernel-padding protocol on
EfficientNet-Lite0. The same pretrained network is fine-tuned four ways (vanilla; kernel padding
with the pretrained kernels zero-padded; Gaussian-noise training; BlurPool inserted at the stride-2
layers), in a paired design: a seed fixes the data order and the new head's initialisation for
every method. Each fine-tuned model is then measured: test accuracy, the output ERF (L1/L2 raw and
peak-normalised, lattice ratio), Theorem 1's mean output change at 25 pixels, and the 1-pixel
translation test.

The task is fixed before any method is compared: a pilot fine-tunes *vanilla only* (its own seed)
on the embedded photo-identification task at decreasing crop sizes and keeps the first whose test
accuracy falls inside ``accuracy_band``, so the comparison has headroom on both sides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch.utils.data import TensorDataset

from ..lab import data as D
from ..lab.efficientnet import LITE_MEAN, LITE_STD
from ..lab.models import build_model
from ..lab.trained import Probe, theorem_window, train_and_measure
from ..lab.training import TrainConfig, train_classifier
from ..pipeline.context import RunContext
from ..pipeline.experiment import Cell, Experiment, Grid, Tolerance, run_serially


@dataclass(frozen=True)
class FinetuneConfig:
    model: str = "efficientnet_lite0"
    weights: str = "imagenet"
    size: int = 128
    n_train: int = 512
    n_val: int = 128
    n_test: int = 256
    epochs: int = 4
    lr: float = 0.01
    batch_size: int = 64
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6, 7)
    methods: tuple[str, ...] = ("vanilla", "kp", "noise", "blurpool")
    noise_std: float = 0.1  # in the model's normalised units ([-1, 1] images)
    # crop-area ranges tried in order by the pilot, easiest first
    difficulties: tuple[tuple[float, float], ...] = ((0.02, 0.15), (0.01, 0.06), (0.004, 0.02), (0.0015, 0.008))
    accuracy_band: tuple[float, float] = (0.60, 0.95)
    pilot_seed: int = 1000
    task_seed: int = 0
    measure_images: int = 128  # test images for the ERF, Theorem 1 and translation
    eps: float = 0.1
    data: str = (
        "embedded photo-identification task (16 scikit-image photographs; which photograph is a crop "
        "from?), Lite normalisation"
    )


def to_lite(ds: TensorDataset) -> TensorDataset:
    """Re-normalise an ImageNet-normalised tensor dataset to the Lite models' [-1, 1] inputs."""
    mean = torch.tensor(D.IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(D.IMAGENET_STD).view(1, 3, 1, 1)
    x01 = ds.tensors[0] * std + mean
    return TensorDataset(D.normalise(x01, LITE_MEAN, LITE_STD), ds.tensors[1])


def task(config: FinetuneConfig, difficulty: tuple[float, float]) -> dict[str, TensorDataset]:
    splits = D.photo_classification(
        config.n_train, config.n_val, config.n_test, config.size, config.task_seed, scale=tuple(difficulty)
    )
    return {k: to_lite(v) for k, v in splits.items()}


def _train_config(config: FinetuneConfig, method: str) -> TrainConfig:
    return TrainConfig(
        epochs=config.epochs,
        batch_size=config.batch_size,
        lr=config.lr,
        noise_std=config.noise_std if method == "noise" else 0.0,
    )


def _model(config: FinetuneConfig, method: str, seed: int) -> torch.nn.Module:
    variant = "vanilla" if method == "noise" else method
    return build_model(config.model, len(D.PHOTOS), variant=variant, weights=config.weights, seed=seed)


def pilot(config: FinetuneConfig, progress: bool, device: torch.device) -> tuple[tuple[float, float], pd.DataFrame]:
    """The first difficulty whose vanilla test accuracy is inside the band (else the closest)."""
    rows, lo, hi = [], *config.accuracy_band
    for difficulty in config.difficulties:
        _, h = train_classifier(
            _model(config, "vanilla", config.pilot_seed),
            task(config, difficulty),
            _train_config(config, "vanilla"),
            config.pilot_seed,
            device,
            progress,
            desc=f"{config.model}/pilot",
        )
        acc = float(h["test_acc"].iloc[int(h["val_acc"].idxmax())])
        rows.append(
            {
                "crop_area_min": difficulty[0],
                "crop_area_max": difficulty[1],
                "vanilla_test_acc": acc,
                "in_band": lo <= acc <= hi,
            }
        )
        if lo <= acc <= hi:
            break
    table = pd.DataFrame(rows)
    best = (
        table[table["in_band"]].index[0]
        if table["in_band"].any()
        else (table["vanilla_test_acc"] - (lo + hi) / 2).abs().idxmin()
    )
    table["chosen"] = table.index == best
    return config.difficulties[int(best)], table


def finetune_cells(config: FinetuneConfig) -> list[Cell]:
    """The pilot, then one cell per (seed, method): every method of a seed sees the same data."""
    pairs = [(s, m) for s in config.seeds for m in config.methods]
    return [Cell("pilot"), *(Cell(f"seed={s},method={m}", {"seed": s, "method": m}, ("pilot",)) for s, m in pairs)]


def compute_finetune(config: FinetuneConfig, cell: Cell, deps: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    """One cell: the pilot (which fixes the task), or one fine-tuned model and its measurements."""
    if cell.key == "pilot":
        difficulty, table = pilot(config, ctx.progress, ctx.device)
        return {"pilot": table, "chosen": config.difficulties.index(difficulty)}
    seed, method = cell.params["seed"], cell.params["method"]
    splits = task(config, config.difficulties[int(deps["pilot"]["chosen"])])
    x, y = (t[: config.measure_images] for t in splits["test"].tensors)
    x_shift = D.natural_images(
        config.measure_images, config.size + 1, seed=config.task_seed + 1000, mean=LITE_MEAN, std=LITE_STD
    )
    m = train_and_measure(
        _model(config, method, seed),
        splits,
        _train_config(config, method),
        Probe(x, y, x_shift, theorem_window(config.size), config.eps),
        seed,
        ctx.device,
        ctx.progress,
        f"{config.model}/{method}/{seed}",
        theorem=method in ("vanilla", "kp"),
    )
    ids = {"method": method, "seed": seed}
    out: dict[str, Any] = {"runs": pd.DataFrame([{**ids, **m.row}]), "history": m.history.assign(**ids)}
    if m.theorem:
        out["theorem1"] = pd.DataFrame([{**ids, **r} for r in m.theorem])
    if seed == config.seeds[0]:
        out[f"{method}/erf"] = m.erf.astype(np.float32)
    return out


def aggregate_finetune(config: FinetuneConfig, outputs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Every cell's output joined in cell order: the format of the serial run."""
    runs = [o for key, o in outputs.items() if key != "pilot"]
    theorem = [o["theorem1"] for o in runs if "theorem1" in o]
    return {
        "runs": pd.concat([o["runs"] for o in runs], ignore_index=True),
        "history": pd.concat([o["history"] for o in runs], ignore_index=True),
        "pilot": outputs["pilot"]["pilot"],
        "theorem1": pd.concat(theorem, ignore_index=True) if theorem else pd.DataFrame(),
        "window": np.array(theorem_window(config.size)),
        **{k: v for o in runs for k, v in o.items() if k.endswith("/erf")},
    }


GRID = Grid(finetune_cells, compute_finetune, aggregate_finetune)


def run_finetune(config: FinetuneConfig, ctx: RunContext) -> dict[str, Any]:
    """The serial definition: every cell in order, in this process (the runner caches each instead)."""
    return run_serially(GRID, config, ctx)


EXPERIMENTS = [
    Experiment(
        "kp_finetune",
        "04_kernel_padding",
        "The paper's protocol on ImageNet-trained EfficientNet-Lite0: fine-tuned vanilla, kernel-padded, "
        "with Gaussian noise and with BlurPool (paired seeds); accuracy, output ERF, Theorem 1, translation",
        {
            "smoke": FinetuneConfig(
                size=64,
                n_train=16,
                n_val=8,
                n_test=8,
                epochs=1,
                seeds=(0,),
                difficulties=((0.05, 0.4),),
                measure_images=4,
            ),
            "cpu": FinetuneConfig(),
        },
        run_finetune,
        Tolerance("trained", rtol=0.05, atol=0.03),
        GRID,
    ),
]
