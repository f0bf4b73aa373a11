"""What makes every book figure readable by construction: few enough ticks that their labels never
run together, point labels moved apart, and no font smaller than the checks allow once the figure
is scaled to the book's text column (:mod:`.figure_check` verifies the result)."""

from __future__ import annotations

import matplotlib.pyplot as plt

from .figure_check import MIN_FONT_PT, rendered_scale


def readable(fig: plt.Figure) -> plt.Figure:
    """What every book figure gets: at most five ticks on a linear axis (so tick labels never run
    together), and no text smaller than :data:`~.figure_check.MIN_FONT_PT` as the reader sees it,
    once the figure is scaled to the book's text column."""
    from matplotlib.text import Text
    from matplotlib.ticker import MaxNLocator, ScalarFormatter

    for ax in fig.axes:
        if ax.images:
            continue
        for axis, scale in ((ax.xaxis, ax.get_xscale()), (ax.yaxis, ax.get_yscale())):
            labels = [t.get_text() for t in axis.get_majorticklabels()]
            numeric = labels and not any(t.strip().replace("−", "").replace("-", "").isalpha() for t in labels)
            if scale == "linear" and numeric and axis.get_visible() and not hasattr(ax, "_colorbar"):
                # the lowest y label is dropped: it would meet the first x label at the corner
                axis.set_major_locator(
                    MaxNLocator(nbins=5 if axis is ax.yaxis else 4, prune="lower" if axis is ax.yaxis else None)
                )
                if isinstance(axis.get_major_formatter(), ScalarFormatter):
                    formatter = ScalarFormatter(useMathText=True)
                    formatter.set_powerlimits((-2, 4))  # 0.00075 is written 7.5 with a x10^-4 offset
                    axis.set_major_formatter(formatter)
    smallest = MIN_FONT_PT / rendered_scale(fig)
    for text in fig.findobj(Text):
        if text.get_fontsize() < smallest:
            text.set_fontsize(smallest)
    return fig


#: Where a point's label may go, in offset points (and its alignment), tried in this order.
LABEL_SPOTS = [
    ((4, 3), "left"),
    ((4, -12), "left"),
    ((-4, 3), "right"),
    ((-4, -12), "right"),
    ((4, 14), "left"),
    ((-4, 14), "right"),
    ((4, -23), "left"),
    ((-4, -23), "right"),
]


def spread_labels(fig: plt.Figure, notes: list) -> None:
    """Give each point label the first spot of :data:`LABEL_SPOTS` where it overprints no earlier
    label and no other text of the figure (titles, axis labels), so every label stays readable."""
    from matplotlib.text import Text

    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    mine = {id(n) for n in notes}
    placed = [  # the other texts (titles, axis labels) must stay clear too
        t.get_window_extent(renderer)
        for t in fig.findobj(Text)
        if id(t) not in mine and t.get_visible() and t.get_text().strip() and t.figure is fig
    ]
    for note in notes:
        for offset, align in LABEL_SPOTS:
            note.xyann = offset
            note.set_horizontalalignment(align)
            if not any(note.get_window_extent(renderer).overlaps(other) for other in placed):
                break
        placed.append(note.get_window_extent(renderer))


__all__ = ["readable", "spread_labels", "LABEL_SPOTS"]
