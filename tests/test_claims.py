"""Every claim rule yields each of its possible verdicts on synthetic results, and the engine keeps
its promises (missing results are 'not run', bugs fail loudly, untrained evidence never reproduces)."""

import zlib

import numpy as np
import pandas as pd
import pytest

from deadpixels.paper import claims as C
from deadpixels.paper.claims.judging import engine
from deadpixels.paper.pipeline.results import Result

SEEDS = range(8)
R_, P_, N_, I_, T_ = C.REPRODUCED, C.PARTIAL, C.NOT, C.INCONCLUSIVE, C.NOT_TESTABLE
S_, L_ = C.SMALLER, C.LARGER


def _claim(cid):
    return next(c for c in C.CLAIMS if c.claim_id == cid)


def _verdict(cid, results):
    return engine.evaluate(_claim(cid), results).verdict


def _noise(scale, seed=0):
    return np.random.default_rng(seed).normal(0, scale, len(SEEDS))


#: The padded layers of Lite0 (as the experiment measures them) and a config naming the model.
LAYERS = ("_conv_stem", "_blocks.1._depthwise_conv", "_blocks.3._depthwise_conv", "_blocks.5._depthwise_conv")
PROVENANCE = {"config": {"model": "efficientnet_lite0", "epochs": 2, "n_train": 128, "batch_size": 64, "size": 64,
                         "seeds": list(SEEDS), "n_test": 64, "lr": 0.01}}


def padded(share):
    """The padded-entry table with every layer's padded entries at ``share`` of the kernel's norm."""
    return pd.DataFrame([{"method": "kp", "seed": s, "layer": n, "padded_share": share} for s in SEEDS for n in LAYERS])


def BOTH(v):  # noqa: N802
    """Both L1s (raw-sum and peak-normalised) times ``v``."""
    return {"L1": v, "L1_raw": v}


def finetune(kp=None, noise=None, blur=None, vanilla=None, spread=0.002, share=0.4):
    """kp_finetune runs: each method's metrics as a dict of multipliers (or offsets for test_acc) on
    vanilla; KP's padded entries at ``share`` of their kernels' norm (0.4: KP took effect)."""
    base = {"test_acc": 0.80, "L1": 0.05, "L1_raw": 0.2, "lattice": 1.2, "translation": 0.2, "erf_sum": 100.0}
    rows = []
    for method, change in (
        ("vanilla", vanilla or {}),
        ("kp", kp or {}),
        ("noise", noise or {}),
        ("blurpool", blur or {}),
    ):
        for k, s in enumerate(SEEDS):
            row = {"method": method, "seed": s}
            for metric, v in base.items():
                jitter = _noise(spread, zlib.crc32(f"{method}/{metric}".encode()) % 1000)[k]
                if metric == "test_acc":
                    row[metric] = v + change.get(metric, 0.0) + jitter
                else:
                    row[metric] = v * change.get(metric, 1.0) * np.exp(jitter * 10)
            rows.append(row)
    tables = {"runs": pd.DataFrame(rows), "padded": padded(share)}
    return {"kp_finetune": Result("kp_finetune", "cpu", tables=tables, provenance=PROVENANCE)}


@pytest.mark.parametrize(
    "change, spread, verdict",
    [
        ({"test_acc": -0.01}, 0.002, R_),  # a 1-point cost
        ({"test_acc": -0.10}, 0.002, L_),  # 10 points: more than "about 1%"
        ({"test_acc": -0.002}, 0.0005, S_),  # 0.2 points: a cost, smaller than the paper's
        ({"test_acc": +0.02}, 0.002, N_),
        ({"test_acc": 0.0}, 0.001, N_),  # a tight null excludes the paper's cost
        ({"test_acc": -0.01}, 0.03, I_),
    ],
)
def test_kp_accuracy(change, spread, verdict):
    assert _verdict("kp-accuracy", finetune(kp=change, spread=spread)) == verdict


@pytest.mark.parametrize(
    "kp, spread, verdict",
    [
        ({"L1": 0.5, "L1_raw": 0.5}, 0.002, R_),
        ({"L1_raw": 0.5, "L1": 1.0}, 0.01, N_),  # both are required: the unevenness itself did not drop
        ({"L1": 1.5, "L1_raw": 1.5}, 0.002, N_),
        ({}, 0.05, I_),
        ({"L1": 0.5, "L1_raw": 0.5, "test_acc": -0.05}, 0.002, T_),  # KP fails its accuracy gate
    ],
)
def test_kp_lowers_l1(kp, spread, verdict):
    assert _verdict("kp-lowers-l1", finetune(kp=kp, spread=spread)) == verdict


@pytest.mark.parametrize(
    "kp, noise, blur, verdict",
    [
        (BOTH(0.5), {}, {}, R_),
        (BOTH(0.5), BOTH(0.3), {}, P_),  # smoother than BlurPool, not than noise
        (BOTH(0.5), {}, BOTH(0.2), P_),  # smoother than noise, not than BlurPool
        (BOTH(0.95), {}, {}, I_),
        (BOTH(0.5), {}, {"test_acc": -0.3}, P_),  # BlurPool fails its gate: that part is not testable
        (BOTH(0.5), {"test_acc": -0.3}, {"test_acc": -0.3}, T_),
        ({"L1_raw": 0.5, "L1": 1.5}, {}, {}, N_),  # a smaller raw sum with a rougher shape is not smoother
        (BOTH(0.5), {"L1": 0.53}, {}, I_),  # one part reproduces, the other is undecided (KP/noise x0.94)
    ],
)
def test_kp_smoother(kp, noise, blur, verdict):
    assert _verdict("kp-smoother", finetune(kp=kp, noise=noise, blur=blur, spread=0.01)) == verdict


@pytest.mark.parametrize(
    "kp, spread, verdict",
    [({"translation": 0.7}, 0.01, R_), ({"translation": 1.4}, 0.01, N_), ({}, 0.05, I_), ({}, 0.002, N_)],
)
def test_translation(kp, spread, verdict):
    assert _verdict("translation", finetune(kp=kp, spread=spread)) == verdict


def theorem(slope_v, noise_v, cv_kp=1.0):
    """Theorem-1 tables: MD = slope * R + noise; KP's R varies ``cv_kp`` times as much (a number, or one per seed)."""
    rng = np.random.default_rng(0)
    factors = cv_kp if isinstance(cv_kp, list) else [cv_kp] * len(SEEDS)
    rows = []
    for method in ("vanilla", "kp"):
        for s in SEEDS:
            R = 1 + rng.normal(0, 0.2, 25) * (factors[s] if method == "kp" else 1.0)
            md = slope_v * R + rng.normal(0, noise_v, 25)
            rows += [
                {"method": method, "seed": s, "row": i, "col": 0, "R": r, "MD": m + 5}
                for i, (r, m) in enumerate(zip(R, md))
            ]
    base = finetune()["kp_finetune"]  # every method works: the gates pass, KP took effect
    tables = {**base.tables, "theorem1": pd.DataFrame(rows)}
    return {"kp_finetune": Result("kp_finetune", "cpu", tables=tables, provenance=PROVENANCE)}


@pytest.mark.parametrize("noise, verdict", [(0.01, R_), (0.25, R_), (0.8, S_), (2.0, N_)])
def test_theorem1(noise, verdict):
    assert _verdict("theorem1", theorem(1.0, noise)) == verdict


@pytest.mark.parametrize("cv_kp, verdict", [(0.5, R_), ([1.6, 1 / 1.6] * 4, I_), (2.0, N_)])
def test_table5(cv_kp, verdict):
    """CV(MD) follows CV(R) here (MD = R + tiny noise): both drop, neither, or both rise."""
    assert _verdict("table5-std", theorem(1.0, 0.001, cv_kp)) == verdict


def test_table5_partial():
    r = theorem(1.0, 0.001, 0.5)
    t = r["kp_finetune"].tables["theorem1"]
    kp = t["method"] == "kp"
    t.loc[kp, "MD"] = 6 + np.random.default_rng(1).normal(0, 0.2, kp.sum())  # as variable as before, unrelated to R
    assert _verdict("table5-std", r) == N_  # CV(R) drops, CV(MD) does not: the mechanism needs both


def micro(before, after, horizon=50):
    """micro_object runs: the first epoch above 90% per seed (``horizon``: never reached)."""
    rows = [
        {"arch": "r", "variant": variant, "seed": i, "first_epoch_90": v, "reached": v < horizon}
        for variant, times in (("vanilla", before), ("kp", after))
        for i, v in enumerate(times)
    ]
    prov = {"config": {"epochs": horizon}}
    return {"micro_object": Result("micro_object", "cpu", tables={"runs": pd.DataFrame(rows)}, provenance=prov)}


@pytest.mark.parametrize(
    "before, after, verdict",
    [
        ([28, 30, 27, 29, 26], [10, 11, 9, 12, 10], R_),
        ([10, 11, 9, 10, 12], [20, 21, 22, 19, 20], N_),
        ([12, 5, 12, 6, 12], [11, 4, 12, 12, 5], N_),  # a null whose CI excludes 6.5 epochs sooner
        ([20, 5, 22, 6, 12], [5, 19, 8, 20, 1], I_),
    ],
)
def test_micro_object(before, after, verdict):
    assert _verdict("micro-object", micro(before, after)) == verdict


def test_micro_object_with_censored_runs_concludes_no_tight_null():
    """The same tight null, but three vanilla runs never reached 90% within the horizon: their true
    times are unknown beyond it, so 'not reproduced' is not concluded."""
    assert _verdict("micro-object", micro([12, 5, 12, 6, 12], [11, 4, 12, 12, 5], horizon=50)) == N_
    assert _verdict("micro-object", micro([12, 5, 12, 6, 12], [11, 4, 12, 12, 5], horizon=12)) == I_


def test_the_rank_test_ties_never_at_the_top():
    from deadpixels.paper.claims.judging.stats import paired_rank_test

    inf = np.inf
    assert paired_rank_test([inf, inf, inf], [inf, inf, inf]) == 1.0  # all tied: no evidence
    assert paired_rank_test([1, 2, 3, 4, 5, 6], [inf] * 6) == pytest.approx(2 / 64)  # exact: 2 of 64 flips
    assert paired_rank_test([1, 2, inf], [inf, inf, inf]) == pytest.approx(0.5)


def lite_erf(lattice, sigma):
    """erf_trained with the output lattice ratio (value, lo, hi) and final-stage sigma (value, lo, hi) per model."""
    models = ["efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2"]
    rows = []
    for m, (lv, llo, lhi), (sv, slo, shi) in zip(models, lattice, sigma):
        for target in ("_blocks.20", "output"):
            rows.append(
                {
                    "model": m,
                    "kind": "imagenet",
                    "target": target,
                    "stage": target,
                    "lattice": lv,
                    "lattice_lo": llo,
                    "lattice_hi": lhi,
                    "sigma": sv,
                    "sigma_lo": slo,
                    "sigma_hi": shi,
                }
            )
    meta = pd.DataFrame(
        {"model": models, "top1": [75.1, 76.7, 77.6], "trf": [851, 1115, 1115], "final_stage": ["_blocks.20"] * 3}
    )
    return {"erf_trained": Result("erf_trained", "cpu", tables={"erf": pd.DataFrame(rows), "models": meta})}


S_FLAT = [(60, 55, 65), (61, 56, 66), (62, 57, 67)]


@pytest.mark.parametrize(
    "lattice, verdict",
    [
        ([(1.3, 1.2, 1.4)] * 3, R_),
        ([(1.3, 1.2, 1.4), (1.05, 1.0, 1.08), (1.3, 1.2, 1.4)], P_),
        ([(1.02, 1.0, 1.05)] * 3, N_),
        ([(1.1, 1.05, 1.15)] * 3, I_),
    ],
)
def test_checkerboard(lattice, verdict):
    assert _verdict("checkerboard", lite_erf(lattice, S_FLAT)) == verdict


@pytest.mark.parametrize(
    "sigma, verdict",
    [
        ([(60, 58, 62), (60, 58, 62), (61, 59, 63)], R_),
        ([(40, 39, 41), (60, 58, 62), (80, 78, 82)], N_),
        ([(60, 50, 70), (65, 55, 75), (70, 60, 80)], I_),
    ],
)
def test_erf_saturation(sigma, verdict):
    assert _verdict("erf-saturation", lite_erf([(1.3, 1.2, 1.4)] * 3, sigma)) == verdict


@pytest.mark.parametrize(
    "sigma, verdict",
    [([(80, 78, 82), (60, 58, 62), (61, 59, 63)], R_), (S_FLAT, I_), ([(40, 39, 41), (60, 58, 62), (80, 78, 82)], N_)],
)
def test_erf_not_accuracy(sigma, verdict):
    assert _verdict("erf-not-accuracy", lite_erf([(1.3, 1.2, 1.4)] * 3, sigma)) == verdict


def trf(acc5):
    labels = [f"R{i}" for i in range(9)]
    t = pd.DataFrame(
        {
            "model": list(C.structure.NINE),
            "label": labels,
            "trf": [100 * (i + 1) for i in range(9)],
            "acc5": acc5,
            "paper_trf": [100 * (i + 1) for i in range(9)],
        }
    )
    return {"trf": Result("trf", "cpu", tables={"resnets": t})}


def test_trf_rules():
    increasing = trf([90 + i for i in range(9)])
    assert _verdict("trf-not-accuracy", increasing) == N_
    assert _verdict("trf-not-accuracy", trf([90, 91, 89, 92, 93, 94, 95, 96, 97])) == R_
    assert _verdict("trf-table1", increasing) == R_
    bad = increasing["trf"].tables["resnets"].assign(paper_trf=1)
    assert _verdict("trf-table1", {"trf": Result("trf", "cpu", tables={"resnets": bad})}) == N_


@pytest.mark.parametrize(
    "acc, verdict", [(lambda t: 70 + 0.01 * t, N_), (lambda t: 80 - 0.01 * t, R_), (lambda t: 75 + np.sin(t), I_)]
)
def test_trf_zoo(acc, verdict):
    t = np.linspace(100, 2000, 40)
    c = pd.DataFrame({"trf": t, "acc1": acc(t)})
    assert _verdict("trf-not-accuracy-zoo", {"census": Result("census", "cpu", tables={"census": c})}) == verdict


def test_kp_exact():
    ok = pd.DataFrame({"max_abs_diff": [0.0, 1e-15]})
    assert _verdict("kp-exact", {"kp_exact": Result("kp_exact", "cpu", tables={"kp_exact": ok})}) == R_
    assert _verdict("kp-exact", {"kp_exact": Result("kp_exact", "cpu", tables={"kp_exact": ok + 1e-3})}) == N_


def test_untrained_evidence_is_never_a_reproduction():
    untrained = [c for c in C.CLAIMS if c.evidence == "untrained proxy"]
    assert untrained and all(c.claim_id.endswith(("-resnets", "-untrained")) for c in untrained)
    bad = engine.Claim("x", "00", "Table 1", "s", "p", "untrained proxy", "r", (), (), lambda r: ("ours", R_))
    with pytest.raises(ValueError, match="untrained evidence"):
        engine.evaluate(bad, {})


def test_missing_results_mean_not_run_and_bugs_fail_loudly(results_tmp):
    t = C.claims_table("paper")
    assert set(t["verdict"]) <= {C.NOT_RUN, R_}  # only exact, result-free claims (Fig. 2) run without results
    assert t["claim_id"].is_unique and len(t) == len(C.CLAIMS) >= 20
    assert t.loc[t["claim_id"] == "kp-accuracy", "ours"].str.contains("run: python -m deadpixels run kp_finetune").all()
    broken = engine.Claim("x", "00", "Table 1", "s", "p", "exact", "r", (), (), lambda r: r["nothing"])
    with pytest.raises(KeyError):
        engine.evaluate(broken, {})


@pytest.mark.parametrize("claim", C.CLAIMS, ids=lambda c: c.claim_id)
def test_every_claim_states_rule_evidence_and_paper_reference(claim):
    assert claim.rule and claim.paper and claim.statement and claim.evidence in C.EVIDENCE
    assert claim.paper_ref.startswith(("Table", "Fig", "Sec", "extension"))


def test_every_paper_table_and_figure_has_a_row():
    refs = " ".join(c.paper_ref for c in C.CLAIMS)
    for item in [
        "Table 1",
        "Table 3",
        "Table 4",
        "Table 5",
        "Table 6",
        "Fig. 1",
        "Fig. 2",
        "Fig. 4",
        "Fig. 5",
        "Fig. 6",
    ]:
        assert item in refs, item
