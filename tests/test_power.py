"""The from-scratch rows' planned power (claims.judging.power): the registered plans are what the pilot's
data give, and a row whose plan cannot decide the claim says so, whatever its data."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from deadpixels.paper.claims.judging import power
from deadpixels.paper.claims.judging.outcome import Outcome
from deadpixels.paper.claims.judging.verdicts import NOT_TESTABLE, REPRODUCED
from deadpixels.paper.claims.rules.training import registered

ROOT = Path(__file__).resolve().parents[1]


def _pilot(path: str) -> pd.DataFrame:
    try:
        text = subprocess.run(
            ["git", "show", f"{power.PILOT_COMMIT}:data/results/{path}"], cwd=ROOT, capture_output=True, text=True,
            check=True,
        ).stdout
    except (subprocess.CalledProcessError, FileNotFoundError):
        pytest.skip("the pilot's commit is not in this checkout's history")
    return pd.read_csv(io.StringIO(text))


def test_registered_plans_are_the_pilots():
    plans = power.pilot_plans(
        _pilot("classification/cpu/runs.csv"),
        _pilot("classification/cpu/theorem1.csv"),
        _pilot("micro_object/cpu/runs.csv"),
        pilot_epochs=20,
    )
    assert plans.keys() == power.PLANS.keys()
    for claim_id, computed in plans.items():
        for got, want in zip(computed, power.PLANS[claim_id], strict=True):
            assert (got.contrast, got.n, got.level) == (want.contrast, want.n, want.level)
            assert got.sd == pytest.approx(want.sd, abs=6e-5) and got.paper == pytest.approx(want.paper, abs=6e-5)


def test_half_width_is_the_t_interval():
    p = power.Plan("x", 4, 1.0, -2.0)
    assert p.half_width == pytest.approx(3.182446 / 2, rel=1e-5)  # t(0.975, 3) sd / sqrt(4)
    assert not p.powered  # 1.59 > half of 2
    assert power.Plan("x", 4, 0.5, -2.0).powered


def test_an_unpowered_plan_makes_its_row_not_testable_whatever_the_data(monkeypatch):
    o = Outcome("x0.50 [0.40, 0.60]", REPRODUCED)
    monkeypatch.setitem(power.PLANS, "kp-accuracy-scratch", (power.Plan("accuracy", 12, 7.0, -1.0),))
    r = registered("kp-accuracy-scratch", o)
    assert r.verdict == NOT_TESTABLE and "planned half-width 4.45 at n = 12" in r.ours and r.ours.startswith(o.ours)
    monkeypatch.setitem(power.PLANS, "kp-accuracy-scratch", (power.Plan("accuracy", 12, 0.1, -1.0),))
    assert registered("kp-accuracy-scratch", o) == o


def test_the_registered_plans_decide_as_planned():
    underpowered = sorted(c for c in power.PLANS if power.unpowered(c))
    assert underpowered == ["kp-accuracy-scratch", "kp-smoother-scratch"]
