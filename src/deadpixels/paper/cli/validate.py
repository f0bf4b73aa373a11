"""Checks of command-line values, each run before any work: one clear message naming what was
wrong and what is allowed."""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path

from ..pipeline.executors import EXECUTORS
from ..pipeline.results import results_dir

#: Seeds are passed to numpy and torch generators, which take 0 <= seed < 2**32.
MAX_SEED = 2**32 - 1


def seeds(values: list[int] | None) -> tuple[int, ...] | None:
    """Distinct seeds in ``[0, 2**32)``, in the order given."""
    if values is None:
        return None
    bad = [v for v in values if not 0 <= v <= MAX_SEED]
    if bad:
        raise ValueError(f"seeds must be whole numbers from 0 to {MAX_SEED}; got {', '.join(map(str, bad))}")
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        raise ValueError(f"each seed may be given once; repeated: {', '.join(map(str, repeated))}")
    return tuple(values)


def add_runner_options(p: argparse.ArgumentParser) -> None:
    """``--jobs``, ``--executor`` and the SLURM options, shared by ``run`` and ``verify``."""
    p.add_argument(
        "--jobs",
        type=positive_int,
        default=1,
        help="cells computed side by side by worker processes on this machine (they share its cores or GPU)",
    )
    p.add_argument(
        "--threads",
        type=positive_int,
        default=None,
        help="CPU threads per cell (default: all cores, shared among --jobs workers); the same value gives the "
        "same numbers with every executor",
    )
    p.add_argument(
        "--executor",
        choices=EXECUTORS,
        default="local",
        help="local: this machine (--jobs workers); slurm: a SLURM job array through submitit; submitit-local, "
        "submitit-debug: submitit's executors on this machine",
    )
    p.add_argument("--slurm-partition", help="SLURM partition (slurm_partition)")
    p.add_argument("--slurm-gpus-per-job", type=positive_int, help="GPUs per cell job (slurm_gpus_per_node)")
    p.add_argument("--slurm-time", type=positive_int, help="time limit per cell job, minutes (timeout_min)")
    p.add_argument(
        "--slurm-param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="any other submitit parameter, e.g. slurm_mem=32G or slurm_account=lab (repeatable)",
    )


def slurm_parameters(args: argparse.Namespace) -> dict[str, object]:
    """The submitit parameters the SLURM options name."""
    out: dict[str, object] = {}
    if args.slurm_partition:
        out["slurm_partition"] = args.slurm_partition
    if args.slurm_gpus_per_job:
        out["slurm_gpus_per_node"] = args.slurm_gpus_per_job
    if args.slurm_time:
        out["timeout_min"] = args.slurm_time
    known = submitit_keys()
    for item in args.slurm_param:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--slurm-param takes KEY=VALUE; got {item!r}")
        if known and key not in known:
            raise ValueError(f"--slurm-param {key!r} is not a submitit parameter; allowed: {', '.join(sorted(known))}")
        if key in INTEGER_KEYS and not value.isdigit():
            raise ValueError(f"--slurm-param {key} takes a whole number; got {value!r}")
        out[key] = int(value) if value.isdigit() else value
    return out


#: submitit parameters that must be whole numbers.
INTEGER_KEYS = frozenset({"timeout_min", "cpus_per_task", "gpus_per_node", "nodes", "tasks_per_node", "mem_gb"})


def submitit_keys() -> frozenset[str]:
    """Every parameter submitit's AutoExecutor takes for SLURM (empty where submitit is not installed:
    ``--executor slurm`` then refuses with its own message)."""
    try:
        import submitit
        from submitit.slurm.slurm import SlurmExecutor
    except ImportError:
        return frozenset()
    generic = set(submitit.AutoExecutor._valid_parameters())  # noqa: SLF001 - submitit's own list of names
    return frozenset(generic | {f"slurm_{k}" for k in SlurmExecutor._valid_parameters()})  # noqa: SLF001


def seconds(text: str) -> float:
    """A duration in seconds: a finite number >= 0 (argparse type)."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not (math.isfinite(v) and v >= 0):
        raise argparse.ArgumentTypeError(f"expected a finite number of seconds >= 0, got {text!r}")
    return v


def positive_int(text: str) -> int:
    """An argparse type: a positive whole number."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive whole number; got {text!r}")
    return value


def positive_size(text: str) -> int:
    """An argparse type: a positive whole number of pixels."""
    try:
        return positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"must be a positive whole number of pixels; got {text!r}") from None


__all__ = [
    "seeds",
    "positive_int",
    "positive_size",
    "add_runner_options",
    "slurm_parameters",
    "MAX_SEED",
]


def output_path(path: str | None, what: str, folder_ok: bool = False) -> Path | None:
    """An output file the command will write (``--report``, ``--png``), checked before any work: not
    inside the results cache (a cached table must never be overwritten by a report), not a folder,
    in a folder that exists and can be written (``folder_ok``: or a folder, written into). None where
    none was asked for."""
    if not path:
        return None
    out = Path(path).expanduser().resolve()
    cache = results_dir().resolve()
    if out == cache or cache in out.parents:
        raise ValueError(f"{what} {path} is inside the results cache {cache}; write it anywhere else")
    if out.is_dir() and not folder_ok:
        raise ValueError(f"{what} {path} is a folder; give a file name")
    if out.is_dir():
        out = out / "probe"  # the file will go into this folder
    if not out.parent.is_dir():
        raise ValueError(f"{what} {path}: the folder {out.parent} does not exist")
    if not os.access(out.parent, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise ValueError(f"{what} {path} cannot be written (permissions)")
    return out
