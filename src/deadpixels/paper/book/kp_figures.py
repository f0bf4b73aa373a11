"""Figures of kernel padding over training and over seeds: how fast the zero-initialised padded taps
grow (:func:`growth_figure`), and each method's output ERF averaged over every seed, so that no seed
stands for the others (:func:`seed_mean_erfs`)."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

from ..pipeline.results import Result
from .plotting import METHOD_COLOURS, METHOD_LABELS, styled
from .readability import legend_below


@styled
def growth_figure(growth: Result, finetuned: Sequence[tuple[str, Result]] = ()) -> plt.Figure:
    """How far the zero-initialised padded taps remove the coverage imbalance (f) as fine-tuning goes
    on, against the learning rate summed so far: the growth curve, its fitted power law extended to the
    paper's schedule with its 95% prediction interval, the gate's one half, and the fine-tuned runs'
    measured f (``finetuned``: label and kp_finetune result) at their own summed learning rate."""
    from ..claims.judging.verdicts import MARGIN
    from ..claims.rules.fills_in import per_seed_fraction
    from ..claims.rules.finetuned import PAPER_STEPS
    from ..claims.rules.growth import FIT_FROM, cosine_cum_lr, curve, extrapolate

    cfg = growth.provenance["config"]
    c = curve(growth.tables["growth"], cfg["model"])
    target = cosine_cum_lr(cfg["lr"], PAPER_STEPS, PAPER_STEPS)
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    ax.plot(c["cum_lr"], c["f"], marker="o", ms=3, color=METHOD_COLOURS["kp"], label=f"growth run ({cfg['size']} px)")
    if int((c["step"] >= FIT_FROM).sum()) >= 3:
        xs = np.geomspace(c.loc[c["step"] >= FIT_FROM, "cum_lr"].min(), target, 40)
        fits = np.array([extrapolate(c, x)[:3] for x in xs])
        ax.plot(xs, fits[:, 0], ls="--", color="#555555", label="power-law fit, extended")
        ax.fill_between(xs, fits[:, 1], fits[:, 2], color="#999999", alpha=0.3, label="95% prediction interval")
    ax.axhline(MARGIN, color="#000000", lw=0.8, ls=":", label="KP gate (half the imbalance)")
    ax.axvline(target, color="#000000", lw=0.8, ls="-.", label=f"paper's {PAPER_STEPS:,} steps")
    for (label, res), marker in zip(finetuned, ("s", "D")):
        fc = res.provenance["config"]
        steps = fc["epochs"] * -(-fc["n_train"] // fc["batch_size"])
        f = per_seed_fraction(res.tables["padded"], fc["model"])
        cum = cosine_cum_lr(fc["lr"], steps, steps)
        ax.errorbar([cum], [f.mean()], yerr=[[f.mean() - f.min()], [f.max() - f.mean()]], marker=marker, ls="none",
                    color="#56B4E9" if marker == "s" else "#E69F00",
                    label=f"{label} ({steps:,} steps)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("learning rate summed over the steps so far")
    ax.set_ylabel("f, share of the coverage imbalance removed")
    legend_below(fig, ax)
    return fig


def seed_mean_erfs(clf: Result, arch: str, zoom: int = 32) -> tuple[plt.Figure, dict[str, int]]:
    """Each method's output ERF averaged over every seed (each seed's map divided by its peak first),
    so that no seed stands for the others: the whole map and its centre; with the seeds per method."""
    from .plotting import erf_grid

    keys_of = {m: [k for k in clf.arrays if k.startswith(f"{arch}/{m}/erf_seed")] for m in METHOD_LABELS}
    methods = [m for m, keys in keys_of.items() if keys]
    means, counts = [], {}
    for m in methods:
        keys = keys_of[m]
        maps = [clf.arrays[k].astype(float) / float(clf.arrays[k].max()) for k in keys]
        means.append(np.mean(maps, axis=0))
        counts[m] = len(keys)
    labels = [f"{METHOD_LABELS[m]}\n(mean of {counts[m]} seeds)" for m in methods]
    return erf_grid([means, means], ["full map", f"central {zoom} px"], labels, zoom=[None, zoom], size=2.4), counts


__all__ = ["growth_figure", "seed_mean_erfs"]
