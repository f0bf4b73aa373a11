"""Seconds per kp_finetune cell, and the whole scale's wall time, for ``--jobs 1..8`` workers side by
side on one device: for each worker count N, one wave of N fine-tuning cells (seed x method) runs
through the runner's own executor in a temporary folder, so the numbers are what ``run --jobs N``
would see. The whole-scale estimate is the pilot wave plus ceil(remaining cells / N) such waves.

    python benchmarks/gpu_scale.py --device cuda --jobs 1 2 4 6 8            # the gpu scale, on a GPU
    python benchmarks/gpu_scale.py --scale smoke --jobs 1 2                   # the same code path on a CPU
    python benchmarks/gpu_scale.py --scale gpu --set epochs=2 --jobs 1 2      # a shorter gpu-shaped cell

Ratios are printed against the first worker count. Nothing is cached.
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch

from deadpixels.paper.experiments import get_experiment
from deadpixels.paper.pipeline.context import RunContext
from deadpixels.paper.pipeline.executors import make_executor
from deadpixels.paper.pipeline.provenance import source_hash
from deadpixels.paper.pipeline.results import config_hash
from deadpixels.paper.pipeline.runner import CellTask


def _sets(items: list[str]) -> dict:
    out = {}
    for item in items:
        key, _, value = item.partition("=")
        if not value:
            raise SystemExit(f"--set takes FIELD=NUMBER; got {item!r}")
        out[key] = float(value) if "." in value else int(value)
    return out


def wave(scale: str, device: str, jobs: int, sets: dict) -> tuple[float, list[float], int, int]:
    """One wave of ``jobs`` fine-tuning cells: (wave wall s, each cell's wall s, cells, pilot cells)."""
    exp = get_experiment("kp_finetune")
    config = replace(exp.config(scale), **sets)
    config = replace(config, task=0 if config.task is None else config.task)  # no wait on the pilot
    cells = exp.as_grid.cells(config)
    runs = [c for c in cells if c.key.startswith("seed=")]
    n_pilot = len(cells) - len(runs) - 1  # the pilot cells (the pretrained cell runs beside the first wave)
    n_total = len(exp.as_grid.cells(replace(exp.config(scale), **sets)))
    picked = [runs[i % len(runs)] for i in range(jobs)]
    ctx = RunContext.create(device, progress=False)
    chash, source = config_hash(config), source_hash(exp.run.__module__)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DEADPIXELS_RESULTS"] = tmp
        tasks = [
            CellTask(exp, scale, config, c, Path(tmp) / f"{i}", (), ctx, source, chash) for i, c in enumerate(picked)
        ]
        start = time.perf_counter()
        outcomes = list(make_executor("local", jobs)(tasks))
        wall = time.perf_counter() - start
    failed = [o for o in outcomes if not o.ok]
    if failed:
        raise SystemExit(f"a cell failed: {failed[0].key}: {failed[0].error}")
    return wall, [o.wall_time_s for o in outcomes], n_total, n_pilot


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", default="gpu")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--jobs", type=int, nargs="+", default=[1, 2, 4, 6, 8])
    p.add_argument("--set", nargs="*", default=[], metavar="FIELD=NUMBER")
    args = p.parse_args()
    sets = _sets(args.set)
    name = torch.cuda.get_device_name() if args.device.startswith("cuda") else f"cpu ({os.cpu_count()} cores)"
    print(f"kp_finetune at {args.scale} scale{' with ' + ' '.join(args.set) if args.set else ''} on {name}")
    print(f"{'jobs':>5} {'wave s':>8} {'s per cell':>11} {'cells/min':>10} {'whole scale':>12} {'ratio':>6}")
    base = None
    for jobs in args.jobs:
        wall, cells, n_total, n_pilot = wave(args.scale, args.device, jobs, sets)
        per_cell = sum(cells) / len(cells)
        whole = (per_cell if n_pilot else 0.0) + math.ceil((n_total - n_pilot) / jobs) * wall
        rate = 60 * jobs / wall
        base = base or rate
        print(f"{jobs:>5} {wall:>8.1f} {per_cell:>11.1f} {rate:>10.2f} {whole / 60:>9.1f} min {rate / base:>5.2f}x")


if __name__ == "__main__":
    main()
