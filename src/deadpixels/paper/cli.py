"""Command line: ``python -m deadpixels {list,run,claims,check}``."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time

from .results import SCALES, CacheError, config_hash, load, results_dir, run_and_save


def _cmd_list(args: argparse.Namespace) -> int:
    from .experiments import EXPERIMENTS

    print(f"{'experiment':<16}{'chapter':<22}" + "".join(f"{s:<24}" for s in SCALES))
    for name, exp in sorted(EXPERIMENTS.items()):
        cells = []
        for scale in SCALES:
            if scale not in exp.configs:
                cells.append("no such scale")
                continue
            try:
                res = load(name, scale, config_hash(exp.config(scale)))
                age = dt.datetime.now(dt.timezone.utc) - dt.datetime.fromisoformat(res.provenance["date"])
                cells.append(f"cached, {age.days}d {age.seconds // 3600}h old")
            except CacheError as exc:
                cells.append("stale" if "config" in str(exc) else "not cached")
        print(f"{name:<16}{exp.chapter:<22}" + "".join(f"{c:<24}" for c in cells))
    print(f"\nresults folder: {results_dir()}")
    return 0


def _resolve(what: str) -> list[str]:
    from .experiments import EXPERIMENTS

    if what == "all":
        return sorted(EXPERIMENTS)
    if what in EXPERIMENTS:
        return [what]
    chosen = [n for n, e in EXPERIMENTS.items() if e.chapter == what or e.chapter.startswith(what)]
    if not chosen:
        chapters = sorted({e.chapter for e in EXPERIMENTS.values()})
        raise SystemExit(f"unknown experiment or chapter {what!r}; experiments: {sorted(EXPERIMENTS)}; chapters: {chapters}")
    return chosen


def _cmd_run(args: argparse.Namespace) -> int:
    from .experiments import get_experiment

    summary = []
    for name in _resolve(args.what):
        exp = get_experiment(name)
        if args.scale not in exp.configs:
            print(f"== {name} has no {args.scale} scale; skipped")
            continue
        if args.seeds is not None:
            cfg = exp.configs[args.scale]
            for key in ("seeds",):
                if key in cfg:
                    cfg[key] = args.seeds
        start = time.time()
        print(f"== {name} at {args.scale} scale on {args.device}", flush=True)
        res = run_and_save(exp, args.scale, args.device, progress=not args.quiet)
        summary.append((name, time.time() - start, res.folder))
    print("\nsummary:")
    for name, secs, folder in summary:
        print(f"  {name:<16} {secs:8.1f} s  -> {folder}")
    return 0


def _cmd_claims(args: argparse.Namespace) -> int:
    from .claims import claims_provenance, claims_table

    table = claims_table(args.scale)
    path = results_dir() / "claims.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False)
    (results_dir() / "claims_provenance.json").write_text(json.dumps(claims_provenance(args.scale), indent=1))
    with __import__("pandas").option_context("display.max_colwidth", 60, "display.width", 200):
        print(table[["claim_id", "paper", "ours", "verdict"]].to_string(index=False))
    print(f"\nwritten: {path}")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from .census import check_model

    report = check_model(args.model, args.size, args.png)
    print(json.dumps(report, indent=1, default=str) if args.json else report["text"])
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m deadpixels", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="experiments, their scales, and whether results are cached (and how old)")
    r = sub.add_parser("run", help="run experiments and cache their results with provenance")
    r.add_argument("what", help="an experiment name, a chapter (e.g. 04_kernel_padding or 04), or 'all'")
    r.add_argument("--scale", choices=SCALES, default="cpu",
                   help="smoke: seconds (tests); cpu: minutes on 2 cores (default, cached in data/); "
                        "paper: the paper's protocol (GPU, ImageNet weights and the datasets)")
    r.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda (default: cpu)")
    r.add_argument("--seeds", type=int, nargs="+", help="override the experiment's seeds")
    r.add_argument("--quiet", action="store_true", help="no progress bars")
    c = sub.add_parser("claims", help="print the claims table and write data/results/claims.csv")
    c.add_argument("--scale", choices=SCALES, default="cpu", help="which cached results the verdicts use")
    k = sub.add_parser("check", help="dead-pixel check of any CNN: offending layers, imbalance before/after KP")
    k.add_argument("model", help="a torchvision model name (e.g. resnet50) or path/to/module.py:attr (an nn.Module "
                                 "or a function returning one)")
    k.add_argument("--size", type=int, default=224, help="input side length (default 224)")
    k.add_argument("--png", default=None, help="where to write the structural-ERF heatmap (default: <model>_erf.png)")
    k.add_argument("--json", action="store_true", help="print the report as JSON")
    args = p.parse_args(argv)
    return {"list": _cmd_list, "run": _cmd_run, "claims": _cmd_claims, "check": _cmd_check}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
