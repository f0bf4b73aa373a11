"""Where one kp_finetune cell spends its time: data crops, model building, training steps, per-epoch
evaluation, BatchNorm re-estimation (noise training), the output and stage-final ERFs, the Gaussian
fits, Theorem 1 and the translation test. cProfile's cumulative time of each phase's function, for
each method's cell of one seed, printed as seconds and as a share of the cell.

    python benchmarks/profile_cell.py [--scale smoke] [--device cpu] [--methods vanilla kp noise blurpool]
        [--set epochs=1 n_train=256] [--deterministic] [--json data/checks/kp_finetune_gpu/profile-cpu-smoke.json]

``--set`` overrides config fields (ints, floats), so a gpu-shaped cell can be profiled on a CPU
with fewer steps; the per-unit costs (seconds per SGD step, per evaluated image, per ERF image)
printed at the end scale to any config. ``--deterministic`` turns on PyTorch's deterministic
algorithms (and cuDNN's), to measure what bitwise-repeatable GPU training would cost; the
experiment itself runs without them (cuDNN autotuning on, see ``lab.training.cudnn_autotune``).
Nothing is cached: the cells run in this process.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import time
from dataclasses import replace

import torch

from deadpixels.paper.experiments import finetune as F
from deadpixels.paper.experiments import get_experiment
from deadpixels.paper.pipeline.context import RunContext
from deadpixels.paper.pipeline.experiment import Cell

#: (phase, module suffix, function name): the function whose cumulative time is the phase's.
PHASES = (
    ("data crops (once per worker)", "lab/data.py", "photo_classification"),
    ("probe images", "lab/data.py", "natural_images"),
    ("model building", "lab/models.py", "build_model"),
    ("training loop (all epochs)", "lab/training.py", "_epochs"),
    ("  per-epoch evaluation (val + test)", "lab/training.py", "evaluate"),
    ("  BatchNorm re-estimation (noise)", "lab/measure.py", "calibrate_batchnorm"),
    ("  best-state copies", "copy.py", "deepcopy"),
    ("ERFs (output + stage-final)", "erf.py", "effective_rf"),
    ("  stage-final ERF + fit (Table 2)", "experiments/finetune.py", "stage_fit"),
    ("Gaussian fits", "fitting.py", "fit_gaussian"),
    ("Theorem 1 (25 perturbed passes)", "lab/perturbation.py", "mean_output_change"),
    ("translation test", "lab/perturbation.py", "translation_change"),
)


def _cumulative(stats: pstats.Stats) -> dict[str, float]:
    out = {}
    for phase, path, name in PHASES:
        out[phase] = sum(
            v[3] for (file, _, func), v in stats.stats.items() if func == name and file.endswith(path)  # type: ignore[attr-defined]
        )
    return out


def _parse_sets(items: list[str]) -> dict[str, int | float]:
    out: dict[str, int | float] = {}
    for item in items:
        key, _, value = item.partition("=")
        if not value:
            raise SystemExit(f"--set takes FIELD=NUMBER; got {item!r}")
        out[key] = float(value) if "." in value else int(value)
    return out


def deterministic() -> None:
    """PyTorch's deterministic algorithms everywhere (cuBLAS needs a fixed workspace for them)."""
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.deterministic = True


def profile(scale: str, device: str, methods: list[str], sets: dict) -> list[dict]:
    exp = get_experiment("kp_finetune")
    config = replace(exp.config(scale), **sets)
    if config.task is None:
        config = replace(config, task=0)  # the pilot's choice is not what is profiled
    ctx = RunContext.create(device, progress=False)
    rows = []
    for k, method in enumerate(methods):
        if k == 0:
            F.task.cache_clear()  # the first cell pays for the crops, as in a fresh worker
        cell = Cell(f"seed={config.seeds[0]},method={method}", {"seed": config.seeds[0], "method": method})
        prof = cProfile.Profile()
        start = time.perf_counter()
        prof.enable()
        F.compute_finetune(config, cell, {}, ctx)
        prof.disable()
        wall = time.perf_counter() - start
        phases = _cumulative(pstats.Stats(prof))
        rows.append({"method": method, "wall_s": wall, "phases": phases})
    steps = config.epochs * -(-config.n_train // config.batch_size)
    units = {
        "sgd_steps": steps,
        "evaluated_images": config.epochs * (config.n_val + config.n_test),
        "erf_images": 2 * config.measure_images,
    }
    name = torch.cuda.get_device_name() if torch.device(device).type == "cuda" else "cpu"
    det = torch.are_deterministic_algorithms_enabled()
    return [
        {"scale": scale, "device": name, "deterministic": det, "config": sets, "units": units,
         "threads": torch.get_num_threads(), **r}
        for r in rows
    ]


def extrapolate(row: dict, scale: str) -> dict[str, float]:
    """The profiled cell's per-unit costs scaled to ``scale``'s full config (seconds per phase on this
    device): SGD steps and evaluated images scale with their counts, the per-image measurements
    (ERFs, Theorem 1, translation) with the probe, the crops with the dataset."""
    full = get_experiment("kp_finetune").config(scale)
    v, u = row["phases"], row["units"]
    profiled = replace(get_experiment("kp_finetune").config(row["scale"]), **row["config"])
    evals = v["  per-epoch evaluation (val + test)"]
    step = (v["training loop (all epochs)"] - evals) / u["sgd_steps"]
    per_probe = full.measure_images / profiled.measure_images
    crops = (full.n_train + full.n_val + full.n_test) / (profiled.n_train + profiled.n_val + profiled.n_test)
    return {
        "training steps": step * full.epochs * -(-full.n_train // full.batch_size),
        "per-epoch evaluation": evals / u["evaluated_images"] * full.epochs * (full.n_val + full.n_test),
        "ERFs": v["ERFs (output + stage-final)"] * per_probe,
        "Theorem 1": v["Theorem 1 (25 perturbed passes)"] * per_probe,
        "translation": v["translation test"] * per_probe,
        "data crops (once per worker)": v["data crops (once per worker)"] * crops,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", default="smoke")
    p.add_argument("--device", default="cpu")
    p.add_argument("--methods", nargs="+", default=["vanilla", "kp", "noise", "blurpool"])
    p.add_argument("--set", nargs="*", default=[], metavar="FIELD=NUMBER")
    p.add_argument("--json", default="")
    p.add_argument("--deterministic", action="store_true", help="deterministic algorithms (what they cost)")
    p.add_argument("--extrapolate", default="", metavar="SCALE", help="also scale the costs to SCALE's full config")
    p.add_argument("--from-json", default="", help="print a saved profile instead of running one")
    args = p.parse_args()
    if args.deterministic:
        deterministic()
    if args.from_json:
        with open(args.from_json) as f:
            rows = json.load(f)
    else:
        rows = profile(args.scale, args.device, args.methods, _parse_sets(args.set))
    u = rows[0]["units"]
    print(f"kp_finetune cell at {rows[0]['scale']} scale on {rows[0]['device']} ({rows[0]['threads']} threads"
          f"{', deterministic algorithms' if args.deterministic else ''}), "
          f"{u['sgd_steps']} SGD steps, {u['evaluated_images']} evaluated images, {u['erf_images']} ERF images")
    print(f"{'phase':<38}" + "".join(f"{r['method']:>18}" for r in rows))
    for phase, _, _ in PHASES:
        cells = "".join(
            f"{r['phases'][phase]:>9.2f} s {100 * r['phases'][phase] / r['wall_s']:>4.0f}%" for r in rows
        )
        print(f"{phase:<38}{cells}")
    print(f"{'whole cell':<38}" + "".join(f"{r['wall_s']:>9.2f} s  100%" for r in rows))
    v = rows[0]["phases"]
    train = v["training loop (all epochs)"] - v["  per-epoch evaluation (val + test)"]
    print(f"per unit ({rows[0]['method']}): {1000 * train / u['sgd_steps']:.1f} ms per SGD step (with its share of "
          f"copies), {1000 * v['  per-epoch evaluation (val + test)'] / u['evaluated_images']:.2f} ms per evaluated "
          f"image, {1000 * v['ERFs (output + stage-final)'] / u['erf_images']:.2f} ms per ERF image")
    if args.extrapolate:
        full = extrapolate(rows[0], args.extrapolate)
        total = sum(full.values())
        print(f"scaled to the full {args.extrapolate} config on this device ({rows[0]['method']}): {total:.0f} s")
        for phase, secs in sorted(full.items(), key=lambda kv: -kv[1]):
            print(f"  {phase:<30} {secs:>8.0f} s {100 * secs / total:>5.1f}%")
    if args.json and not args.from_json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
