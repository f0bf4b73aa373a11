"""Automatic checks of the book's figures: no text that overprints other text, and fonts large
enough to read at the width the book shows them. Run on every figure the chapters glue
(:func:`deadpixels.paper.book.figure`), so a figure that fails stops the build."""

from __future__ import annotations

from itertools import combinations

import matplotlib.pyplot as plt
from matplotlib.text import Text

#: The smallest font the book accepts, in points as the reader sees it.
MIN_FONT_PT = 9.0
#: The width of the book's text column at 1280 px, in CSS pixels (96 per inch): a wider figure is
#: scaled down to it, and its fonts with it.
COLUMN_PX = 740


def _hidden_ticks(fig: plt.Figure) -> set[int]:
    """Tick labels matplotlib keeps but does not draw: their tick lies outside the axis' view."""
    out: set[int] = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if not ax.axison or not axis.get_visible():
                out |= {id(t) for t in axis.get_majorticklabels() + axis.get_minorticklabels()}
                out |= {id(axis.label), id(axis.get_offset_text())}
                continue
            lo, hi = sorted(axis.get_view_interval())
            span = (hi - lo) * 1e-9
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not lo - span <= tick.get_loc() <= hi + span:
                    out |= {id(tick.label1), id(tick.label2)}
    return out


def visible_texts(fig: plt.Figure) -> list[Text]:
    """The texts a reader sees: visible, not empty, and not a tick label matplotlib keeps but does not draw."""
    hidden = _hidden_ticks(fig)
    return [
        t
        for t in fig.findobj(Text)
        if t.get_visible() and t.get_text().strip() and t.figure is fig and id(t) not in hidden
    ]


def overlaps(fig: plt.Figure, tolerance: float = 1.0) -> list[tuple[str, str]]:
    """Pairs of visible texts whose rendered boxes intersect (by more than ``tolerance`` pixels each way)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in visible_texts(fig)]
    found = []
    for (a, ba), (b, bb) in combinations(boxes, 2):
        w = min(ba.x1, bb.x1) - max(ba.x0, bb.x0)
        h = min(ba.y1, bb.y1) - max(ba.y0, bb.y0)
        if w > tolerance and h > tolerance:
            found.append((a, b))
    return found


def rendered_scale(fig: plt.Figure) -> float:
    """How much the book shrinks the figure to fit its text column (1: not at all)."""
    return min(1.0, COLUMN_PX / (fig.get_figwidth() * 96))


def small_fonts(fig: plt.Figure, minimum: float = MIN_FONT_PT) -> list[str]:
    """Texts smaller than ``minimum`` points as the reader sees them, at the column's width."""
    scale = rendered_scale(fig)
    return [
        f"{t.get_text()} ({t.get_fontsize() * scale:.1f} pt)"
        for t in visible_texts(fig)
        if t.get_fontsize() * scale < minimum - 1e-9
    ]


def legends_over_data(fig: plt.Figure) -> list[str]:
    """Legends that cover data: a plotted point (line vertices, scatter points) or a bar inside the
    legend's box."""
    import numpy as np

    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    found = []
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is None or not legend.get_visible():
            continue
        box = legend.get_window_extent(renderer)
        points = [line.get_transform().transform(np.column_stack(line.get_data()).astype(float))
                  for line in ax.get_lines() if line.get_visible() and len(line.get_xdata())]
        points += [c.get_offset_transform().transform(c.get_offsets()) for c in ax.collections
                   if c.get_visible() and len(c.get_offsets()) and type(c).__name__ == "PathCollection"]
        inside = any(
            bool(np.any((p[:, 0] > box.x0) & (p[:, 0] < box.x1) & (p[:, 1] > box.y0) & (p[:, 1] < box.y1)))
            for p in points if p.size
        )
        bars = any(r.get_window_extent(renderer).overlaps(box) for r in ax.patches if r.get_visible())
        if inside or bars:
            found.append(f"the legend of {ax.get_title()[:40]!r} covers data")
    return found


def problems(fig: plt.Figure) -> list[str]:
    """Every problem of a figure, in words (empty: it passes)."""
    out = [f"{a!r} overprints {b!r}" for a, b in overlaps(fig)]
    out += legends_over_data(fig)
    out += [f"{t!r} is set below {MIN_FONT_PT:g} pt" for t in small_fonts(fig)]
    return out


__all__ = [
    "MIN_FONT_PT",
    "COLUMN_PX",
    "visible_texts",
    "overlaps",
    "legends_over_data",
    "rendered_scale",
    "small_fonts",
    "problems",
]
