"""The book's figure checks can fail, and the figure style passes them: overprinted text and small
fonts are found; tick labels, point labels and fonts are made readable by construction."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from deadpixels.paper import book  # noqa: E402
from deadpixels.paper.book import figure_check, plotting  # noqa: E402


def test_overprinted_text_and_small_fonts_are_found():
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.text(0.5, 0.5, "first label", fontsize=12)
    ax.text(0.52, 0.5, "second label", fontsize=12)
    ax.text(0.1, 0.1, "tiny", fontsize=5)
    found = figure_check.problems(fig)
    assert any("overprints" in p for p in found) and any("'tiny (5.0 pt)'" in p for p in found)
    plt.close(fig)


def test_a_wide_figure_counts_its_fonts_at_the_columns_width():
    fig = plt.figure(figsize=(15.4, 3))  # twice the column: a 12 pt title reads as 6 pt
    fig.suptitle("wide", fontsize=12)
    assert figure_check.rendered_scale(fig) == pytest.approx(0.5, rel=0.01)
    assert figure_check.small_fonts(fig)
    plt.close(fig)


def test_the_book_style_makes_crowded_figures_readable():
    x = np.array([100.0, 100.0, 300.0, 500.0])
    names = ["ResNet-101", "Wide-ResNet-101-2", "b", "c"]
    fig = plotting.labelled_scatter(x, [1.0, 1.02, 2.0, 3.0], names, "x", "y", "t")
    assert figure_check.problems(fig) == []  # two labels on nearly the same point are moved apart
    wide = plotting.erf_grid([[np.ones((8, 8))] * 9] * 2, ["a", "b"], [f"model {i}" for i in range(9)])
    assert figure_check.problems(wide) == []  # nine columns over two rows wrap into two blocks of five
    assert len(wide.axes) - 1 == 4 * 5  # 4 rows of 5 panels (one left empty), and the colour bar
    tall = plotting.erf_grid([[np.ones((8, 8))] * 9] * 3, ["a", "b", "c"], [f"model {i}" for i in range(9)])
    assert figure_check.problems(tall) == [] and len(tall.axes) - 1 == 9 * 3  # more rows: drawn transposed
    long_names = plotting.erf_grid([[np.ones((8, 8))] * 9] * 2, ["a", "b"], ["ResNeXt-101-32x8d"] * 9)
    assert figure_check.problems(long_names) == []  # titles wider than their panel wrap after a hyphen
    plt.close("all")


def test_an_unreadable_figure_stops_the_book():
    fig, ax = plt.subplots()
    ax.text(0.5, 0.5, "one", fontsize=12)
    ax.text(0.5, 0.5, "two", fontsize=12)
    with pytest.raises(ValueError, match="not readable"):
        book.figure("broken", fig)
