"""The growth-curve extrapolation of kp-fills-in-paper: a power law in the summed learning rate is
recovered, its prediction interval holds the truth, and the cosine schedule's sums are right."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deadpixels.paper.claims.rules.growth import FIT_FROM, cosine_cum_lr, extrapolate, steps_to
from deadpixels.paper.experiments.kp_growth import GrowthConfig, record_steps


def _curve(power: float, scale: float, noise: float = 0.0) -> pd.DataFrame:
    steps = np.array(record_steps(GrowthConfig()))
    cum = np.array([cosine_cum_lr(0.01, int(s), 20_000) for s in steps])
    rng = np.random.default_rng(0)
    f = scale * cum**power * np.exp(noise * rng.standard_normal(len(cum)))
    return pd.DataFrame({"step": steps, "cum_lr": cum, "f": f})


def test_a_power_law_is_recovered_and_its_interval_holds_the_truth():
    c = _curve(0.57, 0.02, noise=0.02)
    target = cosine_cum_lr(0.01, 20_000, 20_000)
    f, lo, hi, b, opens = extrapolate(c, target)
    truth = 0.02 * target**0.57
    assert b == pytest.approx(0.57, abs=0.05) and lo <= truth <= hi and f == pytest.approx(truth, rel=0.1)
    assert opens == pytest.approx((0.5 / 0.02) ** (1 / 0.57), rel=0.2)


def test_the_prediction_is_capped_at_one_and_uses_only_late_records():
    c = _curve(1.0, 0.5)
    c.loc[c["step"] < FIT_FROM, "f"] = 1e-9  # an early transient the fit must ignore
    f, lo, hi, b, _ = extrapolate(c, 1e6)
    assert f == hi == 1.0 and b == pytest.approx(1.0)


def test_cosine_sums_and_steps():
    assert cosine_cum_lr(0.01, 20_000, 20_000) == pytest.approx(100.0, rel=1e-3)
    assert cosine_cum_lr(0.01, 1, 20_000) == pytest.approx(0.01)
    assert steps_to(0.0499, 0.01, 20_000) == "after 5 steps"  # five steps sum a little under 0.05
    assert steps_to(500, 0.01, 20_000).startswith("beyond the paper's 20,000 steps")


def test_records_are_log_spaced_and_end_at_the_last_step():
    steps = record_steps(GrowthConfig())
    assert steps[0] == 1 and steps[-1] == 4096 and len(steps) > 40
    assert sum(s >= FIT_FROM for s in steps) >= 16


def test_the_growth_figure_is_readable_with_the_finetuned_points():
    from deadpixels.paper.book import kp_figures
    from deadpixels.paper.book.figure_check import problems
    from deadpixels.paper.claims.judging.engine import load_current
    from deadpixels.paper.pipeline.store import Result

    c = _curve(0.57, 0.002, noise=0.05)
    layers = ["_conv_stem", "_blocks.1._depthwise_conv", "_blocks.3._depthwise_conv"]
    rows = [
        {"seed": 0, "step": s, "cum_lr": cum, "layer": layer, "padded_share": 0.3 * f}
        for s, cum, f in zip(c["step"], c["cum_lr"], c["f"])
        for layer in layers
    ]
    growth = Result("kp_growth", "cpu", {"growth": pd.DataFrame(rows)}, provenance={"config": GrowthConfig().__dict__})
    finetuned = [(f"fine-tuned, {s} scale", r) for s in ("cpu", "gpu") if (r := load_current("kp_finetune", s))]
    fig = kp_figures.growth_figure(growth, finetuned)
    assert problems(fig) == []
