"""The gpu-scale rules, on synthetic results built to have a known answer (no gpu result is needed,
and none is read): each rule must reach the verdict its definition gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deadpixels.paper.claims import CLAIMS, NOT, NOT_TESTABLE, PARTIAL, REPRODUCED, claims_table
from deadpixels.paper.claims.judging import verdicts as V
from deadpixels.paper.claims.judging.contrasts import size
from deadpixels.paper.experiments.finetune import GPU
from deadpixels.paper.pipeline.experiment import config_dict
from deadpixels.paper.pipeline.store import Result

SEEDS = range(8)


LAYERS = ("_conv_stem", "_blocks.1._depthwise_conv", "_blocks.3._depthwise_conv", "_blocks.11._depthwise_conv")


def fake(
    kp_l1=0.5, blur_acc=0.9, kp_acc=0.89, noise_l1=1.0, r=0.9, cv_kp=0.4, seed=0, share=0.4, odd_l1=None
) -> dict[str, Result]:
    """Synthetic gpu-scale results; ``share``: KP's padded entries' share of their kernels' norm
    (0.4: KP took effect); ``odd_l1``: KP's L1 ratio on the odd seeds (default: as on the even ones)."""
    rng = np.random.default_rng(seed)
    rows, theorem = [], []
    for s in SEEDS:
        base = 1 + 0.05 * rng.standard_normal()
        acc = {"vanilla": 0.9, "kp": kp_acc, "noise": 0.9, "blurpool": blur_acc}
        l1 = {
            "vanilla": 1.0,
            "kp": kp_l1 if odd_l1 is None or s % 2 == 0 else odd_l1,
            "noise": noise_l1,
            "blurpool": 1.0,
        }
        for m, accuracy in acc.items():
            jitter = 1 + 0.02 * rng.standard_normal()
            rows.append(
                {
                    "method": m,
                    "seed": s,
                    "test_acc": accuracy + 0.002 * rng.standard_normal(),
                    "L1_raw": l1[m] * base * jitter,
                    "L1": l1[m] * base * jitter,
                    "erf_sum": base,
                    "lattice": (1.3 if m != "kp" else 1.02) * jitter,
                    "translation": (1.0 if m != "kp" else 0.7) * jitter,
                    "stage_sigma_x": 40 * jitter,
                    "stage_sigma_y": 40 * jitter,
                    "stage_r2": 0.9 + 0.01 * rng.standard_normal(),
                }
            )
        for m, cv in (("vanilla", 1.0), ("kp", cv_kp)):
            R = 1 + cv * rng.standard_normal(25) * 0.3
            md = r * R + np.sqrt(1 - r**2) * 0.3 * rng.standard_normal(25) + 2
            theorem += [
                {"method": m, "seed": s, "row": i, "col": i, "R": a, "MD": b} for i, (a, b) in enumerate(zip(R, md))
            ]
    res = Result("kp_finetune", "gpu", provenance={"config": config_dict(GPU)})
    res.tables = {
        "runs": pd.DataFrame(rows),
        "theorem1": pd.DataFrame(theorem),
        "pretrained": pd.DataFrame([{"stage_sigma_x": 40.0, "stage_sigma_y": 40.0, "stage_r2": 0.9}]),
        "padded": pd.DataFrame(
            [{"method": "kp", "seed": s, "layer": n, "padded_share": share} for s in SEEDS for n in LAYERS]
        ),
    }
    return {"kp_finetune": res}


def verdicts(results: dict[str, Result]) -> dict[str, str]:
    gpu_ids = [c.claim_id for c in CLAIMS if c.scale == "gpu"]
    t = claims_table("gpu", results=results)
    return dict(zip(t["claim_id"], t["verdict"])) | {"_ids": gpu_ids}


def test_a_clear_effect_reproduces_every_gpu_claim():
    v = verdicts(fake())
    for cid in v.pop("_ids"):
        if cid not in ("kp-accuracy-gpu",):
            assert v[cid] in (REPRODUCED, PARTIAL), (cid, v[cid])
    assert v["kp-accuracy-gpu"] == REPRODUCED  # a 1-point cost


def test_a_broken_comparator_cannot_decide_a_contrast():
    v = verdicts(fake(blur_acc=0.466))
    assert v["kp-smoother-gpu"] == PARTIAL  # against noise it decides; against BlurPool it is not testable
    v = verdicts(fake(kp_acc=0.80))
    assert v["kp-lowers-l1-gpu"] == NOT_TESTABLE and v["table5-std-gpu"] == NOT_TESTABLE


def test_a_tight_null_is_not_reproduced():
    v = verdicts(fake(kp_l1=1.0, noise_l1=1.0, kp_acc=0.9))
    assert v["kp-lowers-l1-gpu"] == NOT
    assert v["kp-accuracy-gpu"] == NOT  # no cost, and the CI excludes the paper's
    assert v["kp-smoother-gpu"] == NOT


def test_the_gpu_scale_states_its_size():
    assert size(fake()["kp_finetune"]) == (
        "Lite0 fine-tuned 1,024 SGD steps (16 epochs of 4,096 images, batch 64), 160 px, 8 paired seeds, "
        "1,024 test images"
    )


def test_gpu_rules_read_only_gpu_results():
    assert all(c.experiments == ("kp_finetune",) for c in CLAIMS if c.scale == "gpu")
    assert {c.claim_id for c in CLAIMS if c.scale == "gpu"} >= {"table2-gpu", "kp-smoother-gpu", "theorem1-gpu"}


@pytest.mark.parametrize("verdict", V.VERDICTS)
def test_verdicts_are_known_to_the_engine(verdict):
    from deadpixels.paper.claims import VERDICTS

    assert verdict in VERDICTS


def test_kp_that_did_not_take_effect_makes_every_kp_claim_not_testable():
    v = verdicts(fake(share=0.03))  # padded entries at 3% of the norm: KP is still (nearly) vanilla
    kp_claims = [
        f"{c}-gpu" for c in ("kp-lowers-l1", "kp-lattice", "kp-smoother", "kp-accuracy", "table5-std", "translation")
    ]
    assert all(v[c] == NOT_TESTABLE for c in kp_claims), {c: v[c] for c in kp_claims}
    assert v["theorem1-gpu"] == REPRODUCED and v["table2-gpu"] == REPRODUCED  # vanilla-only claims are judged


def test_every_kp_row_states_how_far_kp_took_effect():
    t = claims_table("gpu", results=fake(share=0.03)).set_index("claim_id")
    assert t.loc["kp-lowers-l1-gpu", "kp_effect"].startswith("KP did not take effect: its padded entries hold 3.0-3.0%")
    assert (
        claims_table("gpu", results=fake())
        .set_index("claim_id")
        .loc["kp-lowers-l1-gpu", "kp_effect"]
        .startswith("KP took effect")
    )


def test_every_row_holds_its_ci_against_the_papers_values():
    t = claims_table("gpu", results=fake(kp_l1=0.5)).set_index("claim_id")
    assert "raw L1: CI includes every value" not in t.loc["kp-lowers-l1-gpu", "vs_paper"]
    assert "raw L1: CI lies within the range the paper reported" in t.loc["kp-lowers-l1-gpu", "vs_paper"]
    assert t.loc["translation-gpu", "vs_paper"] == "translation KP/vanilla: the paper reports no number"
    far = claims_table("gpu", results=fake(kp_l1=0.95)).set_index("claim_id")
    assert "raw L1: CI excludes every value the paper reported" in far.loc["kp-lowers-l1-gpu", "vs_paper"]


def test_the_seed_halves_compare_effects_not_labels():
    from deadpixels.paper.claims.judging.stability import seed_halves

    c = next(c for c in CLAIMS if c.claim_id == "kp-lowers-l1-gpu")
    assert seed_halves(c, fake(kp_l1=0.3)).startswith("halves agree (4 and 4 pairs")
    assert seed_halves(c, fake(kp_l1=0.3, odd_l1=1.0)).startswith("halves disagree on raw L1, peak-normalised L1")
    few = {k: v for k, v in fake(kp_l1=0.3).items()}
    res = few["kp_finetune"]
    res.tables = {k: t[t["seed"] < 5] if "seed" in t else t for k, t in res.tables.items()}
    assert seed_halves(c, few) == "not checked (5 seeds; two halves of 3 need 6)"
    structural = next(c for c in CLAIMS if c.evidence == "structural")
    assert seed_halves(structural, fake()) == ""
