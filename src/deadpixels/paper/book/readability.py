"""What makes every book figure readable by construction: few enough ticks that their labels never
run together, point labels moved apart, and no font smaller than the checks allow once the figure
is scaled to the book's text column (:mod:`.figure_check` verifies the result)."""

from __future__ import annotations

import math
import re
import textwrap
from typing import Any

import matplotlib.pyplot as plt

from .figure_check import MIN_FONT_PT, rendered_scale, visible_texts


def _is_number(label: str) -> bool:
    """Whether a tick label is a number (as matplotlib writes them, with its minus sign and maths
    markup); "ResNet-18" is not, so its axis keeps a tick per category."""
    text = label.strip().replace("−", "-").replace("$", "").replace("\\mathdefault{", "").replace("}", "")
    if not text:
        return True
    try:
        float(text.replace("{", "").replace("^", "e").replace("\\times10", "").replace("10e", "1e"))
    except ValueError:
        return False
    return True


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
            numeric = bool(labels) and all(_is_number(t) for t in labels)
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
    for ax in fig.axes:
        fit_tick_labels(fig, ax)
    fit_titles(fig)
    fold_offsets(fig)
    spread_labels(fig)  # last: the ticks and fonts they must keep clear of are final now
    return fig


def fold_offsets(fig: plt.Figure) -> None:
    """An axis' offset (``×10⁻⁵ + 1.041×10⁻²``, which a rerun whose values span little brings) is
    drawn at the axis' end, beside the axis label, and a long label runs into it. An offset that
    overprints any text the book's check sees (:func:`~.figure_check.visible_texts`) is written under
    its axis' label instead (in the label, on its own line), where nothing else is placed."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            offset = axis.get_offset_text()
            if not (offset.get_visible() and offset.get_text().strip()):
                continue
            box = offset.get_window_extent(renderer)
            if any(box.overlaps(t.get_window_extent(renderer)) for t in visible_texts(fig) if t is not offset):
                label = axis.label.get_text()
                axis.label.set_text(f"{label}\n({offset.get_text()})" if label.strip() else offset.get_text())
                offset.set_visible(False)
                fig.canvas.draw()


def fit_titles(fig: plt.Figure) -> None:
    """Axes titles wider than their axes (a rerun's long number in a panel title) are wrapped at
    words to the axes' width, so that neighbouring panels' titles never run into each other."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        title = ax.title
        if not title.get_text().strip() or not ax.get_visible():
            continue
        width = ax.get_window_extent(renderer).width
        if title.get_window_extent(renderer).width <= width:
            continue
        char_px = 0.6 * title.get_fontsize() * fig.dpi / 72
        chars = max(8, int(width / char_px))
        title.set_text("\n".join(_wrap(line, chars) for line in title.get_text().split("\n")))


def _wrap(line: str, chars: int) -> str:
    """``line`` broken at spaces and after hyphens and underscores ("ResNeXt-50-" / "32x4d",
    "mobilenetv3_" / "small_050") into lines of at most ``chars`` characters where the pieces allow it."""
    pieces = re.findall(r"[^\s_-]*[-_]|[^\s_-]+\s*|\s+", line)
    out, current = [], ""
    for piece in pieces:
        if current and len(current + piece.rstrip()) > chars:
            out.append(current.rstrip())
            current = piece.lstrip()
        else:
            current += piece
    out.append(current.rstrip())
    return "\n".join(o for o in out if o)


def _touching(boxes: list) -> bool:
    return any(a.overlaps(b) for a, b in zip(boxes, boxes[1:]))


def fit_tick_labels(fig: plt.Figure, ax: plt.Axes) -> None:
    """Categorical x tick labels (model or method names) that would run together are turned 35
    degrees, then upright, so that each stays readable whatever names a result brings."""
    labels = [t for t in ax.xaxis.get_majorticklabels() if t.get_text().strip()]
    if len(labels) < 2 or ax.images:
        return
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for rotation, align in ((35, "right"), (90, "center")):
        if not _touching([t.get_window_extent(renderer) for t in labels]):
            return
        for t in labels:
            t.set_rotation(rotation)
            t.set_horizontalalignment(align)
            t.set_rotation_mode("anchor" if rotation != 90 else "default")
        fig.canvas.draw()


#: Where a point's label may go, in offset points (and its alignment), tried in this order: next to
#: the point first, then on rings further out with a leader line back to the point.
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
RINGS_PT = (26, 40, 56, 76)
ANGLES = 16

#: The attribute that marks an annotation as a point label that :func:`spread_labels` may move.
POINT_LABEL = "_deadpixels_point_label"


def _candidates() -> list[tuple[tuple[float, float], str, bool]]:
    near = [(offset, align, False) for offset, align in LABEL_SPOTS]
    far = []
    for r in RINGS_PT:
        for k in range(ANGLES):
            angle = 2 * math.pi * k / ANGLES
            dx, dy = r * math.cos(angle), r * math.sin(angle)
            far.append(((dx, dy), "left" if dx >= 0 else "right", True))
    return near + far


def point_label(note: Any) -> Any:
    """Mark ``note`` (an annotation with a leader-line ``arrowprops``) as a movable point label."""
    setattr(note, POINT_LABEL, True)
    return note


def below_everything(fig: plt.Figure, pad_px: float = 6.0) -> float:
    """A y position (figure fraction) below every drawn text and axes of ``fig``: what is put there
    cannot overprint anything (the saved figure grows to hold it)."""
    from matplotlib.text import Text

    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in fig.findobj(Text)
             if t.get_visible() and t.get_text().strip() and t.figure is fig]
    boxes += [ax.get_tightbbox(renderer) for ax in fig.axes if ax.get_visible()]
    low = min([b.y0 for b in boxes if b is not None] + [0.0])
    return (low - pad_px) / fig.bbox.height


def legend_below(fig: plt.Figure, ax: plt.Axes, ncol: int = 2) -> None:
    """The axes' legend under everything drawn (:func:`below_everything`): it can cover no data and
    overprint no text, whatever the curves do."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, below_everything(fig)), ncol=ncol,
                   fontsize=10, frameon=False)


def few_groups(groups: list[str], most: int) -> list[str]:
    """``groups`` with at most ``most`` named groups (the largest), the rest as one "other (n groups)",
    so that no two groups of a figure share a colour (the palette has ``most`` colours to give)."""
    import pandas as pd

    counts = pd.Series(groups).value_counts(sort=False)
    if len(counts) <= most:
        return groups
    keep = set(counts.sort_values(ascending=False, kind="stable").index[: most - 1])
    other = f"other ({len(counts) - len(keep)} groups)"
    return [g if g in keep else other for g in groups]


def spread_labels(fig: plt.Figure, notes: list | None = None) -> list[str]:
    """Place each point label (``notes``, default every annotation marked by :func:`point_label`) at
    the first spot where it overprints no earlier label and no other text of the figure, and stays
    inside the figure: next to its point, else further out with a leader line. A label with no free
    spot (many coinciding points) is not drawn over others: it is listed in a key below the figure.
    Returns the labels put in the key. So no data can make two labels overprint."""
    from matplotlib.text import Annotation, Text

    if notes is None:
        notes = [t for t in fig.findobj(Annotation) if getattr(t, POINT_LABEL, False)]
    if not notes:
        return []
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    mine = {id(n) for n in notes}
    placed = [  # the other texts (titles, axis labels, ticks, legends) must stay clear too
        t.get_window_extent(renderer)
        for t in fig.findobj(Text)
        if id(t) not in mine and t.get_visible() and t.get_text().strip() and t.figure is fig
    ]
    frame = fig.bbox
    keyed = []
    for note in notes:
        for offset, align, leader in _candidates():
            note.xyann = offset
            note.set_horizontalalignment(align)
            box = note.get_window_extent(renderer)
            inside = box.x0 >= frame.x0 and box.x1 <= frame.x1 and box.y0 >= frame.y0 and box.y1 <= frame.y1
            if inside and not any(box.overlaps(other) for other in placed):
                if getattr(note, "arrow_patch", None) is not None:
                    note.arrow_patch.set_visible(leader)
                placed.append(box)
                break
        else:
            note.set_visible(False)
            keyed.append(note.get_text())
    if keyed:
        width_chars = max(20, int(fig.bbox.width / (10 * fig.dpi / 72 * 0.6)))
        text = "not labelled above (no free space): " + ", ".join(keyed)
        fig.text(0.01, below_everything(fig), textwrap.fill(text, width_chars), fontsize=10, ha="left", va="top")
    return keyed


def placeholder(text: str) -> plt.Figure:
    """A one-line figure that says why the real one is not there (a result not computed yet), so that
    a page whose figure waits for a result still builds."""
    fig, ax = plt.subplots(figsize=(6, 1.2))
    ax.axis("off")
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=12)
    return fig


__all__ = [
    "placeholder",
    "readable",
    "spread_labels",
    "legend_below",
    "few_groups",
    "fit_titles",
    "fit_tick_labels",
    "point_label",
    "below_everything",
    "LABEL_SPOTS",
    "POINT_LABEL",
]

