"""The chapters' figures that are specific to one experiment (the generic ones are in
:mod:`deadpixels.paper.plotting`). Each takes cached results and returns a matplotlib figure."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats

from .plotting import METHOD_COLOURS, METHOD_LABELS, erf_image, styled
from .reference import FIG5_R2
from .results import Result


@styled
def theorem1_scatter(theorem1: pd.DataFrame, seed: int = 0) -> plt.Figure:
    """Fig. 5 analogue: MD against R_XY over the 25 pixels, vanilla beside KP, with the fitted line."""
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    for ax, method in zip(axes, ["vanilla", "kp"]):
        d = theorem1[(theorem1["method"] == method) & (theorem1["seed"] == seed)]
        fit = stats.linregress(d["R"], d["MD"])
        ax.scatter(d["R"], d["MD"], color=METHOD_COLOURS[method], s=22)
        xs = np.linspace(d["R"].min(), d["R"].max(), 10)
        ax.plot(xs, fit.intercept + fit.slope * xs, color="#555555", ls="--")
        ax.set_title(f"{METHOD_LABELS[method]}: R² = {fit.rvalue**2:.3f} (paper, before KP: {FIG5_R2})", fontsize=9)
        ax.set_xlabel("$R_{XY}$ (output ERF)")
        ax.set_ylabel("MD (mean |Δy|)")
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
    ax.legend(fontsize=7.5, frameon=False)
    return fig


@styled
def census_grid(census: Result, names: Sequence[str], ncol: int = 8, zoom: int = 48) -> plt.Figure:
    """Small multiples of the structural output ERF of every analysed model (central ``zoom`` px)."""
    rows = [list(names[i : i + ncol]) for i in range(0, len(names), ncol)]
    fig, axes = plt.subplots(len(rows), ncol, figsize=(1.6 * ncol, 1.75 * len(rows)), squeeze=False)
    for i, row in enumerate(rows):
        for j in range(ncol):
            ax = axes[i][j]
            if j < len(row):
                erf_image(ax, census.arrays[f"{row[j]}/structural"].astype(float), row[j], zoom=zoom)
                ax.title.set_fontsize(6.5)
            else:
                ax.axis("off")
    return fig


__all__ = ["theorem1_scatter", "erf_and_md_maps", "attack_curves", "census_grid"]
