"""One meaning per verdict: the definitions of :mod:`deadpixels.paper.claims.judging.verdicts`, checked
over random CIs (hypothesis) and on the cases the audit named."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from deadpixels.paper.claims.judging import verdicts as V

finite = st.floats(-5, 5, allow_nan=False)


@given(finite, finite, st.floats(-3, -0.01))
def test_judge_follows_the_definitions(a, b, bound):
    lo, hi = min(a, b), max(a, b)
    region = V.Region.below(bound)
    v = V.judge(lo, hi, region)
    holds_zero, reaches = lo <= 0 <= hi, lo <= bound
    if v == V.INCONCLUSIVE:  # only when the CI holds both no effect and the paper's effect
        assert holds_zero and reaches
    if holds_zero and reaches:
        assert v == V.INCONCLUSIVE
    if v == V.REPRODUCED:
        assert hi < 0 and reaches
    if v == V.SMALLER:
        assert hi < 0 and lo > bound
    if v == V.NOT:
        assert lo > 0 or (holds_zero and not reaches)
    assert v in V.VERDICTS and v != V.LARGER  # an open-ended region has nothing beyond it


def test_the_audited_cases():
    # kp-lowers-l1 at cpu scale: x[0.81, 1.10] against the paper's x0.49 (region: x0.70 or lower)
    assert V.judge(math.log(0.81), math.log(1.10), V.Region.log_ratio_at_most(0.49)) == V.NOT
    # micro-object: [-5.8, +6.6] epochs against the paper's -13 to -18 (region: -6.5 or lower)
    assert V.judge(-5.8, 6.6, V.Region.below(-6.5)) == V.NOT
    assert V.judge(-7.0, 6.6, V.Region.below(-6.5)) == V.INCONCLUSIVE
    # an accuracy cost: the paper's region is bounded on both sides
    cost = V.Region(-3.0, -0.415)
    assert V.judge(-2.0, -0.5, cost) == V.REPRODUCED
    assert V.judge(-0.3, -0.1, cost) == V.SMALLER
    assert V.judge(-6.0, -4.0, cost) == V.LARGER
    assert V.judge(-0.2, 0.3, cost) == V.NOT
    assert V.judge(0.1, 0.3, cost) == V.NOT


def test_nan_never_counts_as_agreement():
    assert V.judge(np.nan, np.nan, V.Region.below(-1)) == V.NOT_TESTABLE
    assert V.equivalence(np.nan, 0.1, 0.2) == V.NOT_TESTABLE


def test_equivalence_and_combinations():
    assert V.equivalence(-0.1, 0.1, 0.2) == V.REPRODUCED
    assert V.equivalence(0.3, 0.5, 0.2) == V.NOT
    assert V.equivalence(-0.1, 0.3, 0.2) == V.INCONCLUSIVE
    assert V.all_required([V.REPRODUCED, V.REPRODUCED]) == V.REPRODUCED
    assert V.all_required([V.REPRODUCED, V.NOT]) == V.NOT  # Table 5: the mechanism needs both
    assert V.all_required([V.REPRODUCED, V.INCONCLUSIVE]) == V.INCONCLUSIVE
    assert V.separate_parts([V.REPRODUCED, V.NOT]) == V.PARTIAL
    assert V.separate_parts([V.NOT_TESTABLE, V.NOT_TESTABLE]) == V.NOT_TESTABLE
    assert V.separate_parts([V.REPRODUCED, V.NOT_TESTABLE]) == V.PARTIAL
    assert V.bonferroni_level(2) == pytest.approx(0.975)


def test_a_region_must_be_on_one_side_of_zero():
    with pytest.raises(ValueError, match="one side of 0"):
        V.Region(-1.0, 1.0)


def test_every_verdict_has_one_meaning():
    assert set(V.MEANING) == set(V.VERDICTS)


def test_every_not_testable_row_names_one_reason_and_ungated_only_where_the_kp_gate_decided():
    """claims.csv: a 'not testable' verdict has a reason from REASONS, no other verdict has one, and a
    verdict without the KP gate is shown only where the KP gate alone made the row not testable."""
    from pathlib import Path

    import pandas as pd

    from deadpixels.paper.claims.judging.verdicts import NOT_TESTABLE, REASONS

    t = pd.read_csv(Path(__file__).resolve().parents[1] / "data/results/claims.csv", keep_default_na=False)
    untestable = t["verdict"] == NOT_TESTABLE
    assert t.loc[untestable, "reason"].isin(list(REASONS)).all()
    assert (t.loc[~untestable, "reason"] == "").all()
    gated = t["ungated_verdict"] != ""
    assert (t.loc[gated, "reason"] == "kp-not-in-effect").all()
    assert (t.loc[gated, "ungated_verdict"] != NOT_TESTABLE).all()
