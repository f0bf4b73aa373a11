"""``verify``: rerun experiments (or single cells, for the measured spread) and compare them with
the cache; ``--report`` writes the comparison as JSON with what it was computed on."""

from __future__ import annotations

import argparse
import datetime as dt
import json

from ..pipeline.context import RunContext
from . import validate
from .selection import at_scale, runner


def write_report(path: str | None, reports: dict[str, object], args: argparse.Namespace) -> None:
    """The comparison tables as JSON, with what they were computed on (``--report``)."""
    if not path:
        return
    from ..pipeline.provenance import environment, git_state

    doc = {
        "command": "verify " + " ".join(args.what) + f" --scale {args.scale}",
        "cells": args.cells,
        "repeat": args.repeat,
        "threads": args.threads,
        "jobs": args.jobs,
        **git_state(),
        "environment": environment(args.device),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "experiments": {k: v.to_dict(orient="records") for k, v in reports.items()},  # type: ignore[attr-defined]
    }
    with open(path, "w") as f:
        json.dump(doc, f, indent=1, default=str)
    print(f"report: {path}")


def spread_command(args: argparse.Namespace, ctx: RunContext, executor: object) -> int:
    import pandas as pd

    from ..pipeline.verify import cell_spread

    reports = {}
    for exp in at_scale(args.what, args.scale):
        print(f"== {exp.name} at {args.scale} scale: {len(args.cells)} cells rerun {args.repeat}x", flush=True)
        t = cell_spread(exp, args.scale, args.cells, args.repeat, ctx, executor)  # type: ignore[arg-type]
        reports[exp.name] = t
        worst = t.groupby("item")[["max_abs_diff", "max_rel_diff"]].max().reset_index()
        with pd.option_context("display.width", 200, "display.max_rows", 500):
            print(worst.to_string(index=False))
    write_report(args.report, reports, args)
    return 0


def verify_command(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..claims import compare_verdicts
    from ..pipeline.results import load
    from ..pipeline.verify import recorded_threads, summarise, summarise_compact, verify

    validate.output_path(args.report, "--report")  # before any work: a failed write would lose the comparison
    chosen = at_scale(args.what, args.scale)
    if not chosen:
        raise ValueError(
            f"nothing to verify: none of {', '.join(args.what)} has a {args.scale} scale (see 'deadpixels list')"
        )
    ctx, executor = runner(args)
    if args.cells:
        return spread_command(args, ctx, executor)
    failed, reports = [], {}
    for exp in chosen:
        name = exp.name
        threads = args.threads or recorded_threads(load(exp, args.scale))
        how = f"{threads} CPU threads" + ("" if args.threads else " as recorded")
        print(f"== verify {name} at {args.scale} scale ({exp.tolerance.describe()}; {how})", flush=True)
        table = summarise(verify(exp, args.scale, ctx, verdicts=compare_verdicts, executor=executor))
        reports[name] = table
        bad = table[table["status"] == "MISMATCH"]
        reported = int(table["status"].str.startswith("differs").sum())
        with pd.option_context("display.max_colwidth", 70, "display.width", 200, "display.max_rows", 500):
            print(summarise_compact(table).to_string(index=False) if not args.full else table.to_string(index=False))
        print(
            f"   {len(table) - len(bad) - reported}/{len(table)} items agree"
            + (f"; {reported} per-seed values differ (reported, not required)" if reported else "")
            + ("" if bad.empty else f"; {len(bad)} MISMATCH")
        )
        for item, note in zip(bad["item"], bad["note"]):  # which rows moved, in full
            print(f"   MISMATCH {item}: {note}" if note else f"   MISMATCH {item}")
        if not bad.empty:
            failed.append(name)
    write_report(args.report, reports, args)
    if failed:
        print(f"\nverify failed for: {', '.join(failed)}")
        return 1
    print("\nverify: every rerun agrees with its cached result")
    return 0


__all__ = ["verify_command", "spread_command", "write_report"]
