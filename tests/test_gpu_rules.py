"""The gpu-scale rules, on synthetic results built to have a known answer (no gpu result is needed,
and none is read): each rule must reach the verdict its definition gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from deadpixels.paper.claims import CLAIMS, NOT, NOT_TESTABLE, PARTIAL, REPRODUCED, claims_table
from deadpixels.paper.claims import verdicts as V
from deadpixels.paper.claims.contrasts import size
from deadpixels.paper.experiments.finetune import GPU
from deadpixels.paper.pipeline.experiment import config_dict
from deadpixels.paper.pipeline.store import Result

SEEDS = range(8)


def fake(kp_l1=0.5, blur_acc=0.9, kp_acc=0.89, noise_l1=1.0, r=0.9, cv_kp=0.4, seed=0) -> dict[str, Result]:
    rng = np.random.default_rng(seed)
    rows, theorem = [], []
    for s in SEEDS:
        base = 1 + 0.05 * rng.standard_normal()
        acc = {"vanilla": 0.9, "kp": kp_acc, "noise": 0.9, "blurpool": blur_acc}
        l1 = {"vanilla": 1.0, "kp": kp_l1, "noise": noise_l1, "blurpool": 1.0}
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


def test_a_verdict_is_checked_on_disjoint_seed_halves():
    from deadpixels.paper.claims.stability import seed_halves

    c = next(c for c in CLAIMS if c.claim_id == "kp-lowers-l1-gpu")
    clear = fake(kp_l1=0.3)
    assert seed_halves(c, clear, verdicts(clear)["kp-lowers-l1-gpu"]) == "stable (both seed halves agree)"
    assert seed_halves(c, clear, NOT).startswith("fragile")  # a verdict the halves do not repeat
    structural = next(c for c in CLAIMS if c.evidence == "structural")
    assert seed_halves(structural, clear, REPRODUCED) == ""
