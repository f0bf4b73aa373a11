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
from deadpixels.paper.lab.data import natural_images


def authors_loop(model: torch.nn.Module, images: torch.Tensor, target: str) -> np.ndarray:
    """Algorithm 1 as in the authors' script: one image at a time, parameters require gradients."""
    model.eval()
    feats: dict[str, torch.Tensor] = {}
    handle = model.get_submodule(target).register_forward_hook(lambda m, i, o: feats.__setitem__("a", o))
    total = np.zeros(images.shape[-2:])
    for i in range(len(images)):
        x = images[i : i + 1].clone().requires_grad_(True)
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
    p.add_argument("--batch-size", type=int, default=4, help="4 is fastest on 2 CPU cores")
    p.add_argument("--repeats", type=int, default=2)
    args = p.parse_args()
    torch.manual_seed(0)
    model = torchvision.models.get_model(args.model).eval()
    x = natural_images(args.images, args.size, seed=0)
    print(
        f"{args.model}, {args.images} images {args.size}x{args.size}, target {args.target}, "
        f"{torch.get_num_threads()} threads"
    )
    ours_fn = lambda: effective_rf(model, x, args.target, batch_size=args.batch_size, progress=False)  # noqa: E731
    loop_fn = lambda: authors_loop(model, x, args.target)  # noqa: E731
    t_ours, t_loop = best_time(ours_fn, args.repeats), best_time(loop_fn, args.repeats)
    print(f"authors' loop : {args.images / t_loop:7.2f} images/s")
    print(f"effective_rf  : {args.images / t_ours:7.2f} images/s")
    print(f"speed-up      : {t_loop / t_ours:7.2f}x")
    ours, ref = ours_fn(), loop_fn()
    print(f"float32 maps  : max |difference| {np.abs(ours - ref).max():.2e} (peak {ref.max():.2e})")
    m64, x64 = model.double(), x[:2].double()
    a = effective_rf(m64, x64, args.target, progress=False)
    b = authors_loop(m64, x64, args.target)
    print(f"float64 maps  : max |difference| {np.abs(a - b).max():.2e} (peak {b.max():.2e}): the same map")


def best_time(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


if __name__ == "__main__":
    main()
