"""One number format for every book table."""

import math
from pathlib import Path

import numpy as np
import pandas as pd

from deadpixels.paper import book
from deadpixels.paper.book import formatting as F


def test_a_column_shares_its_decimals_and_drops_trailing_zeros_together():
    fmt = F.column_formatter(pd.Series([75.1, 80.25, 90.0]), precision=3)
    assert [fmt(v) for v in (75.1, 80.25, 90.0)] == ["75.10", "80.25", "90.00"]
    assert F.column_formatter(pd.Series([75.1, 80.0]))(75.1) == "75.1"  # not "75.100"
    assert F.column_formatter(pd.Series([3.0, 4.0]))(3.0) == "3"


def test_percentages_p_values_missing_and_extremes():
    assert F.column_formatter(pd.Series([94.123]), percent=True)(94.123) == "94.1"
    assert [F.p_value(p) for p in (0.0, 0.0004, 0.0123, float("nan"))] == ["< 0.001", "< 0.001", "0.012", "n/a"]
    fmt = F.column_formatter(pd.Series([3470.0, 1.5e5 + 0.5]))
    assert fmt(1.5e5 + 0.5) == "1.50e5" and fmt(float("nan")) == "n/a" and fmt(math.inf) == "∞"


def test_show_never_writes_nan_or_identifiers():
    df = pd.DataFrame({"sigma_lo": [1.0, np.nan], "p": [0.0, 0.2], "model_name": ["a", "b"], "acc1 (%)": [94.12, 1.0]})
    html = book.show(df).to_html()
    assert "nan" not in html and "n/a" in html and "&lt; 0.001" in html
    assert "sigma_lo" not in html and "model name" in html and "94.1<" in html


def test_show_styles_a_table_whose_hidden_index_repeats():
    df = pd.concat([pd.DataFrame({"x": ["TRF"], "p": [0.5]}), pd.DataFrame({"x": ["ERF"], "p": [0.0]})])
    html = book.show(df).to_html()  # a concatenation: index 0, 0
    assert "TRF" in html and "ERF" in html and "&lt; 0.001" in html and "text-align: left" in html


def test_the_holm_corrected_p_values_under_a_verdict_read_like_every_table():
    from types import SimpleNamespace

    from deadpixels.paper.book.report import notes_html

    row = SimpleNamespace(claim_id="x", stability="", vs_paper="", at_edge="", p_holm="5.37e-05; 0.13; 1; n/a")
    assert "Holm-corrected p: &lt; 0.001; 0.130; 1.000; n/a<" in notes_html(row)


def test_every_row_of_claims_csv_renders_its_notes():
    from deadpixels.paper.book.report import notes_html

    root = Path(__file__).resolve().parents[1]
    table = pd.read_csv(root / "data" / "results" / "claims.csv", dtype=str, keep_default_na=False)
    assert all(isinstance(notes_html(r), str) for r in table.itertuples())
