"""Figures: colour-blind-safe palettes (Okabe-Ito; viridis/cividis maps), labelled, with a footer
saying which scale and data produced them."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .readability import below_everything, few_groups, legend_below, point_label, readable

#: The colour of the "other" group once a figure has more groups than distinct colours.
OTHER_COLOUR = "#999999"

#: Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
METHOD_COLOURS = {"vanilla": "#0072B2", "kp": "#D55E00", "noise": "#009E73", "blurpool": "#CC79A7"}
METHOD_LABELS = {
    "vanilla": "vanilla",
    "kp": "kernel padding",
    "noise": "Gaussian noise",
    "blurpool": "anti-aliasing (BlurPool)",
}
ERF_CMAP = "viridis"

#: The book's figure style, applied inside each figure function only (matplotlib's global state is left alone).
STYLE = {"figure.dpi": 100, "axes.spines.top": False, "axes.spines.right": False, "font.size": 12}


def styled(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run a figure function under :data:`STYLE`, then make its figure :func:`readable`."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with plt.rc_context(STYLE):
            out = fn(*args, **kwargs)
            return readable(out) if isinstance(out, plt.Figure) else out

    return wrapper


def footer(fig: plt.Figure, text: str) -> None:
    """Stamp the provenance line (scale, data, device) under a figure, below everything drawn."""
    fig.text(0.01, min(-0.02, below_everything(fig)), text, fontsize=9.5, color="#444444", ha="left", va="top",
             wrap=True)


def erf_image(ax: plt.Axes, R: np.ndarray, title: str = "", zoom: int | None = None, vmax: float | None = None) -> None:
    """Show an ERF map (optionally its central ``zoom`` x ``zoom`` pixels) normalised to its peak."""
    R = np.asarray(R, dtype=np.float64)
    if zoom is not None:
        h, w = R.shape
        R = R[h // 2 - zoom // 2 : h // 2 + zoom // 2, w // 2 - zoom // 2 : w // 2 + zoom // 2]
    peak = R.max() if R.max() > 0 else 1.0
    ax.imshow(R / peak, cmap=ERF_CMAP, vmin=0, vmax=vmax or 1.0, interpolation="nearest")
    ax.set_title(title, fontsize=12)
    ax.set_xticks([])
    ax.set_yticks([])


@styled
def erf_grid(
    maps: Sequence[Sequence[np.ndarray]],
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    zoom: int | None | Sequence[int | None] = None,
    size: float = 1.9,
) -> plt.Figure:
    """Small multiples of ERF maps, one colour scale (each map divided by its peak); ``zoom`` shows
    the central pixels only (one value, or one per row). More than five columns would not fit the
    book's column legibly: with few rows, the columns wrap into blocks of at most five (each block
    titled again), so nine models over two kinds take four rows, not nine; with more rows the grid
    is drawn transposed (the columns become rows)."""
    nr, nc = len(maps), len(maps[0])
    zooms = list(zoom) if isinstance(zoom, (list, tuple)) else [zoom] * nr
    cell = [[(maps[i][j], zooms[i]) for j in range(nc)] for i in range(nr)]
    titled = [True] * nr  # which rows carry the column titles
    if nc > 5 and nr <= 2:
        blocks = -(-nc // 5)
        width = -(-nc // blocks)
        chunks = [list(range(b * width, min(nc, (b + 1) * width))) for b in range(blocks)]
        cell = [[cell[i][j] for j in chunk] + [None] * (width - len(chunk)) for chunk in chunks for i in range(nr)]
        titles = [[col_labels[j] for j in chunk] + [""] * (width - len(chunk)) for chunk in chunks for _ in range(nr)]
        row_labels = [row_labels[i] for _ in chunks for i in range(nr)]
        titled = [i == 0 for _ in chunks for i in range(nr)]
        nr, nc = len(cell), width
    else:
        if nc > 5:
            cell = [list(col) for col in zip(*cell)]
            row_labels, col_labels, nr, nc = col_labels, row_labels, nc, nr
        titles = [list(col_labels)] * nr
        titled = [i == 0 for i in range(nr)]
    fig, axes = plt.subplots(nr, nc, figsize=(size * nc + 1.4, size * nr), squeeze=False, layout="constrained")
    for i in range(nr):
        for j in range(nc):
            if cell[i][j] is None:
                axes[i][j].axis("off")
                continue
            R, z = cell[i][j]
            erf_image(axes[i][j], R, titles[i][j] if titled[i] else "", z)
            axes[i][j].title.set_fontsize(10)
        long = len(row_labels[i]) > 8  # a long row label is written across, so it cannot run into the next
        axes[i][0].set_ylabel(row_labels[i], fontsize=11, rotation=0 if long else 90, ha="right" if long else "center")
    im = axes[0][0].images[0]
    fig.colorbar(im, ax=axes, shrink=0.6, label="ERF / peak")
    return fig


@styled
def labelled_scatter(
    x: Sequence[float],
    y: Sequence[float],
    labels: Sequence[str],
    xlabel: str,
    ylabel: str,
    title: str,
    groups: Sequence[str] | None = None,
    ax: plt.Axes | None = None,
) -> plt.Figure:
    """Scatter with a text label per point; colour (and marker) by group where given."""
    fig = ax.figure if ax is not None else plt.figure(figsize=(6.4, 4.2))
    ax = ax or fig.add_subplot(111)
    x, y, labels = list(x), list(y), list(labels)
    groups = few_groups(list(groups), len(OKABE_ITO) - 1) if groups is not None else ["all"] * len(x)
    uniq = list(dict.fromkeys(groups))
    markers = "osD^v<>pPX*h"
    for k, g in enumerate(uniq):
        idx = [i for i, gi in enumerate(groups) if gi == g]
        ax.scatter(
            [x[i] for i in idx],
            [y[i] for i in idx],
            color=OTHER_COLOUR if g.startswith("other (") else OKABE_ITO[k],
            marker=markers[k % len(markers)],
            label=g if len(uniq) > 1 else None,
            s=36,
            zorder=3,
        )
    for xi, yi, lab in zip(x, y, labels):
        if lab:  # placed by readable() once the figure is final: spread_labels cannot let them overprint
            point_label(ax.annotate(lab, (xi, yi), textcoords="offset points", xytext=(4, 3), fontsize=10,
                                    arrowprops={"arrowstyle": "-", "color": "#777777", "lw": 0.6}))
    ax.margins(x=0.1, y=0.12)  # room for the labels of the outermost points
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    if len(uniq) > 1:
        ax.legend(fontsize=10, ncol=2, frameon=False, bbox_to_anchor=(1.02, 1), loc="upper left")
    return fig


@styled
def sigma_depth_figure(sig: pd.DataFrame, trf: pd.DataFrame) -> plt.Figure:  # noqa: F821
    """ERF sigma (structural, weighted, paper) and TRF against depth for the plain ResNets."""
    plain = sig[sig["model"].str.fullmatch(r"resnet\d+")]
    fig, ax = plt.subplots(figsize=(6.6, 4.2))
    weighted = [c for c in plain.columns if c in ("random_init", "imagenet")]
    styles = [("structural", "structural ERF (no weights)", OKABE_ITO[2], "s")]
    styles += [(w, f"{w.replace('_', '-')} ERF (ours)", OKABE_ITO[0], "o") for w in weighted]
    styles += [("paper σ (Table 1)", "ImageNet ERF (paper, Table 1)", OKABE_ITO[1], "D")]
    for col, lab, colour, marker in styles:
        ax.plot(plain["depth"], plain[col], marker=marker, color=colour, label=lab)
    d = np.linspace(18, 152, 50)
    base = plain[plain["model"] == "resnet18"]["structural"].iloc[0]
    ax.plot(d, base * np.sqrt(d / 18), ls=":", color="#555555", label="σ ∝ √depth (Luo et al.)")
    ax.set_xlabel("depth (weighted layers)")
    ax.set_ylabel("ERF σ (px, mean of x and y)")
    ax2 = ax.twinx()
    t = trf[trf["model"].isin(plain["model"])].sort_values("depth")
    ax2.plot(t["depth"], t["trf"], ls="--", color=OKABE_ITO[3], marker="^", label="theoretical RF (right axis)")
    ax2.set_ylabel("theoretical RF (px)", color=OKABE_ITO[3])
    ax2.spines["right"].set_visible(True)
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=10, frameon=False, loc="upper left", bbox_to_anchor=(1.18, 1.0))
    ax.set_title("ERF size vs depth (ResNet-18/34/50/101/152; 18 and 34 use basic blocks)", fontsize=10)
    return fig


@styled
def coverage_figure(length: int = 16) -> plt.Figure:
    """The paper's Fig. 2: how often each input position is covered by stride-2 windows, each odd
    kernel beside its kernel-padded even one (1-D counts as bars, 2-D as an image). A bar is blue
    where its count equals the centre position's and orange where it differs (an uneven position)."""
    from ...kernel_padding import window_coverage

    pairs = [
        ((3, 1, "3x3/s2 (odd)"), (4, 1, "4x4/s2 (KP)")),
        ((1, 0, "1x1/s2 (shortcut)"), (2, 0, "2x2/s2 (KP)")),
        ((7, 3, "7x7/s2 (stem)"), (8, 3, "8x8/s2 (KP)")),
    ]
    counts = {k: window_coverage(length, k, 2, p) for pair in pairs for k, p, _ in pair}
    fig, axes = plt.subplots(len(pairs), 4, figsize=(7.6, 2.0 * len(pairs) + 0.6), layout="constrained")
    for i, pair in enumerate(pairs):
        for j, (k, _p, title) in enumerate(pair):
            c = counts[k]
            bars, image = axes[i][2 * j], axes[i][2 * j + 1]
            bars.bar(range(length), c, color=[OKABE_ITO[0] if v == c[length // 2] else OKABE_ITO[3] for v in c])
            bars.set_title(title, fontsize=10)
            bars.set_ylim(0, max(c.max(), 1) + 0.5)
            bars.set_xticks([])
            grid = np.outer(c, c)
            im = image.imshow(grid / max(grid.max(), 1), cmap="cividis", vmin=0, vmax=1, interpolation="nearest")
            image.set_xticks([])
            image.set_yticks([])
    fig.colorbar(im, ax=axes, shrink=0.5, label="2-D windows per pixel / map maximum")
    fig.supylabel("windows per pixel (1-D bars)", fontsize=10)
    return fig


@styled
def grouped_bars(
    df: pd.DataFrame,
    index: str,
    columns: Sequence[str],
    ylabel: str,
    title: str,  # noqa: F821
    colours: Sequence[str] | None = None,
) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(7.2, 3.6))
    n = len(columns)
    x = np.arange(len(df))
    for k, col in enumerate(columns):
        ax.bar(
            x + (k - (n - 1) / 2) * 0.8 / n,
            df[col],
            width=0.8 / n,
            label=col,
            color=(colours or OKABE_ITO)[k % len(OKABE_ITO)],
        )
    ax.set_xticks(x)
    ax.set_xticklabels(df[index])
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    values = df[list(columns)].to_numpy(float)
    top, low = (np.nanmax(values), np.nanmin(values)) if np.isfinite(values).any() else (1.0, 0.0)
    if top > 0:
        ax.set_ylim(min(0.0, low * 1.1), top * 1.1)  # the tallest bar ends below the top of the axes
    ax.legend(fontsize=10, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # beside the bars
    return fig


@styled
def curves(
    history: pd.DataFrame,
    group: str,
    y: str = "test_acc",
    ylabel: str = "test accuracy",  # noqa: F821
    title: str = "",
) -> plt.Figure:
    """Mean curve per group over seeds, with a min-max band."""
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for k, (g, d) in enumerate(history.groupby(group)):
        stats = d.groupby("epoch")[y].agg(["mean", "min", "max"])
        colour = METHOD_COLOURS.get(g, OKABE_ITO[k])
        ax.plot(stats.index, stats["mean"], color=colour, label=f"{METHOD_LABELS.get(g, g)} (mean)", marker="o", ms=3)
        ax.fill_between(
            stats.index,
            stats["min"],
            stats["max"],
            color=colour,
            alpha=0.2,
            label=f"{METHOD_LABELS.get(g, g)} (min-max over seeds)",
        )
    ax.axhline(0.9, ls=":", color="#555555", label="90%")
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    legend_below(fig, ax)
    return fig
