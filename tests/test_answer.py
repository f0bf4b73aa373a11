"""The landing page's answer is computed: each row's finding, evidence and caveat come from the
claims table, so a changed verdict, protocol or KP gate changes the sentence a reader sees first."""

import pandas as pd
import pytest

from deadpixels.paper.book import answer

CLAIMS = pd.read_csv("data/results/claims.csv")


def _row(table, chapter):
    return next(r for r in answer.answer(table) if r.chapter == chapter)


def test_one_row_per_claim_of_the_paper_each_with_evidence_caveat_and_link():
    rows = answer.answer(CLAIMS)
    assert [r.chapter for r in rows] == [f"0{i}_{n}" for i, n in enumerate(
        ["rf_vs_accuracy", "erf_saturation", "dead_pixels", "kernel_padding", "perturbation"], start=1)]
    assert all(r.finding and r.evidence and r.caveat for r in rows)
    page = answer.answer_html(CLAIMS)
    assert all(f'href="chapters/{r.chapter}.html"' in page for r in rows)


@pytest.mark.parametrize("verdict", sorted(answer.PLAIN))
def test_changing_a_verdict_changes_the_sentence(verdict):
    changed = CLAIMS.copy()
    changed.loc[changed["claim_id"] == "cause-odd-even", "verdict"] = verdict
    assert f"odd/even as the cause: {answer.PLAIN[verdict]}" in _row(changed, "03_dead_pixels").finding
    before = _row(CLAIMS, "03_dead_pixels").finding
    if verdict != CLAIMS.set_index("claim_id").loc["cause-odd-even", "verdict"]:
        assert _row(changed, "03_dead_pixels").finding != before


def test_the_kp_gate_is_the_caveat_while_kp_did_not_take_effect_and_not_after():
    assert _row(CLAIMS, "04_kernel_padding").caveat.startswith("KP did not take effect")
    took = CLAIMS.copy()
    gated = took["kp_in_effect"] == "did not take effect"
    took["kp_effect"] = took["kp_effect"].where(~gated, "KP took effect")
    took["kp_in_effect"] = took["kp_in_effect"].where(~gated, "took effect")
    assert not _row(took, "04_kernel_padding").caveat.startswith("KP did not")


def test_evidence_states_steps_seeds_and_partial_runs_from_the_protocol():
    ev = _row(CLAIMS, "04_kernel_padding").evidence
    gpu = CLAIMS.set_index("claim_id").loc["kp-lattice-gpu", "protocol"]
    steps = gpu.split(" SGD steps")[0].split()[-1]
    assert f"{steps} SGD steps" in ev and "paired seeds" in ev
    assert ("partial run" in ev) == ("partial run" in gpu)


def test_exact_checks_stand_apart_from_the_empirical_rows():
    empirical = " ".join(r.finding for r in answer.answer(CLAIMS))
    assert "TRFs of Table 1" not in empirical and "TRFs of Table 1" in answer.arithmetic(CLAIMS)
    census = CLAIMS.set_index("claim_id").loc["cause-odd-even", "ours"].split(" (")[0]
    assert census in answer.beyond(CLAIMS)
