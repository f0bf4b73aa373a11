"""The numbers and sentences a chapter glues into its prose, computed in one call per code cell, so
that a chapter's cells stay short and this logic is tested with the package. Each function returns
``{glue name: value}``; :func:`glue_all` glues them."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..claims.judging.stats import theorem1_fits
from ..pipeline.results import Result
from . import readings, trained_tables
from .facts import steps


def glue_all(values: dict[str, Any]) -> dict[str, Any]:
    """Glue every value under its name; return them."""
    from . import glue

    for name, value in values.items():
        glue(name, value)
    return values


def c4_setup(ft: Result, gpu: Result | None, clf: Result, imb: Result) -> dict[str, Any]:
    """Chapter 4's opening numbers: the cpu protocol's size, the gpu run's seeds, the pilot, the KP
    gate at both scales, the BlurPool finding and the from-scratch runs' size."""
    cfg = ft.provenance["config"]
    missing = "not run yet"
    return {
        "c4_cpu_steps": steps(cfg),
        "c4_cpu_epochs": cfg["epochs"],
        "c4_gpu_seeds_run": int(gpu.tables["runs"].groupby("method")["seed"].nunique().min()) if gpu is not None else 0,
        "c4_pilot": readings.pilot_reading(ft),
        "c4_kp_gate_cpu": readings.kp_gate_reading(ft),
        "c4_kp_gate_gpu": readings.kp_gate_reading(gpu) if gpu is not None else missing,
        "c4_blurpool_gpu": readings.blurpool_reading(gpu) if gpu is not None else missing,
        "c4_scratch": readings.scratch_reading(clf, imb),
    }


#: Chapter 4's discussion quotes these contrasts of the fine-tuned Lite0: (contrast, quantity) -> name.
C4_CONTRASTS = {
    ("KP vs vanilla", "accuracy difference (points)"): "acc",
    ("KP vs vanilla", "L1 raw ratio"): "l1raw",
    ("KP vs vanilla", "L1 peak-norm. ratio"): "l1n",
    ("KP vs noise", "L1 raw ratio"): "noise",
    ("KP vs blurpool", "L1 raw ratio"): "blur",
}


def c4_discussion(ft: Result, erf_trained: Result, census: Result, exact: Result, verdicts: pd.DataFrame) -> dict:
    """Chapter 4's discussion: the fine-tuned contrasts with their CIs, the comparators' accuracy
    costs, the structural lattice ratios of Lite0 and ResNet-50, KP's exactness and three verdicts."""
    con = trained_tables.finetune_contrasts(ft).set_index(["contrast", "quantity"])
    out: dict[str, Any] = {}
    for key, name in C4_CONTRASTS.items():
        row = con.loc[key]
        out[f"c4_{name}"] = row["effect"]
        out[f"c4_{name}_ci"] = f"[{row['95% CI low']:.2f}, {row['95% CI high']:.2f}]"
    out["c4_half"] = con.loc[("KP vs vanilla", "accuracy difference (points)"), "CI half-width"]
    acc = ft.tables["runs"].pivot_table(index="seed", columns="method", values="test_acc") * 100
    out["c4_noise_cost"] = float((acc["vanilla"] - acc["noise"]).mean())
    out["c4_blur_cost"] = float((acc["vanilla"] - acc["blurpool"]).mean())
    e = erf_trained.tables["erf"]
    lite = e.query("model == 'efficientnet_lite0' and kind == 'structural' and target == 'output'")
    out["c4_struct_lite"] = float(lite["lattice"].iloc[0])
    out["c4_struct_resnet"] = float(census.tables["census"].set_index("model").loc["resnet50", "lattice"])
    out["c4_exact"] = exact.tables["kp_exact"]["max_abs_diff"].max()
    v = verdicts.set_index("claim_id")["verdict"]
    out.update({f"c4_v_{cid}": v[cid] for cid in ("kp-lowers-l1", "kp-smoother", "kp-accuracy")})
    return out


def c5_setup(ft: Result, clf: Result, micro: Result) -> dict[str, Any]:
    """Chapter 5's opening numbers: the probe's size, the Theorem 1 window, the micro-object task's
    size and the from-scratch seeds."""
    cfg, mc = ft.provenance["config"], micro.provenance["config"]
    return {
        "c5_images": int(cfg["measure_images"]),
        "c5_size": int(cfg["size"]),
        "c5_seeds": len(cfg["seeds"]),
        "c5_pixels": int(ft.tables["theorem1"].groupby(["method", "seed"]).size().max()),
        "c5_micro_size": (
            f"{mc['size']}x{mc['size']} crops, a {mc['box']}x{mc['box']} box, {mc['n_train']:,} training images, "
            f"{mc['epochs']} epochs and {len(mc['seeds'])} seeds per variant"
        ),
        "c5_micro_share": f"1/{mc['size'] // mc['box']}",
        "c5_micro_seeds": len(mc["seeds"]),
        "c5_scratch_seeds": int(clf.tables["theorem1"]["seed"].nunique()),
        "c5_cpu_steps": steps(cfg),
        "c5_scratch_seed": readings.median_seed(theorem1_fits(clf.tables["theorem1"]), "vanilla", "r2"),
    }




def z6_numbers(zoo_res: Result, lattice_min: float) -> dict[str, Any]:
    """Chapter 6's timm numbers: how many families, analysed, gated and refused; the checkerboard where
    odd kernels meet even strides and its absence elsewhere; five families' lattice ratios; and the
    families whose odd/even layers stay below ``lattice_min``."""
    from .facts import minutes

    z = zoo_res.tables["zoo"]
    za = z[z["status"] == "analysed"]
    has = za["n_odd_stride"] > 0
    lat = za.set_index("family")["lattice"]
    weak = za[has & (za["lattice"] <= lattice_min)]
    out: dict[str, Any] = {
        "z6_min": minutes("timm_census"),
        "z6_n": len(z),
        "z6_timm": zoo_res.provenance.get("config", {}).get("timm", "?"),
        "z6_analysed": len(za),
        "z6_gated": int((za["gates"] > 0).sum()),
        "z6_refused": int((z["status"] != "analysed").sum()),
        "z6_has": int(has.sum()),
        "z6_min_has": za[has]["lattice"].min(),
        "z6_max_none": za[~has]["lattice"].max(),
        "z6_none": ", ".join(za[~has]["family"]),
        "z6_kp_max": za["kp_lattice"].max(),
        "z6_blur_kp": za.set_index("family")["kp_lattice"].get("resnet-blur", float("nan")),
        "z6_weak": ", ".join(f"{r.family} ({r.model}, {r.lattice:.3f})" for r in weak.itertuples()) or "none",
        "z6_lattice_min": lattice_min,
    }
    for fam in ("resnet", "resnet-blur", "resnet-d", "convnext", "tresnet"):
        out[f"z6_{fam.replace('-', '_')}"] = lat.get(fam, float("nan"))
    return out


__all__ = ["glue_all", "c4_setup", "C4_CONTRASTS", "c4_discussion", "c5_setup", "z6_numbers"]
