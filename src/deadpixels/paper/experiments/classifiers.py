"""The classifiers of chapters 3-5: trained before and after kernel padding, with Gaussian-noise
and BlurPool alternatives; measured by accuracy, output ERF, Theorem 1's mean output change,
1-pixel translation and a one-pixel attack."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from ..lab import data as D
from ..lab import datasets
from ..lab.models import build_model
from ..lab.perturbation import lattice_pixels, mean_output_change, one_pixel_attack
from ..lab.trained import Probe, theorem_window, train_and_measure
from ..lab.training import TrainConfig
from ..pipeline.context import RunContext
from ..pipeline.experiment import Cell, Grid, data_root, run_serially


@dataclass(frozen=True)
class ClassifierConfig:
    archs: tuple[str, ...]
    width: float
    size: int
    epochs: int
    n_train: int | None = None
    n_val: int | None = None
    n_test: int | None = None
    seeds: tuple[int, ...] = (0,)
    methods: tuple[str, ...] = ("vanilla", "kp", "noise", "blurpool")
    extra_seed_methods: tuple[str, ...] = ()  # methods that also run with ``extra_seeds``
    extra_seeds: tuple[int, ...] = ()
    noise_std: float = 0.1
    weights: str | None = None
    theorem_images: int = 256
    md_grid_step: int = 6
    md_images: int = 64
    attack_images: int = 128
    eps_grid: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 16.0)
    perturbation: bool = True  # Theorem 1, MD map and one-pixel attack
    data: str = "embedded"
    data_root: str | None = None
    seed: int = 0


def classifier_splits(config: ClassifierConfig) -> tuple[dict[str, Any], int]:
    """Train/val/test splits and the number of classes."""
    if config.data == "embedded":
        s = D.photo_classification(config.n_train, config.n_val, config.n_test, config.size, config.seed)
        return s, len(D.PHOTOS)
    splits = datasets.paper_dataset(
        config.data,
        data_root(config),
        datasets.paper_transforms(True, config.size),
        datasets.paper_transforms(False, config.size),
        seed=config.seed,
    )
    return splits, datasets.num_classes(splits["test"])


def _test_tensor(splits: dict[str, Any], n: int) -> tuple[torch.Tensor, torch.Tensor]:
    ds = splits["test"]
    if isinstance(ds, torch.utils.data.TensorDataset):
        return ds.tensors[0][:n], ds.tensors[1][:n]
    xs, ys = zip(*(ds[i] for i in range(min(n, len(ds)))))
    return torch.stack(xs), torch.tensor(ys)


def _perturbation(
    model: Any,
    config: ClassifierConfig,
    R: np.ndarray,
    x: torch.Tensor,
    y: torch.Tensor,
    method: str,
    device: torch.device,
    grid: list[int],
    pixels: dict[str, list],
) -> tuple[list, dict]:
    """MD map and one-pixel attack of the first seed; strong/weak pixels come from vanilla's ERF."""
    arrays = {}
    pts = [(r, c) for r in grid for c in grid]
    md_map = mean_output_change(model, x[: config.md_images], y[: config.md_images], pts, device=device)
    arrays["md_map"] = md_map.reshape(len(grid), len(grid)).astype(np.float32)
    if method == "vanilla" or not pixels:
        pixels["strong"], pixels["weak"] = lattice_pixels(R)
    attack = []
    for kind in ("strong", "weak"):
        rates = one_pixel_attack(model, x[: config.attack_images], pixels[kind], list(config.eps_grid), device=device)
        attack += [
            {"method": method, "pixels": kind, "eps": e, "success": float(rates[:, k].mean())}
            for k, e in enumerate(config.eps_grid)
        ]
    return attack, arrays


def classifier_cells(config: ClassifierConfig) -> list[Cell]:
    """One cell per architecture, method and seed, in the serial order (every method's ``seeds``,
    then ``extra_seeds`` for ``extra_seed_methods``). The perturbation measurements of the first
    seed need vanilla's strong and weak pixels, so that KP cell runs after vanilla's."""
    runs = [(a, m, s) for a in config.archs for m in config.methods for s in config.seeds]
    runs += [(a, m, s) for a in config.archs for m in config.extra_seed_methods for s in config.extra_seeds]
    cells = []
    for a, m, s in runs:
        after = ()
        if config.perturbation and m == "kp" and s == config.seeds[0] and "vanilla" in config.methods:
            after = (_key(a, "vanilla", s),)
        cells.append(Cell(_key(a, m, s), {"arch": a, "method": m, "seed": s}, after))
    return cells


def _key(arch: str, method: str, seed: int) -> str:
    return f"arch={arch},method={method},seed={seed}"


def compute_classifier(config: ClassifierConfig, cell: Cell, deps: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
    """Train one classifier and measure it (and, for the first seed of vanilla and KP, its MD map
    and one-pixel attack). Every seed keeps its output ERF (``arch/method/erf_seed{s}``), so that a
    figure can show a typical seed rather than the first."""
    device, progress = ctx.device, ctx.progress
    arch, method, seed = cell.params["arch"], cell.params["method"], cell.params["seed"]
    splits, n_classes = classifier_splits(config)
    x_test, y_test = _test_tensor(splits, config.theorem_images)
    x_shift = D.natural_images(min(len(x_test), 256), config.size + 1, seed=config.seed + 1000)
    probe = Probe(x_test, y_test, x_shift, theorem_window(config.size))
    variant = "vanilla" if method == "noise" else method
    model = build_model(arch, n_classes, config.width, variant, config.weights, seed=seed)
    tc = TrainConfig(epochs=config.epochs, noise_std=config.noise_std if method == "noise" else 0.0)
    perturb = config.perturbation and method in ("vanilla", "kp")
    m = train_and_measure(model, splits, tc, probe, seed, device, progress, f"{arch}/{method}/{seed}", perturb)
    ids = {"arch": arch, "method": method, "seed": seed}
    out: dict[str, Any] = {
        "runs": pd.DataFrame([{**ids, **m.row}]),
        "history": m.history.assign(**ids),
        f"{arch}/{method}/erf_seed{seed}": m.erf.astype(np.float32),
    }
    if m.theorem:  # a cell caches no empty table (an empty CSV has no columns to read back)
        out["theorem1"] = pd.DataFrame([{**ids, **t} for t in m.theorem])
    if seed == config.seeds[0]:
        out[f"{arch}/{method}/erf"] = m.erf.astype(np.float32)
        if perturb:
            pixels: dict[str, list] = {}
            if cell.after:
                vanilla = deps[cell.after[0]][f"{arch}/vanilla/erf"]
                pixels["strong"], pixels["weak"] = lattice_pixels(np.asarray(vanilla, dtype=float))
            grid = list(range(config.md_grid_step // 2, config.size, config.md_grid_step))
            att, extra = _perturbation(m.model, config, m.erf, x_test, y_test, method, device, grid, pixels)
            out["attack"] = pd.DataFrame([{"arch": arch, **a} for a in att])
            out.update({f"{arch}/{method}/{k}": v for k, v in extra.items()})
    return out


def aggregate_classifiers(config: ClassifierConfig, outputs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Every cell's tables joined in cell order (a table no cell has is empty), their arrays by name,
    and the shared grids."""
    tables = ("runs", "history", "theorem1", "attack")
    parts = {t: [o[t] for o in outputs.values() if t in o] for t in tables}
    joined = {t: pd.concat(ps, ignore_index=True) if ps else pd.DataFrame() for t, ps in parts.items()}
    arrays = {k: v for o in outputs.values() for k, v in o.items() if k not in tables}
    grid = list(range(config.md_grid_step // 2, config.size, config.md_grid_step))
    return {**joined, "window": np.array(theorem_window(config.size)), "md_grid": np.array(grid), **arrays}


GRID = Grid(classifier_cells, compute_classifier, aggregate_classifiers)


def run_classification(config: ClassifierConfig, ctx: RunContext) -> dict[str, Any]:
    """The serial definition (the runner computes the same cells, each cached)."""
    return run_serially(GRID, config, ctx)


def run_imbalance_archs(config: ClassifierConfig, ctx: RunContext) -> dict[str, Any]:
    """The classification experiment without the perturbation measurements, for more architectures."""
    out = run_classification(config, ctx)
    return {k: v for k, v in out.items() if k in ("runs", "history") or k.endswith("/erf")}


def aggregate_imbalance(config: ClassifierConfig, outputs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    out = aggregate_classifiers(config, outputs)
    return {k: v for k, v in out.items() if k in ("runs", "history") or k.endswith("/erf")}


IMBALANCE_GRID = Grid(classifier_cells, compute_classifier, aggregate_imbalance)
