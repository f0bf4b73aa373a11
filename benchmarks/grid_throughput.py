"""Cells per minute of the grid runner at smoke scale, for ``--jobs 1, 2, 4`` worker processes on
this machine's device, printed as ratios to ``--jobs 1``.

    python benchmarks/grid_throughput.py [--jobs 1 2 4] [--seeds 2] [--device cpu]

The grid is kp_finetune at smoke scale (the pilot, then seeds x 4 methods of fine-tuning the
ImageNet-trained EfficientNet-Lite0), computed from scratch in a temporary results folder each time.
With ``--jobs N`` on a CPU each worker gets 1/N of the cores, so the ratio measures what running
cells side by side adds over one process using every core.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from deadpixels.paper.experiments import get_experiment
from deadpixels.paper.pipeline import results as R
from deadpixels.paper.pipeline.context import RunContext
from deadpixels.paper.pipeline.executors import make_executor
from deadpixels.paper.pipeline.experiment import override


def cells_per_minute(jobs: int, seeds: int, device: str) -> tuple[float, int, float]:
    exp = get_experiment("kp_finetune")
    config = override(exp.config("smoke"), seeds=tuple(range(seeds)))
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DEADPIXELS_RESULTS"] = tmp
        start = time.time()
        ctx = RunContext.create(device, progress=False)
        res = R.run_and_save(exp, "smoke", ctx, config, make_executor("local", jobs))
        wall = time.time() - start
    n = res.provenance["cells"]["n"]
    return 60 * n / wall, n, wall


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--jobs", type=int, nargs="+", default=[1, 2, 4])
    p.add_argument("--seeds", type=int, default=2)
    p.add_argument("--device", default="cpu")
    args = p.parse_args()
    rows = [(jobs, *cells_per_minute(jobs, args.seeds, args.device)) for jobs in args.jobs]
    base = rows[0][1]
    print(f"kp_finetune smoke grid on {args.device} ({os.cpu_count()} cores):")
    print(f"{'jobs':>5} {'cells':>6} {'wall s':>8} {'cells/min':>10} {'ratio':>6}")
    for jobs, rate, n, wall in rows:
        print(f"{jobs:>5} {n:>6} {wall:>8.1f} {rate:>10.2f} {rate / base:>6.2f}x")


if __name__ == "__main__":
    main()
