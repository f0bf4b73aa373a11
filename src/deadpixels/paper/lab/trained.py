"""The one path from an untrained classifier to its numbers, shared by every experiment that trains
(the from-scratch ResNets of chapters 3-5 and the fine-tuned EfficientNet-Lite): train, keep the
best-validation epoch, then measure the output ERF, translation and Theorem 1 on a fixed probe."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from ...erf import effective_rf
from .measure import measure
from .perturbation import mean_output_change, translation_change
from .training import TrainConfig, train_classifier


@dataclass(frozen=True)
class Probe:
    """The fixed inputs on which every trained classifier of an experiment is measured: test
    ``images`` with their ``labels`` (the output ERF and Theorem 1), ``shifted`` images one pixel
    larger (the translation test), and Theorem 1's ``window`` of pixels and its ``eps``."""

    images: torch.Tensor
    labels: torch.Tensor
    shifted: torch.Tensor
    window: list[tuple[int, int]]
    eps: float = 0.1


@dataclass
class Measured:
    """What :func:`train_and_measure` returns: the best-validation model and its history, one row
    of measurements, Theorem 1's per-pixel rows (empty unless asked for) and the output ERF map."""

    model: torch.nn.Module
    history: pd.DataFrame
    row: dict[str, Any]
    theorem: list[dict[str, Any]]
    erf: np.ndarray


def theorem_window(size: int) -> list[tuple[int, int]]:
    """The paper's 25 pixels (100..104)^2 at 224 px, scaled to ``size``."""
    start = int(round(100 * size / 224))
    return [(r, c) for r in range(start, start + 5) for c in range(start, start + 5)]


def train_and_measure(
    model: torch.nn.Module,
    splits: dict[str, Any],
    train: TrainConfig,
    probe: Probe,
    seed: int,
    device: torch.device | str = "cpu",
    progress: bool = True,
    desc: str = "train",
    theorem: bool = False,
) -> Measured:
    """The one path from an untrained classifier to its numbers, shared by every experiment that
    trains: train (keeping the best-validation epoch), then the output ERF on ``probe.images``
    (:func:`measure`: Gaussian fit, L1/L2 raw and peak-normalised, lattice ratio), the 1-pixel
    translation change and, with ``theorem``, Theorem 1's mean output change at ``probe.window``."""
    model, history = train_classifier(model, splits, train, seed, device, progress, desc=desc)
    best = int(history["val_acc"].idxmax())
    R = effective_rf(model, probe.images, target="output", labels=probe.labels, device=device, progress=False)
    row = {
        "best_epoch": best + 1,
        "test_acc": float(history["test_acc"].iloc[best]),
        "translation": translation_change(model, probe.shifted, device=device),
        **measure(R, n_images=len(probe.images)),
    }
    rows = []
    if theorem:
        md = mean_output_change(model, probe.images, probe.labels, probe.window, eps=probe.eps, device=device)
        rows = [{"row": r, "col": c, "R": R[r, c], "MD": m} for (r, c), m in zip(probe.window, md)]
    return Measured(model, history, row, rows, R)


__all__ = ["Probe", "Measured", "theorem_window", "train_and_measure"]
