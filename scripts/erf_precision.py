"""How close a float32 ERF is to the float64 definition, on a given device (issue: on an H200 the
float32 maps differed by 5% of the peak, TF32 being the suspect).

For the ImageNet-trained EfficientNet-Lite0 on natural images at the gpu scale's size and number
of images, it computes the output ERF (logit of each image's predicted class) and the stage-final
ERF with :func:`deadpixels.effective_rf` in float64 (the reference: it equals the per-image
definition to 1e-15) and in float32 (TF32 switched off inside), both on ``--device``; and, on the
first ``--loop-images`` images, the per-image loop in float32 with TF32 allowed (PyTorch's cuDNN
default) and switched off, against the float64 map of the same images.

Each difference is reported as max |R - R_ref| / max R_ref. Writes one JSON file.

    python scripts/erf_precision.py --device cuda --out data/checks/erf_precision_cuda.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from pathlib import Path

import numpy as np
import torch

from deadpixels import effective_rf
from deadpixels.paper.lab import data as D
from deadpixels.paper.lab.efficientnet import LITE_MEAN, LITE_STD, build_lite
from deadpixels.paper.pipeline.provenance import environment, git_state, source_hash

TARGETS = ("output", "_blocks.15")


def loop_erf(model: torch.nn.Module, x: torch.Tensor, target: str, labels: torch.Tensor, device: str) -> np.ndarray:
    """The per-image definition (the authors' way: one image at a time, ``.backward()``)."""
    model = model.to(device).eval()
    total = 0.0
    for i in range(len(x)):
        xi = x[i : i + 1].to(device).clone().requires_grad_(True)
        if target == "output":
            F = model(xi)[0, labels[i]]
        else:
            feats: dict[str, torch.Tensor] = {}
            h = model.get_submodule(target).register_forward_hook(
                lambda m, a, o, feats=feats: feats.__setitem__("a", o)
            )
            model(xi)
            h.remove()
            a = feats["a"]
            F = a[0, :, a.shape[2] // 2, a.shape[3] // 2].mean()
        model.zero_grad()
        F.backward()
        total = total + np.maximum(xi.grad.mean(1)[0].double().cpu().numpy(), 0)
    return total / len(x)


def rel(a: np.ndarray, ref: np.ndarray) -> float:
    return float(np.abs(a - ref).max() / ref.max())


def tf32(on: bool) -> None:
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = on


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--device", default="cuda")
    p.add_argument("--images", type=int, default=256)
    p.add_argument("--loop-images", type=int, default=16)
    p.add_argument("--size", type=int, default=160)
    p.add_argument("--out", type=Path, required=True)
    a = p.parse_args()
    start = time.time()
    model = build_lite("efficientnet_lite0", weights="imagenet")
    x = D.natural_images(a.images, a.size, seed=0, mean=LITE_MEAN, std=LITE_STD)
    with torch.no_grad():
        labels = model(x).argmax(1)
    rows = {}
    for target in TARGETS:
        kw = {"target": target, "labels": labels, "device": a.device, "progress": False}
        ref = effective_rf(model.double(), x.double(), **kw)
        n = a.loop_images
        ref_loop = effective_rf(model, x[:n].double(), **{**kw, "labels": labels[:n]})
        model.float()
        batched = effective_rf(model, x, **kw)
        tf32(True)
        loop_tf32 = loop_erf(model, x[:n], target, labels[:n], a.device)
        tf32(False)
        loop_ieee = loop_erf(model, x[:n], target, labels[:n], a.device)
        model.cpu()
        rows[target] = {
            f"effective_rf_float32_vs_float64_{a.images}_images": rel(batched, ref),
            f"loop_float32_tf32_allowed_vs_float64_{n}_images": rel(loop_tf32, ref_loop),
            f"loop_float32_tf32_off_vs_float64_{n}_images": rel(loop_ieee, ref_loop),
        }
        print(target, json.dumps(rows[target]), flush=True)
    out = {
        "check": "float32 ERF against the float64 ERF, max |diff| / peak",
        "model": "efficientnet_lite0 (ImageNet weights)",
        "images": a.images,
        "size": a.size,
        "device": a.device,
        "targets": rows,
        "source_hash": source_hash("deadpixels.erf"),
        **git_state(),
        "environment": environment(a.device),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "wall_time_s": round(time.time() - start, 1),
    }
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
