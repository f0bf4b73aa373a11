"""Throughput of deadpixels.effective_rf against the authors' per-image loop (batch size 1,
``.backward()`` with parameter gradients), ResNet-50 at 224x224 on this CPU.

    python benchmarks/erf_speed.py [--images 16] [--model resnet50] [--target layer4]

Prints images/s of both, their ratio, and the largest difference between the two ERF maps.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch
import torchvision

from deadpixels import effective_rf
from deadpixels.data import natural_images


def authors_loop(model: torch.nn.Module, images: torch.Tensor, target: str) -> np.ndarray:
    """Algorithm 1 as in the authors' script: one image at a time, parameters require gradients."""
    model.eval()
    feats: dict[str, torch.Tensor] = {}
    handle = model.get_submodule(target).register_forward_hook(lambda m, i, o: feats.__setitem__("a", o))
    total = np.zeros(images.shape[-2:])
    for i in range(len(images)):
        x = images[i:i + 1].clone().requires_grad_(True)
        model(x)
        a = feats["a"]
        a[0, :, a.shape[2] // 2, a.shape[3] // 2].mean().backward()
        total += np.maximum(x.grad.mean(axis=(0, 1)).numpy(), 0)
        model.zero_grad()
    handle.remove()
    return total / len(images)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="resnet50")
    p.add_argument("--images", type=int, default=16)
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--target", default="layer4")
    p.add_argument("--batch-size", type=int, default=16)
    args = p.parse_args()
    torch.manual_seed(0)
    model = torchvision.models.get_model(args.model).eval()
    x = natural_images(args.images, args.size, seed=0)
    print(f"{args.model}, {args.images} images {args.size}x{args.size}, target {args.target}, "
          f"{torch.get_num_threads()} threads")
    effective_rf(model, x[:2], args.target, progress=False)  # warm-up
    t = time.perf_counter()
    ours = effective_rf(model, x, args.target, batch_size=args.batch_size, progress=False)
    t_ours = time.perf_counter() - t
    model = model.to(memory_format=torch.contiguous_format)
    t = time.perf_counter()
    ref = authors_loop(model, x, args.target)
    t_loop = time.perf_counter() - t
    print(f"authors' loop : {args.images / t_loop:7.2f} images/s")
    print(f"effective_rf  : {args.images / t_ours:7.2f} images/s")
    print(f"speed-up      : {t_loop / t_ours:7.2f}x")
    print(f"max |difference| of the ERF maps: {np.abs(ours - ref).max():.2e} (peak {ref.max():.2e}, "
          f"relative {np.abs(ours - ref).max() / ref.max():.1e})")


if __name__ == "__main__":
    main()
