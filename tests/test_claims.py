import pandas as pd
import pytest

from deadpixels.paper import claims as C
from deadpixels.paper.results import Result


def _clf(vanilla_acc, kp_acc, l1=None):
    rows = [
        {"arch": "resnet50", "method": "vanilla", "seed": i, "test_acc": a, "L1": 0.2, "translation": 0.5}
        for i, a in enumerate(vanilla_acc)
    ]
    rows += [
        {"arch": "resnet50", "method": "kp", "seed": i, "test_acc": a, "L1": 0.1, "translation": 0.4}
        for i, a in enumerate(kp_acc)
    ]
    return {"classification": Result("classification", "cpu", tables={"runs": pd.DataFrame(rows)})}


def _claim(cid):
    return next(c for c in C.CLAIMS if c.claim_id == cid)


def test_accuracy_rule():
    evaluate = _claim("kp-accuracy").evaluate
    assert evaluate(_clf([0.90, 0.91, 0.92], [0.89, 0.90, 0.91]))[1] == C.REPRODUCED  # -1 point
    assert evaluate(_clf([0.90, 0.91, 0.92], [0.80, 0.81, 0.82]))[1] == C.PARTIAL  # -10 points
    assert evaluate(_clf([0.90, 0.901, 0.902], [0.95, 0.951, 0.952]))[1] == C.NOT  # KP significantly better
    assert evaluate(_clf([0.90, 0.95, 0.85], [0.91, 0.86, 0.94]))[1] == C.PARTIAL  # no significant difference


def test_translation_rule():
    ours, verdict = _claim("translation").evaluate(_clf([0.9], [0.9]))
    assert verdict == C.REPRODUCED and "0.500 -> 0.400" in ours


def test_micro_object_rule():
    def micro(before, after):
        rows = [{"arch": "r", "variant": "vanilla", "seed": i, "first_epoch_90": v} for i, v in enumerate(before)]
        rows += [{"arch": "r", "variant": "kp", "seed": i, "first_epoch_90": v} for i, v in enumerate(after)]
        return {"micro_object": Result("micro_object", "cpu", tables={"runs": pd.DataFrame(rows)})}

    evaluate = _claim("micro-object").evaluate
    assert evaluate(micro([28, 30, 27, 29, 26], [10, 11, 9, 12, 10]))[1] == C.REPRODUCED
    assert evaluate(micro([12, 5, 12, 6, 12], [11, 4, 12, 12, 5]))[1] == C.PARTIAL
    assert evaluate(micro([10, 11, 9], [20, 21, 22]))[1] == C.NOT


def test_missing_results_mean_not_run(results_tmp):
    t = C.claims_table("paper")
    assert (t["verdict"] == C.NOT_RUN).all()
    assert len(t) == len(C.CLAIMS) >= 14
    assert t["claim_id"].is_unique


@pytest.mark.parametrize("claim", C.CLAIMS, ids=lambda c: c.claim_id)
def test_every_claim_states_its_rule_and_paper_value(claim):
    assert claim.rule and claim.paper and claim.statement and claim.experiments
