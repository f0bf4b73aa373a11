"""The chapters' figures that are specific to one experiment (the generic ones are in
:mod:`deadpixels.paper.book.plotting`). Each takes cached results and returns a matplotlib figure."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ...fitting import lattice_ratio
from ..claims.judging.stats import theorem1_fits
from ..lab.reference import FIG5_R2
from ..pipeline.results import Result
from .plotting import METHOD_COLOURS, METHOD_LABELS, erf_image, styled
from .readability import legend_below


@styled
def theorem1_scatter(theorem1: pd.DataFrame, seed: int = 0) -> plt.Figure:
    """Paper Fig. 5 analogue: MD against R_XY over the 25 pixels, vanilla beside KP, with the fitted line."""
    fig, axes = plt.subplots(1, 2, figsize=(7.6, 3.6), layout="constrained")
    for ax, method in zip(axes, ["vanilla", "kp"]):
        d = theorem1[(theorem1["method"] == method) & (theorem1["seed"] == seed)]
        ax.scatter(d["R"], d["MD"], color=METHOD_COLOURS[method], s=22)
        if len(d) < 3 or np.ptp(d["R"].to_numpy(float)) == 0:  # no line through equal R_XY: said, not drawn
            ax.set_title(f"{METHOD_LABELS[method]}: R² undefined (R_XY all equal)", fontsize=11)
        else:
            fit = theorem1_fits(d).iloc[0]
            xs = np.linspace(d["R"].min(), d["R"].max(), 10)
            ax.plot(xs, fit["intercept"] + fit["slope"] * xs, color="#555555", ls="--")
            ax.set_title(f"{METHOD_LABELS[method]}: R² = {fit['r2']:.2f}", fontsize=11)
        ax.set_xlabel("$R_{XY}$ (output ERF)")
        ax.set_ylabel("MD (mean |Δy|)")
    fig.suptitle(f"paper, before KP: R² = {FIG5_R2}", fontsize=11)
    return fig


@styled
def erf_and_md_maps(clf: Result) -> plt.Figure:
    """The output ERF beside the mean output change on a coarse grid, vanilla and KP (first seed)."""
    arch = clf.tables["runs"]["arch"].iloc[0]
    fig, axes = plt.subplots(1, 4, figsize=(11, 3))
    for k, method in enumerate(["vanilla", "kp"]):
        erf_image(axes[2 * k], clf.arrays[f"{arch}/{method}/erf"].astype(float), f"ERF R, {METHOD_LABELS[method]}")
        erf_image(
            axes[2 * k + 1],
            clf.arrays[f"{arch}/{method}/md_map"].astype(float),
            f"MD on a {len(clf.arrays['md_grid'])}² grid",
        )
    return fig


@styled
def attack_curves(attack: pd.DataFrame) -> plt.Figure:
    """One-pixel attack success against eps, on strong and weak pixels, per method."""
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for (method, pixels), d in attack.groupby(["method", "pixels"]):
        ax.plot(
            d["eps"],
            d["success"],
            marker="o" if pixels == "strong" else "s",
            ls="-" if pixels == "strong" else "--",
            color=METHOD_COLOURS[method],
            label=f"{METHOD_LABELS[method]}, {pixels} pixels",
        )
    ax.set_xscale("log", base=2)
    ax.set_xlabel("ε (normalised units, all 3 channels)")
    ax.set_ylabel("attack success rate")
    legend_below(fig, ax)
    return fig


@styled
def census_grid(census: Result, names: Sequence[str], ncol: int = 5, zoom: int = 48) -> plt.Figure:
    """Small multiples of the structural output ERF of every analysed model (central ``zoom`` px),
    sized for the book's text column (so titles stay legible), one colour scale with its colourbar."""
    rows = [list(names[i : i + ncol]) for i in range(0, len(names), ncol)]
    fig, axes = plt.subplots(len(rows), ncol, figsize=(7.6, 1.75 * len(rows)), squeeze=False, layout="constrained")
    for i, row in enumerate(rows):
        for j in range(ncol):
            ax = axes[i][j]
            if j < len(row):
                erf_image(ax, census.arrays[f"{row[j]}/structural"].astype(float), "", zoom=zoom, vmax=1.0)
                ax.set_title(row[j], fontsize=9)
            else:
                ax.axis("off")
    image = axes[0][0].images[0]
    if len(rows[-1]) < ncol:  # the colourbar sits in the free cells of the last row
        spare = axes[-1][ncol - 1]
        cax = spare.inset_axes([0.0, 0.55, 1.0, 0.12])
        fig.colorbar(image, cax=cax, orientation="horizontal", ticks=[0, 0.5, 1], label="ERF / peak")
    else:
        fig.colorbar(image, ax=axes, shrink=0.5, ticks=[0, 0.5, 1], label="ERF / peak", location="bottom")
    return fig


LITE_COLOURS = {"efficientnet_lite0": "#0072B2", "efficientnet_lite1": "#E69F00", "efficientnet_lite2": "#009E73"}
KIND_STYLE = {
    "imagenet": ("-", "o", "ImageNet-trained"),
    "random_init": ("--", "s", "random init"),
    "structural": (":", "D", "structural"),
}


def _lite(name: str) -> str:
    return name.replace("efficientnet_lite", "Lite")


@styled
def lite_erf_panel(erf_trained: Result, model: str = "efficientnet_lite0", zoom: int = 32) -> plt.Figure:
    """The paper's Fig. 1 on a trained network: final-stage and output ERF (whole and central
    ``zoom`` px) of ``model``, ImageNet-trained beside random and structural."""
    final = erf_trained.tables["models"].set_index("model").loc[model, "final_stage"]
    kinds = ["imagenet", "random_init", "structural"]
    cols = [
        (final, None, "final stage"),
        (final, zoom, f"final stage, central {zoom} px"),
        ("output", None, "output"),
        ("output", zoom, f"output, central {zoom} px"),
    ]
    fig, axes = plt.subplots(len(kinds), len(cols), figsize=(11, 8.4), squeeze=False)
    for i, kind in enumerate(kinds):
        for j, (target, z, title) in enumerate(cols):
            erf_image(
                axes[i][j], erf_trained.arrays[f"{model}/{target}/{kind}"].astype(float), title if i == 0 else "", z
            )
        axes[i][0].set_ylabel(KIND_STYLE[kind][2], fontsize=10)
    fig.colorbar(axes[0][0].images[0], ax=axes, shrink=0.6, label="ERF / peak")
    return fig


@styled
def lite_sigma_by_stage(erf_trained: Result) -> plt.Figure:
    """ERF sigma at every stage output of Lite0/1/2 (trained with bootstrap 95% CI bands; random and
    structural dashed and dotted), against the stage's stride."""
    e = erf_trained.tables["erf"]
    e = e[e["target"] != "output"].assign(stride=lambda d: d["stage"].str.extract(r"stride (\d+)")[0].astype(int))
    fig, ax = plt.subplots(figsize=(8, 4.6))
    for (model, kind), d in e.groupby(["model", "kind"]):
        ls, marker, label = KIND_STYLE[kind]
        x = np.arange(len(d)) + 1
        ax.plot(x, d["sigma"], ls=ls, marker=marker, ms=4, color=LITE_COLOURS[model], label=f"{_lite(model)}, {label}")
        if kind == "imagenet" and "sigma_lo" in d:
            ax.fill_between(x, d["sigma_lo"], d["sigma_hi"], color=LITE_COLOURS[model], alpha=0.15)
    ax.set_xlabel("stage (1 = first MBConv stage)")
    ax.set_ylabel("ERF σ (px, mean of x and y)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=10, frameon=False, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.16))
    return fig


@styled
def sigma_vs_accuracy(summary: pd.DataFrame) -> plt.Figure:
    """Final-stage ERF sigma (trained, with CI) against published ImageNet top-1 of the Lite models."""
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for row in summary.itertuples():
        ax.vlines(row.top1, row.sigma_lo, row.sigma_hi, color=LITE_COLOURS[row.model], lw=2, alpha=0.6)
        ax.plot(row.top1, row.sigma, "o", color=LITE_COLOURS[row.model], label=f"{_lite(row.model)} (bar: 95% CI)")
    ax.set_xlabel("published ImageNet top-1 (%)")
    ax.set_ylabel("trained ERF σ, final stage (px)")
    ax.grid(alpha=0.3)
    legend_below(fig, ax, ncol=3)
    return fig


@styled
def headline(erf_trained: Result, kp_finetune: Result, zoom: int = 24) -> plt.Figure:
    """The book in one figure: the central pixels of EfficientNet-Lite0's output ERF from its
    architecture alone, with ImageNet weights, fine-tuned, and fine-tuned with kernel padding. Each
    title gives the lattice ratio the results' tables hold for that map (computed on the whole map,
    as chapters 3 and 4 and the claims use it; the cached map of the ImageNet ERF is only its central
    crop, whose own ratio would differ)."""
    size = kp_finetune.provenance["config"]["size"]
    erf = erf_trained.tables["erf"].query("model == 'efficientnet_lite0' and target == 'output'").set_index("kind")
    runs = kp_finetune.tables["runs"].query("seed == 0").set_index("method")  # the cached maps are seed 0's
    panels = [
        ("efficientnet_lite0/output/structural", erf_trained, erf, "structural", "architecture alone\n(structural)"),
        ("efficientnet_lite0/output/imagenet", erf_trained, erf, "imagenet", "ImageNet-trained\n(224 px crops)"),
        ("vanilla/erf", kp_finetune, runs, "vanilla", f"fine-tuned\n({size} px task, seed 0)"),
        ("kp/erf", kp_finetune, runs, "kp", "fine-tuned with\nkernel padding"),
    ]
    fig, axes = plt.subplots(1, len(panels), figsize=(11, 3.6), gridspec_kw={"wspace": 0.3})
    for ax, (key, res, table, row, title) in zip(axes, panels):
        R = res.arrays[key].astype(float)
        ratio = float(table.loc[row, "lattice"]) if row in table.index else lattice_ratio(R)
        erf_image(ax, R, f"{title}\nlattice ratio {_ratio(ratio)}", zoom)
        ax.title.set_fontsize(10)
    fig.colorbar(axes[0].images[0], ax=axes, shrink=0.8, label="ERF / peak")
    return fig


def _ratio(value: float) -> str:
    """A lattice ratio in a panel title: two decimals near 1, three digits beyond 10, so that a
    rerun's larger value never widens the title into its neighbour's."""
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.3g}"


@styled
def method_erfs(kp_finetune: Result, seed: int = 0, zoom: int = 32) -> plt.Figure:
    """The output ERF after fine-tuning with each method (the cached maps are seed ``seed``'s), the
    central ``zoom`` pixels, two by two; each title gives that run's lattice ratio and ERF magnitude
    (sum of R) from the results' table, so what the panels show and what the claims judge are the
    same numbers."""
    from .plotting import METHOD_LABELS

    runs = kp_finetune.tables["runs"].query("seed == @seed").set_index("method")
    methods = [m for m in ("vanilla", "kp", "noise", "blurpool") if f"{m}/erf" in kp_finetune.arrays]
    cols = 2 if len(methods) > 2 else len(methods)
    rows = -(-len(methods) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(6.2, 3.3 * rows), squeeze=False, layout="constrained")
    for ax, m in zip(axes.flat, methods):
        R = kp_finetune.arrays[f"{m}/erf"].astype(float)
        ratio = float(runs.loc[m, "lattice"]) if m in runs.index else lattice_ratio(R)
        size = float(runs.loc[m, "erf_sum"]) if m in runs.index else float(R.sum())
        magnitude = f"{size:,.0f}" if abs(size) < 1e6 else f"{size:.3g}"
        erf_image(ax, R, f"{METHOD_LABELS.get(m, m)}\nlattice ratio {_ratio(ratio)}\nmagnitude {magnitude}", zoom)
        ax.title.set_fontsize(10)
    for ax in list(axes.flat)[len(methods):]:
        ax.axis("off")
    fig.colorbar(axes[0][0].images[0], ax=list(axes.flat), shrink=0.6, label="ERF / peak")
    return fig


def method_erf_reading(kp_finetune: Result, seed: int = 0) -> str:
    """The sentence that says what :func:`method_erfs` shows, from the same numbers."""
    runs = kp_finetune.tables["runs"].query("seed == @seed").set_index("method")
    parts = [f"{m} {runs.loc[m, 'lattice']:.2f}" for m in ("vanilla", "kp", "noise", "blurpool") if m in runs.index]
    flattest = runs["lattice"].idxmin()
    return f"lattice ratios of seed {seed}: " + ", ".join(parts) + f"; the flattest is {flattest}"


__all__ = [
    "method_erfs",
    "method_erf_reading",
    "headline",
    "lite_erf_panel",
    "lite_sigma_by_stage",
    "sigma_vs_accuracy",
    "theorem1_scatter",
    "erf_and_md_maps",
    "attack_curves",
    "census_grid",
]
