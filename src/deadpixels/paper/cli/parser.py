"""The command line's grammar: every subcommand and option, with its help text."""

from __future__ import annotations

import argparse

from ..pipeline.experiment import SCALES
from . import validate


def parser(description: str = "") -> argparse.ArgumentParser:
    """The argument parser of ``python -m deadpixels`` (``description``: the help's preamble)."""
    p = argparse.ArgumentParser(
        prog="python -m deadpixels", description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "list",
        help="experiments, their scales, and whether results are cached, how old, and whether the code changed since",
    )
    scale_help = (
        "smoke: seconds (tests); cpu: minutes on 2 cores (default, cached in data/); gpu: kp_finetune long "
        "enough to test the paper's claims (planned: 8 min on one H100 with --device cuda --jobs 6); paper: the "
        "paper's protocol (GPU cluster, ImageNet weights and the datasets)"
    )
    what_help = "experiment names, chapters (e.g. 04_kernel_padding or 04), or 'all'"
    r = sub.add_parser("run", help="run experiments and cache their results with provenance")
    r.add_argument("what", nargs="+", help=what_help)
    r.add_argument("--scale", choices=SCALES, default="cpu", help=scale_help)
    r.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda (default: cpu)")
    r.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        help="override the seeds (saved beside the canonical result, in <scale>+<config hash>)",
    )
    r.add_argument("--quiet", action="store_true", help="no progress bars")
    r.add_argument(
        "--fresh", action="store_true", help="recompute every cell (by default, cached cells of this config are reused)"
    )
    validate.add_runner_options(r)
    v = sub.add_parser("verify", help="rerun experiments and compare with the cache (non-zero exit on a mismatch)")
    v.add_argument("what", nargs="+", help=what_help)
    v.add_argument("--scale", choices=SCALES, default="cpu", help=scale_help)
    v.add_argument("--device", default="cpu", help="torch device (default: cpu)")
    v.add_argument("--full", action="store_true", help="print every compared item, not only mismatches")
    v.add_argument("--quiet", action="store_true", help="no progress bars")
    v.add_argument(
        "--cells",
        nargs="+",
        default=None,
        metavar="KEY",
        help="rerun only these cells (e.g. 'seed=0,method=kp') and report how far each number lands from the "
        "cached cell: the measured spread a trained tolerance comes from",
    )
    v.add_argument("--repeat", type=validate.positive_int, default=1, help="with --cells: reruns of each cell")
    v.add_argument("--report", default=None, help="also write the comparison as JSON to this file")
    validate.add_runner_options(v)
    c = sub.add_parser("claims", help="print the claims table and write data/results/claims.csv")
    c.add_argument("--scale", choices=SCALES, default="cpu", help="which cached results the verdicts use")
    g = sub.add_parser(
        "collect",
        help="turn a cell cache computed elsewhere (a GPU machine's .cells/<scale>-<hash> folder) into the cached "
        "result, after checking every cell's config and that its source hash is COMMIT's",
    )
    g.add_argument("experiment")
    g.add_argument("--scale", choices=SCALES, required=True)
    g.add_argument("--cells", required=True, help="the folder holding one sub-folder per cell")
    g.add_argument("--commit", required=True, help="the commit the cells' code came from")
    g.add_argument("--partial", action="store_true", help="accept missing cells (the result then says so)")
    g.add_argument(
        "--wall-time", type=validate.seconds, default=None, help="seconds the runs took there (from their logs)"
    )
    g.add_argument("--force", action="store_true", help="let a partial collect replace a complete cached result")
    g.add_argument(
        "--source-hash",
        default=None,
        help="on a copied tree without git: COMMIT's source hash, already checked against this tree's",
    )
    h = sub.add_parser("hash", help="the source hash of experiments' code (what provenance records), one per line")
    h.add_argument("what", nargs="+", help=what_help)
    k = sub.add_parser("check", help="dead-pixel check of any CNN: offending layers, imbalance before/after KP")
    k.add_argument(
        "model",
        help="a torchvision model name (e.g. resnet50), timm:NAME for a timm model (e.g. timm:regnety_004; "
        "pip install 'deadpixels[timm]'), or path/to/module.py:attr (an nn.Module or a function returning one)",
    )
    k.add_argument(
        "--size",
        type=validate.positive_size,
        default=None,
        help="input side length (default 224; 299 for inception_v3; a timm model's declared size)",
    )
    k.add_argument(
        "--png",
        default=None,
        help="where to write the structural-ERF heatmap: a .png file or a folder (default: <model>_erf.png)",
    )
    k.add_argument("--json", action="store_true", help="print the report as JSON")
    t = k.add_argument_group("the trained test on your images (Algorithm 1 of the paper)")
    t.add_argument("--images", default=None, help="a folder of images, or a glob pattern ('photos/*.jpg')")
    t.add_argument("--weights", default=None, help="a state dict file for path/to/module.py:attr")
    t.add_argument("--pretrained", action="store_true", help="with timm:NAME, timm's pretrained weights")
    t.add_argument("--target", default="output", help="'output' (each image's top-1 logit, default) or a layer")
    t.add_argument("--n-images", type=validate.positive_int, default=32, help="images used (default 32)")
    t.add_argument("--device", default="cpu", help="torch device (default cpu)")
    t.add_argument("--batch-size", type=validate.positive_int, default=8, help="images per backward pass (default 8)")
    return p


__all__ = ["parser"]
