"""What the book's chapters call: the cached results they show (never computed while the book
builds), their provenance table, the chapter's verdicts and myst-nb glue."""

from __future__ import annotations

import html
import os
from typing import Any

import pandas as pd

from ..claims import chapter_claims, load_current
from ..experiments import get_experiment
from ..pipeline.collect import partial_note
from ..pipeline.provenance import code_status
from ..pipeline.results import CacheError, Result, load


class StaleResultError(RuntimeError):
    """A result the book needs is missing, corrupt or made from another config."""


def book_scale() -> str:
    """The scale the book shows: ``$DEADPIXELS_SCALE`` or ``cpu``."""
    return os.environ.get("DEADPIXELS_SCALE", "cpu")


def results(*names: str) -> dict[str, Result]:
    """The cached results of the named experiments at the book's scale. A missing or stale result
    stops the build with the command that recomputes it: the book never runs an experiment itself."""
    scale, out = book_scale(), {}
    for name in names:
        try:
            out[name] = load(get_experiment(name), scale)
        except CacheError as exc:
            raise StaleResultError(
                f"{exc}. Recompute it with: python -m deadpixels run {name} --scale {scale}"
            ) from None
    return out


def optional(name: str, scale: str) -> Result | None:
    """The cached result of ``name`` at ``scale`` where it exists (a section that shows it says
    "not run at this scale" otherwise, see :func:`status`)."""
    return load_current(name, scale)


def status(res: Result | None, command: str, expected: str = "") -> str:
    """One sentence (Markdown) on the state of an optional result: not run (with the command that
    computes it), partial (how much is missing), or where it came from."""
    if res is None:
        return f"**Not run at this scale yet.** To compute it ({expected}): `{command}`."
    p, env = res.provenance, res.provenance.get("environment", {})
    wall = f", {p['wall_time_s']:.0f} s of wall time" if p.get("wall_time_s") else ""
    commit = p.get("git_commit") or "?"
    where = f"Computed on {env.get('device', '?')} (torch {env.get('torch', '?')}) from commit {commit[:7]}{wall}."
    if partial_note(res):
        return (
            f"**{partial_note(res).capitalize()}**: the device time ran out before every cell was computed; "
            f"every number below says how many seeds it rests on. {where} To complete it ({expected}; the cached "
            f"cells are reused): `{command}`."
        )
    return where


def provenance(res: dict[str, Result]) -> pd.DataFrame:
    """Which result files, configs, code, versions and device produced a chapter's numbers."""
    rows = []
    for name, r in res.items():
        p, env = r.provenance, r.provenance.get("environment", {})
        commit = (p.get("git_commit") or "")[:10] + (" (dirty tree)" if p.get("dirty") else "")
        rows.append(
            {
                "experiment": name,
                "scale": r.scale,
                "config hash": p.get("config_hash"),
                "source hash": p.get("source_hash"),
                "code now": code_status(p),
                "git commit": commit,
                "data": p.get("data"),
                "device": env.get("device"),
                "torch": env.get("torch"),
                "date": p.get("date", "")[:19],
                "wall time (s)": p.get("wall_time_s"),
                "files": ", ".join(f"data/results/{name}/{r.scale}/{f}" for f in p.get("files", {})),
            }
        )
    return pd.DataFrame(rows)


def provenance_block(res: dict[str, Result]) -> Any:
    """The chapter's provenance table in a collapsible block whose summary line is always visible."""
    from IPython.display import HTML

    table = show(provenance(res)).to_html()
    commits = sorted({(r.provenance.get("git_commit") or "?")[:7] for r in res.values()})
    summary = (
        f"Provenance: {len(res)} cached results, from commit{'s' if len(commits) > 1 else ''} {', '.join(commits)}"
    )
    return HTML(f'<details class="dp-provenance"><summary>{summary} (device, date, files)</summary>{table}</details>')


def verdicts(chapter: str, scale: str | None = None) -> pd.DataFrame:
    """The chapter's claims (those read at ``scale`` only, where given): the paper's value, ours,
    the evidence with its protocol and size, and the computed verdict."""
    t = chapter_claims(chapter, book_scale())
    if scale is not None:
        t = t[t["scale"] == scale]
    return t[
        [
            "claim_id",
            "chapter",
            "statement",
            "paper",
            "ours",
            "evidence",
            "protocol",
            "verdict",
            "stability",
            "vs_paper",
            "at_edge",
            "p_holm",
            "kp_effect",
            "kp_in_effect",
            "reason",
            "ungated_verdict",
            "rule",
        ]
    ]


def verdict_html(table: pd.DataFrame) -> Any:
    """A chapter's verdicts as the book shows them: one row per claim (stacked cards on a phone),
    the verdict as a badge with its stability, the rule folded under it."""
    from IPython.display import HTML

    from .report import overview_html

    return HTML(overview_html(table, chapter_link="{}.html", rules=True))


def glue(name: str, value: Any, display: bool = False) -> None:
    """myst-nb's glue for numbers in the prose, with numpy scalars turned into Python numbers."""
    from myst_nb import glue as _glue

    _glue(name, value.item() if hasattr(value, "item") else value, display=display)


def figure(name: str, fig: Any) -> None:
    """Glue a matplotlib figure for a numbered ``{glue:figure}`` in the text, and close it so the
    code cell shows nothing itself. A figure whose text overprints other text, or is too small to
    read at the book's column width, stops the build (:mod:`.figure_check`)."""
    import matplotlib.pyplot as plt

    from .figure_check import problems

    found = problems(fig)
    if found:
        plt.close(fig)
        raise ValueError(f"figure {name!r} is not readable: {'; '.join(found[:5])}")
    fig.set_dpi(2 * 96)  # twice the CSS pixel density: sharp on high-density screens, scaled to the column
    glue(name, fig, display=False)
    plt.close(fig)


#: Human headers for the raw column names the results use.
HEADERS = {
    "claim_id": "claim",
    "spearman_rho": "Spearman ρ",
    "spearman_p": "p (Spearman, uncorrected)",
    "kendall_tau": "Kendall τ",
    "kendall_p": "p (Kendall, uncorrected)",
    "n": "n",
    "crop_area_min": "crop area, min",
    "crop_area_max": "crop area, max",
    "vanilla_test_acc": "vanilla test accuracy",
    "in_band": "in the accuracy band",
    "chosen": "the pilot's choice",
    "task": "the task used",
    "n_odd_stride": "odd/even layers",
    "kp_L1": "L1 after KP",
    "kp_lattice": "lattice ratio after KP",
    "acc1": "Acc@1 (%)",
    "acc5": "Acc@5 (%)",
    "trf": "TRF (px)",
    "max_abs_diff": "max |y_KP - y|",
    "sigma": "σ (px)",
    "sigma_lo": "σ, CI low",
    "sigma_hi": "σ, CI high",
    "r2": "R²",
    "top1": "top-1 (%)",
    "params_m": "parameters (M)",
    "p_holm": "p (Holm)",
    "lattice": "lattice ratio",
    "params": "parameters",
    "odd_stride_layers": "layers with an odd kernel and an even stride",
    "gates": "gates",
    "input": "input (px)",
    "x": "measure",
}


def show(df: pd.DataFrame, precision: int = 3, index: bool = False) -> Any:
    """A table styled for the book (:mod:`.formatting`, one format for every table): headers in
    words, each numeric column with one number of decimals, percentages with one, p-values as
    "< 0.001" or three decimals, "n/a" for a missing value, no index."""
    from .formatting import NA, column_formatter, header, is_p_column, is_percent_column, p_value

    df = df.rename(columns={c: header(c, HEADERS) for c in df.columns})
    if not index:  # a hidden index may repeat (a concatenation); styling by cell needs unique labels
        df = df.reset_index(drop=True)
    styler = df.style.format(na_rep=NA).set_table_attributes('class="dp-table"')
    words = [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])]
    if words:  # words read from the left; numbers stay right-aligned, digit under digit
        styler = styler.set_properties(subset=words, **{"text-align": "left"}).set_table_styles(
            {c: [{"selector": "th.col_heading", "props": "text-align: left"}] for c in words}, overwrite=False
        )
    for col in df.columns:
        values = df[col]
        if is_p_column(col):
            styler = styler.format(lambda p: html.escape(p_value(p)), subset=[col])
        elif pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            styler = styler.format(column_formatter(values, precision, is_percent_column(col)), subset=[col])
    return styler if index else styler.hide(axis="index")


#: Where black and white text contrast equally with a shade (relative luminance; WCAG): darker
#: shades take white text. pandas' default (0.408) leaves white text on mid shades at 2:1.
TEXT_ON_SHADE_LUMINANCE = 0.179


def heat(styler: Any, column: str, cmap: str = "cividis") -> Any:
    """Shade one column of a :func:`show` table by its values (a colour-blind-safe map), each cell's
    text black or white, whichever reads better on its shade (4.5:1 or more)."""
    from .formatting import header

    return styler.background_gradient(
        subset=[header(column, HEADERS)], cmap=cmap, text_color_threshold=TEXT_ON_SHADE_LUMINANCE
    )


def sortable(styler: Any) -> Any:
    """Let the reader sort a :func:`show` table by clicking a header (``_static/sortable.js``)."""
    return styler.set_table_attributes('class="dp-table sortable"')


__all__ = [
    "figure",
    "show",
    "heat",
    "sortable",
    "StaleResultError",
    "book_scale",
    "results",
    "optional",
    "status",
    "provenance",
    "provenance_block",
    "HEADERS",
    "verdicts",
    "verdict_html",
    "glue",
]
