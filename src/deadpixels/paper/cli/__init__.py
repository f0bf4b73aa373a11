"""Command line: ``python -m deadpixels {list,run,verify,claims,check,hash,collect}``.

Every expected failure (unknown experiment, missing dataset or weights, a stale cache, a bad model
spec) ends with one clear message and a non-zero exit; set ``DEADPIXELS_DEBUG=1`` for tracebacks.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time

from ..pipeline.experiment import SCALES, override
from ..pipeline.results import (
    CacheError,
    MissingResult,
    StaleConfig,
    cell_progress,
    check_writable,
    clear_cells,
    config_hash,
    load_folder,
    result_folder,
    results_dir,
    run_and_save,
)
from . import validate
from .parser import parser
from .selection import at_scale, resolve, runner
from .verifying import verify_command


def _state(name: str, scale: str, notes: list[str]) -> str:
    """One cell of ``list``: read without writing or waiting (:func:`read_only`); damage and a busy
    writer are named in ``notes``, printed under the table with the file concerned."""
    from ..experiments import get_experiment
    from ..pipeline.locks import LockBusy, read_only
    from ..pipeline.provenance import code_status

    exp = get_experiment(name)
    if scale not in exp.configs:
        return "-"
    with read_only():
        try:
            res = load_folder(result_folder(name, scale), config_hash(exp.config(scale)))
        except MissingResult:
            done, total = cell_progress(exp, scale)
            return f"{done} of {total} cells" if done else "not cached"
        except StaleConfig:
            return "stale config"
        except LockBusy as exc:
            notes.append(f"{name} ({scale}): being written: {exc}")
            return "BUSY (being written)"
        except (CacheError, ValueError, OSError) as exc:
            notes.append(f"{name} ({scale}): {exc}")
            return "CORRUPT (see below)"
    p = res.provenance
    try:
        age = dt.datetime.now(dt.timezone.utc) - dt.datetime.fromisoformat(p["date"])
        when = f"{age.days}d{age.seconds // 3600}h"
    except (KeyError, TypeError, ValueError):
        when = "date unknown"
    flags = [code_status(p)] + (["dirty tree"] if p.get("dirty") else [])
    if p.get("complete") is False:
        missing = p.get("cells", {}).get("missing", [])
        flags.append(f"PARTIAL ({len(missing) if isinstance(missing, list) else '?'} cells missing)")
    return f"{when}, {', '.join(flags)}"


def _cmd_list(args: argparse.Namespace) -> int:
    from ..experiments import EXPERIMENTS

    notes: list[str] = []
    print(f"{'experiment':<16}{'chapter':<20}{'check':<15}" + "".join(f"{s:<30}" for s in SCALES))
    for name, exp in sorted(EXPERIMENTS.items()):
        cells = [_state(name, s, notes) for s in SCALES]
        print(f"{name:<16}{exp.chapter:<20}{exp.tolerance.kind:<15}" + "".join(f"{c:<30}" for c in cells))
    print(
        f"\ncells: age, and whether the package source that computes results changed since ('same code' / "
        f"'code changed'). results folder: {results_dir()}"
    )
    for note in notes:
        print(f"  {note}")
    return 0


def _plan(args: argparse.Namespace) -> list[tuple[str, object]]:
    """Every (experiment, config) that ``run`` will compute, checked before the first starts: the
    seeds, each config and each results folder."""
    seeds = validate.seeds(args.seeds)
    plan = []
    for exp in at_scale(args.what, args.scale):
        config = exp.config(args.scale)
        if seeds is not None:
            config = override(config, seeds=seeds)
        check_writable(result_folder(exp.name, args.scale, config, exp.config(args.scale)))
        plan.append((exp.name, config))
    return plan


def _cmd_run(args: argparse.Namespace) -> int:
    from ..experiments import get_experiment

    ctx, executor = runner(args)
    summary = []
    for name, config in _plan(args):
        start = time.time()
        if args.fresh:
            clear_cells(get_experiment(name), args.scale, config)
        print(f"== {name} at {args.scale} scale on {args.device}", flush=True)
        res = run_and_save(get_experiment(name), args.scale, ctx, config=config, executor=executor)
        summary.append((name, time.time() - start, res.folder))
    print("\nsummary:")
    for name, secs, folder in summary:
        print(f"  {name:<16} {secs:8.1f} s  -> {folder}")
    return 0


def _cmd_claims(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..claims import claims_provenance, claims_table

    table = claims_table(args.scale)  # a damaged cached result raises here: claims.csv is not rewritten
    provenance = claims_provenance(args.scale)
    if all(v is None for v in provenance["results"].values()):
        raise ValueError(
            f"no cached result at {args.scale} scale in {results_dir()} (is DEADPIXELS_RESULTS right?); claims.csv "
            "is not rewritten"
        )
    path = results_dir() / ("claims.csv" if args.scale == "cpu" else f"claims_{args.scale}.csv")
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False)
    path.with_name(path.stem + "_provenance.json").write_text(json.dumps(provenance, indent=1))
    with pd.option_context("display.max_colwidth", 60, "display.width", 200):
        print(table[["claim_id", "paper", "ours", "verdict"]].to_string(index=False))
    print(f"\nwritten: {path}")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from .check import check_model, strict_json

    validate.output_path(args.png, "--png", folder_ok=True)  # before any work: a failed write would lose the result
    if args.images is not None:
        from .trained import check_trained

        report = check_trained(args)
    else:
        for flag in ("weights", "pretrained"):
            if getattr(args, flag):
                raise ValueError(f"--{flag} applies to the trained test: give --images too")
        report = check_model(args.model, args.size, args.png)
    print(json.dumps(strict_json(report), indent=1, default=str, allow_nan=False) if args.json else report["text"])
    return 0 if report["excluded"] is None else 3  # printed, but the model could not be analysed


def _cmd_collect(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..experiments import get_experiment
    from ..pipeline.collect import collect, partial_note

    cells = Path(args.cells)
    if not cells.is_dir():
        raise ValueError(f"--cells {args.cells!r} is not a folder")
    res = collect(
        get_experiment(args.experiment),
        args.scale,
        cells,
        args.commit,
        args.partial,
        args.wall_time,
        args.source_hash,
        force=args.force,
    )
    print(f"collected {res.provenance['cells']['present']} cells -> {res.folder}")
    if partial_note(res):
        print(partial_note(res, cells=True))
    return 0


def _cmd_hash(args: argparse.Namespace) -> int:
    """One experiment: its source hash alone (for scripts); several: name and hash per line."""
    from ..experiments import get_experiment
    from ..pipeline.provenance import source_hash

    names = resolve(args.what)
    for name in names:
        digest = source_hash(get_experiment(name).run.__module__)
        print(digest if len(names) == 1 else f"{name} {digest}")
    return 0


COMMANDS = {
    "list": _cmd_list,
    "run": _cmd_run,
    "verify": verify_command,
    "claims": _cmd_claims,
    "check": _cmd_check,
    "hash": _cmd_hash,
    "collect": _cmd_collect,
}


def main(argv: list[str] | None = None) -> int:
    args = parser(__doc__ or "").parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print("\ninterrupted; cached results are untouched (writes are atomic)", file=sys.stderr)
        return 130
    except (ValueError, FileNotFoundError, CacheError, RuntimeError, OSError) as exc:
        if os.environ.get("DEADPIXELS_DEBUG"):
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - a bug: still one message, the traceback on request
        if os.environ.get("DEADPIXELS_DEBUG"):
            raise
        print(
            f"internal error ({type(exc).__name__}: {exc}); rerun with DEADPIXELS_DEBUG=1 for the traceback and "
            "please report it",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
