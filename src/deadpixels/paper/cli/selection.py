"""Which experiments a command acts on, and the run context and executor it runs with: shared by
``run``, ``verify`` and ``hash``, each checked before any work."""

from __future__ import annotations

import argparse
import time

from ..pipeline.context import RunContext
from ..pipeline.executors import make_executor
from ..pipeline.results import results_dir
from . import validate


def resolve(whats: list[str]) -> list[str]:
    """Experiment names from names, chapters (``04``, ``04_kernel_padding``, or a longer prefix of
    one chapter) or ``all``; anything else, an empty word included, is an error."""
    from ..experiments import EXPERIMENTS, chapters

    chosen: list[str] = []
    for what in whats:
        if what == "all":
            names = sorted(EXPERIMENTS)
        elif what in EXPERIMENTS:
            names = [what]
        else:
            hits = [c for c in chapters() if c == what or (len(what) >= 2 and c.startswith(what))]
            names = [n for n, e in EXPERIMENTS.items() if len(hits) == 1 and e.chapter == hits[0]]
        if not names:
            raise ValueError(
                f"unknown experiment or chapter {what!r}; experiments: {', '.join(sorted(EXPERIMENTS))}; "
                f"chapters: {', '.join(chapters())} (or their two-digit numbers); or 'all'"
            )
        chosen += [n for n in names if n not in chosen]
    return chosen


def at_scale(whats: list[str], scale: str) -> list[object]:
    """The chosen experiments that have ``scale``; the others are named and skipped."""
    from ..experiments import get_experiment

    chosen = []
    for name in resolve(whats):
        exp = get_experiment(name)
        if scale in exp.configs:
            chosen.append(exp)
        else:
            print(f"== {name} has no {scale} scale; skipped")
    return chosen


def runner(args: argparse.Namespace) -> tuple[RunContext, object]:
    """The run context and the executor the options ask for, both checked before any work."""
    ctx = RunContext.create(args.device, progress=not args.quiet, threads=args.threads)
    args.device = str(ctx.device)
    parameters = validate.slurm_parameters(args)  # make_executor refuses them with --executor local
    logs = results_dir() / ".submitit" / time.strftime("%Y%m%d-%H%M%S")
    return ctx, make_executor(args.executor, args.jobs, logs, **parameters)


__all__ = ["resolve", "at_scale", "runner"]
