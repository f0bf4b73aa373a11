"""The sentences and facts the prose glues are computed from the results, so they follow the data."""

from __future__ import annotations

from dataclasses import replace

import pytest

from deadpixels.paper.book import facts, readings
from deadpixels.paper.claims.judging.engine import load_current


def test_the_pilot_sentence_says_what_its_table_shows():
    ft = load_current("kp_finetune", "cpu")
    pilot = ft.tables["pilot"]
    used = pilot[pilot["task"]].iloc[0]
    text = readings.pilot_reading(ft)
    assert f"{100 * used.vanilla_test_acc:.1f}%" in text
    assert ("inside" if used.in_band else "outside") in text
    flipped = pilot.assign(in_band=~pilot["in_band"])
    other = readings.pilot_reading(replace(ft, tables={**ft.tables, "pilot": flipped}))
    assert ("outside" if used.in_band else "inside") in other


def test_the_kp_sentence_follows_the_padded_entries():
    ft = load_current("kp_finetune", "cpu")
    assert readings.kp_gate_reading(ft).startswith("KP did not take effect")
    moved = ft.tables["padded"].assign(padded_share=0.45)
    assert readings.kp_gate_reading(replace(ft, tables={**ft.tables, "padded": moved})).startswith("KP took effect")


def test_scale_facts_come_from_the_configs_and_provenance():
    f = facts.scale_facts()
    assert f["gpu_steps"] == 1024 and f["cpu_steps"] < f["gpu_steps"] < f["paper_steps"]
    assert f["kp_finetune_cpu_min"] > 0 and f["longest_cpu_name"] != "none cached"


def test_the_off_centre_reading_explains_the_peak_it_states():
    import re

    from deadpixels.paper import book
    from deadpixels.paper.book import readings

    erf = book.results("erf_resnets")["erf_resnets"]
    text = readings.off_centre_reading(erf, "resnet18", "layer4")
    peak = [float(v) for v in re.search(r"peak at pixel \(([\d.]+), ([\d.]+)\)", text).groups()]
    unit = re.search(r"centred at pixel \(([\d.]+), ([\d.]+)\)", text).groups()
    assert all(abs(p - float(u)) <= 1.5 for p, u in zip(peak, unit))  # the peak is where the middle unit looks
    assert all(abs(p - 111.5) > 10 for p in peak)  # and that is well off the image's centre
    with pytest.raises(ValueError, match="pools every position"):
        readings.off_centre_reading(erf, "resnet18", "output")
