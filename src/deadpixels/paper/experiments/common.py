"""Every experiment of the book: its configs at the three scales and the code that runs it."""
from __future__ import annotations

import copy
import os
import warnings
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd
import torch
import torchvision
from tqdm.auto import tqdm

from . import data as D
from .erf import effective_rf, structural_erf
from .fitting import fit_gaussian, imbalance_indices, lattice_ratio
from .kernel_padding import find_odd_stride_layers, kernel_pad
from .models import DEPTH, RESNETS, build_model, imagenet_metrics
from .perturbation import lattice_pixels, mean_output_change, one_pixel_attack, translation_change
from .receptive_field import PAPER_TRF, theoretical_rf
from .training import TrainConfig, train_classifier

Config = dict[str, Any]
SIX = ["resnet50", "resnet101", "wide_resnet50_2", "wide_resnet101_2", "resnext50_32x4d", "resnext101_32x8d"]
HUNDRED_ONE = ["resnet101", "wide_resnet101_2", "resnext101_32x8d"]


@dataclass(frozen=True)
class Experiment:
    name: str
    chapter: str
    description: str
    configs: dict[str, Config]
    run: Callable[..., dict[str, Any]]

    def config(self, scale: str) -> Config:
        if scale not in self.configs:
            raise ValueError(f"{self.name} has no {scale!r} scale; available: {list(self.configs)}")
        return copy.deepcopy(self.configs[scale])


EXPERIMENTS: dict[str, Experiment] = {}


def register(name: str, chapter: str, description: str, configs: dict[str, Config]) -> Callable:
    def wrap(fn: Callable[..., dict[str, Any]]) -> Callable:
        EXPERIMENTS[name] = Experiment(name, chapter, description, configs, fn)
        return fn
    return wrap


def get_experiment(name: str) -> Experiment:
    if name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}; available: {sorted(EXPERIMENTS)}")
    return EXPERIMENTS[name]


def data_root(config: Config) -> str:
    return config.get("data_root") or os.environ.get("DEADPIXELS_DATA", "~/data")


MAP_STORAGE = "central 96x96 crop, divided by the map's peak, float16"


def compact(R: np.ndarray, crop: int = 48) -> np.ndarray:
    """A small copy of an ERF map for the cache (see :data:`MAP_STORAGE`). Dividing by the peak first
    keeps float16 in range: structural ERFs of deep residual networks exceed 65504."""
    h, w = R.shape
    c = min(crop, h // 2, w // 2)
    peak = float(R.max())
    crop_map = R[h // 2 - c:h // 2 + c, w // 2 - c:w // 2 + c] / (peak if peak > 0 else 1.0)
    return crop_map.astype(np.float16)


def measure(R: np.ndarray) -> dict[str, float]:
    """Gaussian fit, imbalance indices and lattice ratio of one ERF map."""
    row: dict[str, float] = {}
    try:
        g = fit_gaussian(R)
        row.update(sigma_x=g.sigma_x, sigma_y=g.sigma_y, r2=g.r2)
    except (RuntimeError, ValueError):
        row.update(sigma_x=np.nan, sigma_y=np.nan, r2=np.nan)
    l1, l2 = imbalance_indices(R)
    row.update(L1=l1, L2=l2, lattice=lattice_ratio(R))
    return row


# --- chapter 6 (and 1): the torchvision census ------------------------------------------------

NON_CNN = ("vit_", "swin_", "maxvit_")


def classification_models() -> list[str]:
    return sorted(torchvision.models.list_models(module=torchvision.models))


def family(name: str) -> str:
    for key in ("wide_resnet", "resnext", "resnet", "regnet_x", "regnet_y", "efficientnet_v2", "efficientnet",
                "mobilenet_v2", "mobilenet_v3", "mnasnet", "densenet", "vgg", "convnext", "shufflenet", "squeezenet",
                "inception", "googlenet", "alexnet", "vit", "swin", "maxvit"):
        if name.startswith(key):
            return key
    return name


@register("census", "06_census", "TRF, odd-kernel/even-stride layers and structural ERF of every torchvision classifier",
          {"smoke": {"models": ["resnet18", "mobilenet_v2", "convnext_tiny", "efficientnet_b0", "vit_b_16"], "size": 224, "data": "none (architecture only)", "maps": MAP_STORAGE},
           "cpu": {"models": "all", "size": 224, "data": "none (architecture only)", "maps": MAP_STORAGE},
           "paper": {"models": "all", "size": 224, "data": "none (architecture only)", "maps": MAP_STORAGE}})
def run_census(config: Config, device: str = "cpu", progress: bool = True) -> dict[str, Any]:
    names = classification_models() if config["models"] == "all" else config["models"]
    rows, arrays = [], {}
    for name in tqdm(names, desc="census", disable=not progress):
        size = 299 if name == "inception_v3" else config["size"]
        row: dict[str, Any] = {"model": name, "family": family(name), "input": size}
        try:
            row.update({k: v for k, v in imagenet_metrics(name).items() if k in ("acc1", "acc5", "params")})
        except (KeyError, ValueError):
            pass
        if name.startswith(NON_CNN):
            row["status"] = "excluded: not a CNN (self-attention mixes all positions)"
            rows.append(row)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = torchvision.models.get_model(name).eval()
        odd = find_odd_stride_layers(model)
        row["odd_stride_layers"] = "; ".join(f"{o.name} ({o.kernel[0]}x{o.kernel[1]}/s{o.stride[0]})" for o in odd)
        row["n_odd_stride"] = len(odd)
        try:
            trf = theoretical_rf(model, size)
        except ValueError as exc:
            row["status"] = f"excluded: {exc}"
            rows.append(row)
            continue
        if trf.is_global:
            row["status"] = f"excluded: global receptive field ({trf.reason})"
            rows.append(row)
            continue
        row.update(trf=trf.size if isinstance(trf.size, int) else max(trf.size), trf_stride=trf.stride, status="analysed")
        R = structural_erf(model, size, target="output", dtype=torch.float32)
        maps = {"": R}
        try:
            maps["kp_"] = structural_erf(kernel_pad(model), size, target="output", dtype=torch.float32)
        except ValueError as exc:  # odd feature maps at a stride-2 layer: KP would change shapes
            row["kp_note"] = str(exc).split(". Use")[0]
        for tag, M in maps.items():
            l1, l2 = imbalance_indices(M)
            row.update({f"{tag}L1": l1, f"{tag}L2": l2, f"{tag}lattice": lattice_ratio(M)})
        arrays[f"{name}/structural"] = compact(R)
        if "kp_" in maps:
            arrays[f"{name}/structural_kp"] = compact(maps["kp_"])
        rows.append(row)
        del model
    return {"census": pd.DataFrame(rows), **arrays}


# --- chapters 1-3: ERFs of the nine ResNets -----------------------------------------------------

@register("erf_resnets", "02_erf_saturation", "ERF (stage 3, stage 4, output) of the nine ResNets: structural and weighted",
          {"smoke": {"models": ["resnet18", "resnet50"], "size": 64, "n_images": 2, "batch_size": 2, "weights": None,
                     "targets": ["layer3", "layer4", "output"], "seed": 0, "data": "embedded natural images (scikit-image)",
                     "maps": MAP_STORAGE},
           "cpu": {"models": list(RESNETS), "size": 224, "n_images": 16, "batch_size": 8, "weights": None,
                   "targets": ["layer3", "layer4", "output"], "seed": 0,
                   "data": "embedded natural images (scikit-image), random-init weights with BN statistics calibrated",
                   "maps": MAP_STORAGE},
           "paper": {"models": list(RESNETS), "size": 224, "n_images": None, "batch_size": 32, "weights": "IMAGENET1K_V1",
                     "targets": ["layer3", "layer4", "output"], "seed": 0, "data": "cub200", "data_root": None,
                     "maps": MAP_STORAGE}})
def run_erf_resnets(config: Config, device: str = "cpu", progress: bool = True) -> dict[str, Any]:
    size, rows, arrays = config["size"], [], {}
    if config["data"] in ("cub200", "caltech101", "pet"):
        images: Any = torch.utils.data.DataLoader(D.paper_dataset(config["data"], data_root(config))["test"],
                                                  batch_size=config["batch_size"])
        calib = None
    else:
        images = D.natural_images(config["n_images"], size, seed=config["seed"])
        calib = images
    for name in tqdm(config["models"], desc="ERF of ResNets", disable=not progress):
        model = build_model(name, weights=config["weights"], seed=config["seed"]).to(device)
        if calib is not None:
            calibrate_batchnorm(model, calib, device)
        for target in config["targets"]:
            S = structural_erf(model, size, target=target, dtype=torch.float32)
            rows.append({"model": name, "depth": DEPTH[name], "kind": "structural", "target": target, **measure(S)})
            arrays[f"{name}/{target}/structural"] = compact(S)
            labels = None
            if target == "output":
                labels = predicted_labels(model, images, device) if calib is not None else None
            R = effective_rf(model, images, target=target, labels=labels, batch_size=config["batch_size"],
                             device=device, progress=False)
            kind = "imagenet" if config["weights"] else "random_init"
            rows.append({"model": name, "depth": DEPTH[name], "kind": kind, "target": target, **measure(R)})
            arrays[f"{name}/{target}/{kind}"] = compact(R)
        del model
    return {"erf": pd.DataFrame(rows), **arrays}


@torch.no_grad()
def calibrate_batchnorm(model: torch.nn.Module, images: torch.Tensor, device: str = "cpu") -> None:
    """Set BatchNorm running statistics from ``images`` (train-mode forward, no gradients), so a
    randomly initialised network has realistic activation scales in eval mode."""
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.reset_running_stats()
            m.momentum = None  # cumulative average
    model.train()
    for i in range(0, len(images), 8):
        model(images[i:i + 8].to(device))
    model.eval()


@torch.no_grad()
def predicted_labels(model: torch.nn.Module, images: torch.Tensor, device: str = "cpu") -> torch.Tensor:
    model.eval()
    return torch.cat([model(images[i:i + 16].to(device)).argmax(1).cpu() for i in range(0, len(images), 16)])


# --- chapters 3-5: classifiers before and after kernel padding ----------------------------------

def _splits(config: Config) -> tuple[dict[str, Any], int]:
    if config["data"] == "embedded":
        s = D.photo_classification(config["n_train"], config["n_val"], config["n_test"], config["size"], config["seed"])
        return s, len(D.PHOTOS)
    splits = D.paper_dataset(config["data"], data_root(config), D.paper_transforms(True, config["size"]),
                             D.paper_transforms(False, config["size"]), seed=config["seed"])
    return splits, D.num_classes(splits["test"])


def _test_tensor(splits: dict[str, Any], n: int) -> tuple[torch.Tensor, torch.Tensor]:
    ds = splits["test"]
    if isinstance(ds, torch.utils.data.TensorDataset):
        return ds.tensors[0][:n], ds.tensors[1][:n]
    xs, ys = zip(*(ds[i] for i in range(min(n, len(ds)))))
    return torch.stack(xs), torch.tensor(ys)


@register("classification", "04_kernel_padding", "Classifiers before/after kernel padding, with Gaussian-noise and BlurPool "
          "alternatives: accuracy, output ERF, Theorem 1, translation, one-pixel attack",
          {"smoke": {"archs": ["resnet18"], "width": 0.125, "size": 64, "n_train": 64, "n_val": 32, "n_test": 32,
                     "epochs": 1, "seeds": [0], "methods": ["vanilla", "kp", "noise", "blurpool"], "extra_seed_methods": [],
                     "noise_std": 0.1, "weights": None, "theorem_images": 16, "md_grid_step": 16, "md_images": 8,
                     "attack_images": 8, "eps_grid": [2.0, 8.0], "data": "embedded", "seed": 0},
           "cpu": {"archs": ["resnet50"], "width": 0.25, "size": 96, "n_train": 1024, "n_val": 256, "n_test": 256,
                   "epochs": 8, "seeds": [0], "methods": ["vanilla", "kp", "noise", "blurpool"],
                   "extra_seed_methods": ["vanilla", "kp"], "extra_seeds": [1, 2], "noise_std": 0.1, "weights": None,
                   "theorem_images": 256, "md_grid_step": 6, "md_images": 64, "attack_images": 128,
                   "eps_grid": [1.0, 2.0, 4.0, 8.0, 16.0], "data": "embedded", "seed": 0},
           "paper": {"archs": SIX, "width": 1.0, "size": 224, "epochs": 200, "seeds": [0],
                     "methods": ["vanilla", "kp", "noise", "blurpool"], "extra_seed_methods": ["vanilla", "kp"],
                     "extra_seeds": [1, 2], "noise_std": 0.1, "weights": "IMAGENET1K_V1", "theorem_images": 10000,
                     "md_grid_step": 14, "md_images": 256, "attack_images": 256, "eps_grid": [1.0, 2.0, 4.0, 8.0, 16.0],
                     "data": "caltech101", "data_root": None, "seed": 0}})
def run_classification(config: Config, device: str = "cpu", progress: bool = True) -> dict[str, Any]:
    splits, n_classes = _splits(config)
    size = config["size"]
    x_test, y_test = _test_tensor(splits, config["theorem_images"])
    x_shift = D.natural_images(min(len(x_test), 256), size + 1, seed=config["seed"] + 1000)
    # Theorem 1 window: the paper's 25 pixels (100..104)^2 at 224, scaled to this input size
    start = int(round(100 * size / 224))
    window = [(r, c) for r in range(start, start + 5) for c in range(start, start + 5)]
    grid = list(range(config["md_grid_step"] // 2, size, config["md_grid_step"]))
    runs = [(a, m, s) for a in config["archs"] for m in config["methods"] for s in config["seeds"]]
    runs += [(a, m, s) for a in config["archs"] for m in config["extra_seed_methods"] for s in config.get("extra_seeds", [])]
    hist, rows, theorem, attack, arrays = [], [], [], [], {}
    tc = TrainConfig(epochs=config["epochs"], noise_std=0.0)
    for arch, method, seed in tqdm(runs, desc="classifiers", disable=not progress):
        variant = {"noise": "vanilla"}.get(method, method)
        model = build_model(arch, n_classes, config["width"], variant, config["weights"], seed=seed)
        cfg = TrainConfig(**{**tc.to_dict(), "noise_std": config["noise_std"] if method == "noise" else 0.0})
        model, h = train_classifier(model, splits, cfg, seed, device, progress, desc=f"{arch}/{method}/{seed}")
        best = int(h["val_acc"].idxmax())
        hist.append(h.assign(arch=arch, method=method, seed=seed))
        R = effective_rf(model, x_test, target="output", labels=y_test, device=device, progress=False)
        row = {"arch": arch, "method": method, "seed": seed, "best_epoch": best + 1,
               "test_acc": float(h["test_acc"].iloc[best]), "translation": translation_change(model, x_shift, device=device),
               **measure(R)}
        rows.append(row)
        if method in ("vanilla", "kp") and config.get("perturbation", True):
            md = mean_output_change(model, x_test, y_test, window, device=device)
            r_xy = np.array([R[r, c] for r, c in window])
            theorem += [{"arch": arch, "method": method, "seed": seed, "row": r, "col": c, "R": rv, "MD": m}
                        for (r, c), rv, m in zip(window, r_xy, md)]
        if seed == config["seeds"][0]:
            arrays[f"{arch}/{method}/erf"] = R.astype(np.float32)
            if method in ("vanilla", "kp") and config.get("perturbation", True):
                pts = [(r, c) for r in grid for c in grid]
                md_map = mean_output_change(model, x_test[:config["md_images"]], y_test[:config["md_images"]], pts, device=device)
                arrays[f"{arch}/{method}/md_map"] = md_map.reshape(len(grid), len(grid)).astype(np.float32)
                if method == "vanilla":
                    strong, weak = lattice_pixels(R)
                for kind, pix in (("strong", strong), ("weak", weak)):
                    rates = one_pixel_attack(model, x_test[:config["attack_images"]], pix, config["eps_grid"], device=device)
                    attack += [{"arch": arch, "method": method, "pixels": kind, "eps": e, "success": float(rates[:, k].mean())}
                               for k, e in enumerate(config["eps_grid"])]
        del model
    return {"runs": pd.DataFrame(rows), "history": pd.concat(hist, ignore_index=True), "theorem1": pd.DataFrame(theorem),
            "attack": pd.DataFrame(attack), "window": np.array(window), "md_grid": np.array(grid), **arrays}


@register("imbalance_archs", "04_kernel_padding", "Table 3 for the other five ResNets: output-ERF imbalance of trained "
          "classifiers before/after kernel padding (R-50 is in 'classification')",
          {"smoke": {"archs": ["resnet18"], "width": 0.125, "size": 64, "n_train": 64, "n_val": 32, "n_test": 32,
                     "epochs": 1, "seeds": [0], "methods": ["vanilla", "kp"], "extra_seed_methods": [], "noise_std": 0.1,
                     "weights": None, "theorem_images": 16, "perturbation": False, "md_grid_step": 16, "data": "embedded",
                     "seed": 0},
           "cpu": {"archs": [a for a in SIX if a != "resnet50"], "width": 0.25, "size": 96, "n_train": 768, "n_val": 256,
                   "n_test": 256, "epochs": 6, "seeds": [0], "methods": ["vanilla", "kp"], "extra_seed_methods": [],
                   "noise_std": 0.1, "weights": None, "theorem_images": 256, "perturbation": False, "md_grid_step": 6,
                   "data": "embedded", "seed": 0}})
def run_imbalance_archs(config: Config, device: str = "cpu", progress: bool = True) -> dict[str, Any]:
    """The classification experiment without the perturbation measurements, for more architectures."""
    out = run_classification(config, device, progress)
    return {k: v for k, v in out.items() if k in ("runs", "history") or k.endswith("/erf")}


@register("micro_object", "05_perturbation", "Micro-object task (black vs red box) from scratch, before/after kernel padding",
          {"smoke": {"arch": "resnet18", "width": 0.125, "size": 64, "box": 4, "n_train": 64, "n_test": 32, "epochs": 2,
                     "seeds": [0, 1], "data": "embedded", "seed": 0},
           "cpu": {"arch": "resnet18", "width": 0.25, "size": 64, "box": 4, "n_train": 2048, "n_test": 256, "epochs": 20,
                   "seeds": [0, 1, 2, 3, 4], "data": "embedded", "seed": 0},
           "paper": {"archs": HUNDRED_ONE, "arch": "resnet101", "width": 1.0, "size": 224, "box": 8, "n_train": None,
                     "n_test": None, "epochs": 50, "seeds": [0, 1, 2, 3, 4], "data": "caltech101", "data_root": None, "seed": 0}})
def run_micro_object(config: Config, device: str = "cpu", progress: bool = True) -> dict[str, Any]:
    hist, rows = [], []
    archs = config.get("archs") or [config["arch"]]
    for arch in archs:
        for seed in config["seeds"]:
            splits = micro_object_splits(config, seed)
            for variant in ("vanilla", "kp"):
                model = build_model(arch, 2, config["width"], variant, None, seed=seed)
                _, h = train_classifier(model, splits, TrainConfig(epochs=config["epochs"]), seed, device, progress,
                                        desc=f"micro {arch}/{variant}/{seed}")
                above = h.index[h["test_acc"] > 0.9]
                first = int(h["epoch"].iloc[above[0]]) if len(above) else config["epochs"]
                rows.append({"arch": arch, "variant": variant, "seed": seed, "first_epoch_90": first,
                             "reached": bool(len(above)), "final_test_acc": float(h["test_acc"].iloc[-1])})
                hist.append(h.assign(arch=arch, variant=variant, seed=seed))
    return {"runs": pd.DataFrame(rows), "history": pd.concat(hist, ignore_index=True)}


def micro_object_splits(config: Config, seed: int) -> dict[str, Any]:
    if config["data"] == "embedded":
        return D.micro_object(config["n_train"], config["n_test"], config["size"], config["box"], seed=seed)
    if config["data"] != "caltech101":
        raise ValueError(f"micro-object templates come from 'embedded' or 'caltech101'; got {config['data']!r}")
    return D.paper_micro_object(data_root(config), config["size"], config["box"], seed=seed)


@register("kp_exact", "04_kernel_padding", "Kernel padding with zero-padded kernels leaves outputs unchanged (float64)",
          {"smoke": {"models": ["resnet18", "mobilenet_v2"], "size": 64, "n_images": 2, "data": "random normal inputs"},
           "cpu": {"models": ["resnet18", "resnet50", "resnext50_32x4d", "wide_resnet50_2", "mobilenet_v2", "densenet121",
                              "regnet_x_400mf", "googlenet", "alexnet", "shufflenet_v2_x1_0"],
                   "size": 224, "n_images": 2, "data": "random normal inputs"},
           "paper": {"models": list(RESNETS), "size": 224, "n_images": 4, "data": "random normal inputs"}})
def run_kp_exact(config: Config, device: str = "cpu", progress: bool = True) -> dict[str, Any]:
    rows = []
    gen = torch.Generator().manual_seed(0)
    for name in tqdm(config["models"], desc="KP exactness", disable=not progress):
        torch.manual_seed(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = torchvision.models.get_model(name).double().eval()
        for m in model.modules():  # non-trivial BN statistics, as in a trained model
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.normal_(0, 0.1, generator=gen)
                m.running_var.uniform_(0.5, 2.0, generator=gen)
        padded = kernel_pad(model, pools=False).eval()
        x = torch.randn(config["n_images"], 3, config["size"], config["size"], generator=gen, dtype=torch.float64)
        with torch.no_grad():
            a, b = model(x), padded(x)
        rows.append({"model": name, "padded_layers": len(find_odd_stride_layers(model)),
                     "max_abs_diff": float((a - b).abs().max()), "max_abs_output": float(a.abs().max())})
    return {"kp_exact": pd.DataFrame(rows)}


@register("trf", "01_rf_vs_accuracy", "Theoretical RF and ImageNet accuracy of the nine ResNets (Table 1)",
          {s: {"models": list(RESNETS), "size": 224, "data": "none (architecture + torchvision metadata)"} for s in ("smoke", "cpu", "paper")})
def run_trf(config: Config, device: str = "cpu", progress: bool = True) -> dict[str, Any]:
    rows = []
    for name in tqdm(config["models"], desc="TRF", disable=not progress):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = torchvision.models.get_model(name)
        r = theoretical_rf(model, config["size"])
        rows.append({"model": name, "label": RESNETS[name], "depth": DEPTH[name], "trf": r.size, "stride": r.stride,
                     "paper_trf": PAPER_TRF[name], **imagenet_metrics(name)})
    return {"resnets": pd.DataFrame(rows)}
