"""One number format for every table of the book: a column's numbers share their decimals (at most
the table's precision, trailing zeros dropped together), percentages take one decimal, p-values read
"< 0.001" or three decimals, very large or very small numbers are written with a power of ten, and a
missing value is "n/a" (the caption says why), never ``nan``. Headers are words, not identifiers."""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd

from ..claims.judging.stats import p_text

NA = "n/a"


def is_missing(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA


def p_value(p: object) -> str:
    """A p-value in a table cell: the claims' own wording (:func:`~..claims.judging.stats.p_text`) without
    its "p": "< 0.001" or three decimals."""
    if is_missing(p):
        return NA
    return p_text(float(p)).removeprefix("p ").removeprefix("= ")  # type: ignore[arg-type]


def _decimals(values: list[float], precision: int) -> int:
    """The fewest decimals (up to ``precision``) that write every value of a column exactly as
    ``precision`` decimals would."""
    for d in range(precision + 1):
        if all(math.isclose(round(v, d), round(v, precision), abs_tol=10 ** -(precision + 2)) for v in values):
            return d
    return precision


def column_formatter(values: pd.Series, precision: int = 3, percent: bool = False) -> Callable[[object], str]:
    """The formatter of one numeric column."""
    finite = [float(v) for v in values if not is_missing(v) and math.isfinite(float(v))]
    if percent:
        decimals = 1
    elif finite and all(float(v).is_integer() for v in finite):
        decimals = 0
    else:
        decimals = _decimals(finite, precision)
    big = any(abs(v) >= 1e5 for v in finite)
    tiny = finite and all(0 < abs(v) < 10 ** -precision for v in finite if v != 0) and any(v != 0 for v in finite)

    def fmt(v: object) -> str:
        if is_missing(v):
            return NA
        if isinstance(v, str):
            return v
        x = float(v)  # type: ignore[arg-type]
        if math.isinf(x):
            return "∞" if x > 0 else "-∞"
        if (big and not float(x).is_integer()) or tiny:
            return f"{x:.2e}".replace("e+0", "e").replace("e-0", "e-")
        return f"{x:.{decimals}f}"

    return fmt


def header(name: object, known: dict[str, str]) -> str:
    """A column name as words: the book's table of headers, else the identifier's words."""
    if not isinstance(name, str):
        return str(name)
    if name in known:
        return known[name]
    return name.replace("_", " ") if "_" in name and " " not in name else name


def is_p_column(name: object) -> bool:
    return isinstance(name, str) and (name in ("p", "p_holm") or name.startswith(("p (", "p,")))


def is_percent_column(name: object) -> bool:
    return isinstance(name, str) and "(%)" in name


__all__ = ["NA", "p_value", "column_formatter", "header", "is_p_column", "is_percent_column", "is_missing"]
