"""The judging helpers added for issue 27: the KP gate's coverage model, CIs against the paper's
values, knife edges and Holm's correction."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from deadpixels.paper.claims.judging.kp_effect import relative_amplitude, removed_fraction
from deadpixels.paper.claims.judging.outcome import Contrast, edges, holm, versus_paper
from deadpixels.paper.claims.judging.verdicts import Region


@pytest.mark.parametrize("k", [3, 5, 7])
def test_padded_taps_as_large_as_the_others_remove_the_whole_imbalance(k):
    uniform = np.sqrt((2 * k + 1) / (k + 1) ** 2)  # the padded entries' norm share when every tap is alike
    assert relative_amplitude(uniform, k) == pytest.approx(1.0)
    assert removed_fraction(uniform, k) == pytest.approx(1.0)
    assert removed_fraction(0.0, k) == 0.0


@given(st.floats(0, 0.99), st.floats(0, 0.99), st.sampled_from([1, 3, 5]))
def test_the_removed_fraction_grows_with_the_share_and_stays_in_0_1(a, b, k):
    lo, hi = sorted((a, b))
    f_lo, f_hi = removed_fraction(lo, k), removed_fraction(hi, k)
    assert 0 <= f_lo <= f_hi + 1e-12 <= 1 + 1e-12


def test_the_measured_gpu_shares_are_far_from_taking_effect():
    """The committed gpu-scale shares (2.6-9.1%) remove well under a tenth of the imbalance."""
    assert removed_fraction(0.091, 3) < 0.15 and removed_fraction(0.026, 5) < 0.05


def _c(lo, hi, paper=(), region=None, log=False):
    return Contrast("x", (lo + hi) / 2, lo, hi, 0.01, 8, paper, region, 0.95, log)


@pytest.mark.parametrize(
    "lo, hi, start",
    [
        (0.0, 1.0, "x: CI includes every value"),
        (0.45, 0.55, "x: CI lies within the range"),
        (0.6, 2.0, "x: CI overlaps the range"),
        (0.8, 2.0, "x: CI excludes every value the paper reported (+0.20 to +0.70; the CI lies above them)"),
    ],
)
def test_a_ci_against_the_papers_values(lo, hi, start):
    assert versus_paper(_c(lo, hi, (0.2, 0.5, 0.7))).startswith(start)
    assert versus_paper(_c(lo, hi)) == "x: the paper reports no number"


def test_a_ci_end_next_to_a_boundary_is_at_the_edge():
    """translation-gpu's case: the CI ends at x0.911 against the declared region's x0.90."""
    c = _c(np.log(0.911) - 0.15, np.log(0.911), region=Region.below(np.log(0.9)), log=True)
    assert edges(c) and "next to the paper's region at x0.90" in edges(c)[0]
    assert edges(_c(-0.5, -0.3, region=Region.below(-0.1))) == []


def test_holm_is_step_down_monotone_and_skips_nan():
    adjusted = holm([0.01, 0.04, float("nan"), 0.03])
    assert adjusted[0] == pytest.approx(0.03) and adjusted[3] == pytest.approx(0.06)
    assert adjusted[1] == pytest.approx(0.06) and np.isnan(adjusted[2])


def test_a_ci_end_next_to_the_papers_range_is_at_the_edge():
    """table2-gpu's case: the size CI [0.748, 0.831] against the paper's lowest ratio 0.827, a verdict by range."""
    paper = tuple(np.log(v) for v in (0.827, 0.95, 1.02))
    c = _c(np.log(0.748), np.log(0.831), paper, log=True)
    assert any("next to the paper's lowest value at x0.83" in e for e in edges(c))
    assert edges(_c(np.log(0.5), np.log(0.6), paper, log=True)) == []
