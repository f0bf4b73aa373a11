"""Throughput of deadpixels.effective_rf against the authors' per-image loop (batch size 1,
``.backward()`` with parameter gradients), ResNet-50 at 224x224 on this CPU.

    python benchmarks/erf_speed.py [--images 16] [--model resnet50] [--target layer4]

Prints images/s of both, their ratio, the achieved GFLOP/s as a share of this machine's measured
sgemm peak (and the speed-up that 100% of it would give: effective_rf does 2/3 of the loop's
FLOPs, so the ratio cannot pass 1.5x their efficiencies' ratio), and how far the float32 map lies
from the float64 map as effective_rf runs it and with BatchNorm folded into the convolutions.
"""

from __future__ import annotations

import argparse
import copy
import time

import numpy as np
import torch
import torchvision
from torch.utils.flop_counter import FlopCounterMode

from deadpixels import effective_rf
from deadpixels.graph import truncate
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
    flops, peak = counted_flops(model, x, args.target), sgemm_peak()
    loop_flops = flops * 3 / 2  # the loop also computes every parameter's gradient: forward + 2 backward
    print(f"sgemm peak    : {peak / 1e9:7.1f} GFLOP/s (float32 matrix product, {torch.get_num_threads()} threads)")
    print(f"effective_rf  : {flops / t_ours / 1e9:7.1f} GFLOP/s, {flops / t_ours / peak:.0%} of the peak "
          f"({flops / args.images / 1e9:.1f} GFLOP per image)")  # fmt: skip
    print(f"authors' loop : {loop_flops / t_loop / 1e9:7.1f} GFLOP/s, {loop_flops / t_loop / peak:.0%} of the peak "
          f"({loop_flops / args.images / 1e9:.1f} GFLOP per image)")  # fmt: skip
    print(f"ceiling       : {t_loop / (flops / peak):7.2f}x, the speed-up if "
          "effective_rf ran at 100% of the peak")
    ours, folded = ours_fn(), effective_rf(model, x, args.target, progress=False, fold_batchnorm=True)
    exact = effective_rf(copy.deepcopy(model).double(), x.double(), args.target, progress=False)
    for name, m in (("as run (BatchNorm kept)", ours), ("BatchNorm folded", folded)):
        gap = np.abs(m - exact).max() / exact.max()
        print(f"float32, {name}: max |difference| from float64 {gap:.2e} of the peak")
    m64, x64 = copy.deepcopy(model).double(), x[:2].double()
    a = effective_rf(m64, x64, args.target, progress=False)
    b = authors_loop(m64, x64, args.target)
    print(f"float64 maps  : max |difference| {np.abs(a - b).max():.2e} (peak {b.max():.2e}): the same map")


def counted_flops(model: torch.nn.Module, images: torch.Tensor, target: str) -> float:
    """Floating-point operations of effective_rf on ``images``: torch's FlopCounterMode counts the
    forward pass of the truncated model (convolutions, matrix products); the input gradient costs
    as much again (each layer's backward to its input is its forward, transposed), and no
    parameter gradient is computed."""
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        truncate(model, target)(images)
    return 2.0 * counter.get_total_flops()


def sgemm_peak(n: int = 2048, repeats: int = 5) -> float:
    """This machine's float32 matrix-multiply throughput (FLOP/s), the best of ``repeats``."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    return 2 * n**3 / best_time(lambda: a @ b, repeats)


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
